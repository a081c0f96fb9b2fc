/**
 * The recent returns a cycle keeps instead of re-reading a bot's series (core/analytics.ts): kept
 * sample by sample, they must give the history alerts exactly the returns the series' last
 * ALERT_HISTORY_SAMPLES samples and this cycle's give — whatever the series, zero balances and
 * flows included.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ALERT_HISTORY_SAMPLES,
  type EquitySample,
  flowAdjustedReturns,
  judgedReturns,
  RECENT_PERIODS,
  recentOf,
  withSample,
} from '../../functions/core/analytics.ts';
import { type Money, moneyFromUnits } from '../../functions/core/money.ts';

const T0 = Date.parse('2026-11-20T00:00:00.000Z');

/** A series five minutes apart: balances (zero now and then) and net contributions that move. */
const series = fc
  .array(
    fc.record({
      balance: fc.oneof(fc.constant(0n), fc.bigInt({ min: 1n, max: 10n ** 12n })),
      net: fc.bigInt({ min: -(10n ** 11n), max: 10n ** 11n }),
    }),
    { minLength: 1, maxLength: 140, size: 'max' },
  )
  .map((points) =>
    points.map(
      (p, i): EquitySample => ({
        at: new Date(T0 + i * 300_000).toISOString(),
        balance: moneyFromUnits(p.balance),
        netContributed: p.net as Money,
      }),
    ),
  );

describe('recent returns', () => {
  it('judge exactly the returns of the series’ last samples and this cycle’s', () => {
    fc.assert(
      fc.property(series, (samples) => {
        const now = samples.at(-1) as EquitySample;
        let kept: ReturnType<typeof recentOf>;
        for (const s of samples.slice(0, -1)) kept = withSample(kept, s);
        // What the cycle read before: the last ALERT_HISTORY_SAMPLES samples, then this one.
        const read = samples.slice(0, -1).slice(-ALERT_HISTORY_SAMPLES);
        const fromSeries = flowAdjustedReturns([...read, now]).map((p) => p.r);
        const fromKept = kept ? judgedReturns(kept, now) : [];
        expect(fromKept).toEqual(fromSeries);
        // Started from a read window instead of sample by sample: the same.
        const started = recentOf(read);
        expect(started ? judgedReturns(started, now) : []).toEqual(fromSeries);
      }),
      { numRuns: 300 },
    );
  });

  it('keep a bounded window, and ignore a sample that is not newer (a cycle run again)', () => {
    const samples = Array.from(
      { length: 200 },
      (_, i): EquitySample => ({
        at: new Date(T0 + i * 300_000).toISOString(),
        balance: moneyFromUnits(BigInt(100_0000_0000 + i * 1_000_000)),
        netContributed: moneyFromUnits(0n),
      }),
    );
    const kept = recentOf(samples);
    expect(kept?.returns).toHaveLength(48);
    expect(RECENT_PERIODS).toBe(ALERT_HISTORY_SAMPLES - 1);
    expect(withSample(kept, samples.at(-1) as EquitySample)).toBe(kept);
    expect(withSample(kept, samples[3] as EquitySample)).toBe(kept);
  });
});
