/**
 * Snapshot retention in local mode (core/retention.ts): each cycle writes its snapshots with their
 * expiry, and the runtime, having no TTL, prunes the expired ones on a day's first cycle.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DAY_MS } from '../../functions/core/duration.ts';
import { DAILY_CLOSE_DAYS, FULL_RESOLUTION_DAYS } from '../../functions/core/retention.ts';
import { specConfig } from '../core/fixtures.ts';
import { T0, type TestRuntime, testRuntime } from '../helpers/runtime.ts';

let rt: TestRuntime | undefined;
afterEach(async () => {
  await rt?.close();
  rt = undefined;
});

const BOT = '1h_lorentzian_sol';
const seconds = (t: number) => Math.floor(t / 1000);

describe('snapshot retention', () => {
  it("writes each snapshot's expiry, and prunes the expired ones once they are due", async () => {
    // Prepare
    rt = await testRuntime({ config: specConfig() });
    const pid = rt.config.portfolioId;
    const noon = new Date(T0.getTime() + 15 * 60_000);
    const close = new Date(Date.parse('2026-11-20T23:45:00Z'));
    // Act: the allocation cycle, one after it (full resolution), one in the day's last slot
    await rt.cycle(T0);
    await rt.cycle(noon);
    await rt.cycle(close);
    // Assess
    const written = await rt.store.performance.history(pid, BOT);
    expect(written.map((s) => [s.at, s.expiresAt])).toEqual([
      [noon.toISOString(), seconds(noon.getTime() + FULL_RESOLUTION_DAYS * DAY_MS)],
      [close.toISOString(), seconds(close.getTime() + DAILY_CLOSE_DAYS * DAY_MS)],
    ]);

    // Act: a cycle past the noon snapshot's expiry
    const later = new Date(noon.getTime() + (FULL_RESOLUTION_DAYS + 1) * DAY_MS);
    await rt.cycle(later);
    // Assess: noon's is gone; the close and the new one are kept
    const kept = await rt.store.performance.history(pid, BOT);
    expect(kept.map((s) => s.at)).toEqual([close.toISOString(), later.toISOString()]);
  });
});
