/**
 * The screened backtest gives the answers of a replay that plans every cycle through `plan`
 * (backtest-replay.ts, bigint throughout, whole histories kept): on random configs and random
 * curves — drifts, crashes, spikes, flat runs, gaps, curves at zero — the same transfers in the
 * same order, the same events word for word, the same books, metrics and fees.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backtest, type EquityCurves } from '../../functions/core/backtest.ts';
import { replayEveryCycle } from '../../functions/core/backtest-replay.ts';
import { type Config, parseConfig } from '../../functions/core/config.ts';
import { configJsonArb } from './arbitraries.ts';
import type { Json } from './fixtures.ts';

const STEP_MS = 6 * 3_600_000; // rebalance_interval is 1d: a rebalance every 4 cycles

/** Valid configs, some with a transfer fee. */
const configArb: fc.Arbitrary<Config> = fc
  .tuple(configJsonArb, fc.constantFrom(undefined, '0.001', '0.02'))
  .map(([json, fee]) => {
    const j = json as { exchanges: { paper: Record<string, unknown> } } & Json;
    const paper = { ...j.exchanges.paper, ...(fee && { transfer_fee: fee }) };
    try {
      return parseConfig({ ...j, exchanges: { paper } });
    } catch {
      return undefined;
    }
  })
  .filter((c): c is Config => c !== undefined);

/** One step of a curve: its factor, or a gap (NaN). */
const stepArb = fc.oneof(
  { weight: 80, arbitrary: fc.double({ min: 0.97, max: 1.03, noNaN: true }) },
  { weight: 1, arbitrary: fc.double({ min: 0.2, max: 0.8, noNaN: true }) },
  { weight: 1, arbitrary: fc.double({ min: 1.2, max: 2.5, noNaN: true }) },
  { weight: 8, arbitrary: fc.constant(1) },
  { weight: 2, arbitrary: fc.constant(Number.NaN) },
);

/**
 * A bot's curve factors: scaled down for a calm bot (whose small losses are unusual), and now and
 * then falling to zero at some row.
 */
const botCurveArb = (rows: number) =>
  fc
    .tuple(
      fc.constantFrom(1, 0.1, 0.03),
      fc.array(stepArb, { minLength: rows, maxLength: rows }),
      fc.option(fc.nat(rows), { freq: 8 }),
    )
    .map(([scale, steps, dies]) =>
      steps.map((f, i) => (i === dies ? 0 : Number.isNaN(f) ? f : 1 + (f - 1) * scale)),
    );

function curvesArb(config: Config): fc.Arbitrary<EquityCurves> {
  return fc.integer({ min: 2, max: 200 }).chain((rows) =>
    fc
      .array(botCurveArb(rows), {
        minLength: config.bots.length,
        maxLength: config.bots.length,
      })
      .map((steps) => {
        const times = Array.from({ length: rows }, (_, i) =>
          new Date(Date.UTC(2026, 0, 1) + i * STEP_MS).toISOString(),
        );
        const values = new Map(
          config.bots.map((b, k) => {
            let level = 1000 * 1e8;
            const curve = Float64Array.from(steps[k] ?? [], (f, i) => {
              if (Number.isNaN(f)) return Number.NaN;
              if (i > 0) level = f === 0 ? 0 : Math.max(1, Math.round(level * f));
              return level;
            });
            return [b.botId, curve] as const;
          }),
        );
        return { times, values };
      }),
  );
}

const scenarioArb = configArb.chain((config) =>
  curvesArb(config).map((curves) => ({ config, curves })),
);

describe('backtest against a replay that plans every cycle', () => {
  it('gives the same transfers, events, books and metrics', () => {
    fc.assert(
      fc.property(scenarioArb, ({ config, curves }) => {
        const { plannedCycles, ...fast } = backtest(config, curves);
        const { plannedCycles: all, ...slow } = replayEveryCycle(config, curves);
        expect(all).toBe(curves.times.length);
        expect(plannedCycles).toBeLessThanOrEqual(all);
        expect(fast.timeline).toEqual(slow.timeline);
        expect(fast.events).toEqual(slow.events);
        expect(fast).toEqual(slow);
      }),
      { numRuns: 200 },
    );
  });

  it('plans only a few of the cycles of a quiet market', () => {
    // Prepare: every bot flat for 200 six-hour cycles.
    const config = fc.sample(configArb, { numRuns: 1, seed: 7 })[0] as Config;
    const times = Array.from({ length: 200 }, (_, i) =>
      new Date(Date.UTC(2026, 0, 1) + i * STEP_MS).toISOString(),
    );
    const values = new Map(
      config.bots.map((b) => [b.botId, new Float64Array(200).fill(1000 * 1e8)] as const),
    );
    // Act
    const r = backtest(
      { ...config, allocation: { ...config.allocation, strategy: 'fixed' } },
      {
        times,
        values,
      },
    );
    // Assess: the allocations' cycle, and none after.
    expect(r.plannedCycles).toBeLessThan(5);
  });

  it('falls back to bigint past 2^53 units and still gives the replay its answers', () => {
    const config = fc.sample(configArb, { numRuns: 1, seed: 3 })[0] as Config;
    const times = [
      '2026-01-01T00:00:00.000Z',
      '2026-01-01T06:00:00.000Z',
      '2026-01-01T12:00:00.000Z',
    ];
    // A curve that multiplies by a million: balances pass 90 million USDT.
    const values = new Map(
      config.bots.map((b) => [b.botId, Float64Array.from([1e8, 1e14, 1e14])] as const),
    );
    const r = backtest(config, { times, values });
    expect(r.plannedCycles).toBe(3);
    expect(r).toEqual(replayEveryCycle(config, { times, values }));
  });
});
