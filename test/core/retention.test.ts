import { describe, expect, it } from 'vitest';
import {
  DAILY_CLOSE_DAYS,
  FULL_RESOLUTION_DAYS,
  isDailyClose,
  snapshotExpiry,
} from '../../functions/core/retention.ts';

const MIN = 60_000;
const seconds = (iso: string, days: number) => Date.parse(iso) / 1000 + days * 86_400;

describe('how long a snapshot is kept', () => {
  it("keeps the day's last slot as its close, and every other one at full resolution only", () => {
    expect(isDailyClose('2026-11-20T23:45:00.000Z', 15 * MIN)).toBe(true);
    expect(isDailyClose('2026-11-20T23:30:00.000Z', 15 * MIN)).toBe(false);
    expect(isDailyClose('2026-11-20T00:00:00.000Z', 15 * MIN)).toBe(false);
    expect(isDailyClose('2026-11-20T23:55:00.000Z', 5 * MIN)).toBe(true);
    // A daily cycle: every snapshot is its day's close
    expect(isDailyClose('2026-11-20T00:00:00.000Z', 1440 * MIN)).toBe(true);
  });

  it('expires a close after DAILY_CLOSE_DAYS and any other snapshot after FULL_RESOLUTION_DAYS', () => {
    expect(snapshotExpiry('2026-11-20T23:45:00.000Z', 15 * MIN)).toBe(
      seconds('2026-11-20T23:45:00.000Z', DAILY_CLOSE_DAYS),
    );
    expect(snapshotExpiry('2026-11-20T12:00:00.000Z', 15 * MIN)).toBe(
      seconds('2026-11-20T12:00:00.000Z', FULL_RESOLUTION_DAYS),
    );
    // Longer than the longest correlation window (365 days of closes) and a history rebalance's 30
    expect(DAILY_CLOSE_DAYS).toBeGreaterThan(366);
    expect(FULL_RESOLUTION_DAYS).toBeGreaterThan(31);
  });
});
