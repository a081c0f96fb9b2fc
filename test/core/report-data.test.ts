/** The numbers the backtest report draws: series, drawdown, reserves, heat map. */
import { describe, expect, it } from 'vitest';
import { backtest, curveOf, type EquityCurves } from '../../functions/core/backtest.ts';
import { replayEveryCycle } from '../../functions/core/backtest-replay.ts';
import { money } from '../../functions/core/money.ts';
import {
  heatmapOf,
  reportData,
  shownCycles,
  underwater,
} from '../../functions/core/report-data.ts';
import type { Outcome } from '../../functions/core/sweep.ts';
import { unmanagedEquity } from '../../functions/core/sweep.ts';
import { specConfig } from './fixtures.ts';

const BOTS = ['1h_lorentzian_sol', '4h_swing_btc', '5m_scalping_sol', '15m_momentum_eth'];

/** Daily rows; every bot's curve given by `f(day, bot index)`. */
function curves(days: number, f: (i: number, k: number) => number): EquityCurves {
  const times = Array.from({ length: days }, (_, i) =>
    new Date(Date.UTC(2026, 0, 1 + i)).toISOString(),
  );
  return {
    times,
    values: new Map(BOTS.map((id, k) => [id, curveOf(times.map((_, i) => money(f(i, k))))])),
  };
}

/** Up 1 % a day for 40 days, a 50 % crash, then flat: harvests, a drawdown, refills. */
const boomAndBust = (i: number, k: number) =>
  Math.round(1000 * 1.01 ** Math.min(i, 40) * (i > 40 ? 0.5 - 0.05 * k : 1) * 100) / 100;

const config = specConfig();

describe('shownCycles', () => {
  it('shows every cycle up to the maximum', () => {
    expect(shownCycles(5, 10)).toEqual([0, 1, 2, 3, 4]);
  });

  it('shows evenly spaced cycles past it, the first and the last among them', () => {
    const shown = shownCycles(35_040, 600);
    expect(shown).toHaveLength(600);
    expect(shown[0]).toBe(0);
    expect(shown.at(-1)).toBe(35_039);
    expect(shown).toEqual([...new Set(shown)].sort((a, b) => a - b));
  });
});

describe('underwater', () => {
  it('is each point’s fall from the running peak', () => {
    expect([...underwater([100, 120, 90, 130, 65])]).toEqual([0, 0, -0.25, 0, -0.5]);
  });
});

describe('unmanagedEquity', () => {
  it('keeps each bot at its allocation moving with its curve, the rest idle', () => {
    // 500 of the 1000 funds the four bots; one bot doubling adds its 150 (or 100).
    const c = curves(3, (i, k) => (k === 0 && i === 2 ? 2000 : 1000));
    expect([...unmanagedEquity(config, c)]).toEqual([1000, 1000, 1150]);
  });
});

describe('a backtest’s series', () => {
  it('are the same from the screened loop and from planning every cycle', () => {
    const c = curves(60, boomAndBust);
    const fast = backtest(config, c, { series: true }).series;
    const plain = replayEveryCycle(config, c, { series: true }).series;
    expect(fast).toBeDefined();
    expect(fast?.equity).toEqual(plain?.equity);
    expect(fast?.reserves).toEqual(plain?.reserves);
    expect(fast?.balances).toEqual(plain?.balances);
    expect(fast?.capitalBases).toEqual(plain?.capitalBases);
    expect(fast?.halted).toEqual(plain?.halted);
  });

  it('are kept only when asked for', () => {
    expect(
      backtest(
        config,
        curves(3, () => 1000),
      ).series,
    ).toBeUndefined();
  });
});

describe('reportData', () => {
  const c = curves(60, boomAndBust);
  const result = backtest(config, c, { series: true });
  const series = result.series;
  if (!series) throw new Error('no series');
  const data = (maxPoints?: number) =>
    reportData({
      config,
      title: 't',
      result: { ...result, series },
      unmanaged: unmanagedEquity(config, c),
      ...(maxPoints !== undefined && { maxPoints }),
    });

  it('draws equity with the manager and without it on the same cycles, from the capital', () => {
    const d = data();
    expect(d.times).toEqual(c.times);
    const [managed, none] = d.equity;
    expect(managed.values).toHaveLength(60);
    expect(none.values).toHaveLength(60);
    expect(managed.values[0]).toBe(1000);
    expect(none.values[0]).toBe(1000);
    expect(managed.values.at(-1)).toBeCloseTo(Number(result.endEquity) / 1e8, 1);
  });

  it('keeps the deepest drawdown when it shows fewer cycles than there are', () => {
    expect(result.maxDrawdown).toBeGreaterThan(0.2);
    const d = data(7);
    expect(d.times).toHaveLength(7);
    expect(Math.min(...d.drawdown[0].values.map((v) => v ?? 0))).toBeCloseTo(
      -result.maxDrawdown,
      5,
    );
    expect(d.emergencyStop).toBe(-0.25);
  });

  it('draws every reserve with its floor, every transfer and every bot', () => {
    const d = data();
    expect(d.reserves.map((r) => r.name).sort()).toEqual([
      'reserve:emergency',
      'reserve:high_frequency',
      'reserve:low_frequency',
    ]);
    expect(d.floors.get('reserve:emergency')).toBe(200);
    expect(d.floors.get('reserve:low_frequency')).toBe(0);
    expect(d.transfers).toHaveLength(result.timeline.length);
    expect(d.transfers.filter((t) => t.kind === 'harvest').length).toBeGreaterThan(0);
    expect(d.bots.map((b) => b.botId)).toEqual(BOTS);
    expect(d.bots[0]?.capitalBase.values[0]).toBe(150);
  });

  it('compares the metrics with no manager', () => {
    const row = data().metrics.find((m) => m.label === 'transfers');
    expect(row).toEqual({
      label: 'transfers',
      managed: String(result.timeline.length),
      unmanaged: '0',
    });
  });
});

describe('heatmapOf', () => {
  const outcome = (endEquity: number): Outcome => ({
    label: '',
    endEquity,
    maxDrawdown: 0,
    profitRetention: null,
    lossRecovery: null,
    transfers: 0,
    fees: 0,
    daysHalted: 0,
  });

  it('gives each pair of values the best end equity of its sets, leaving the current config out', () => {
    const h = heatmapOf(
      [
        { set: {}, outcome: outcome(5000) },
        { set: { a: 1, b: 'x', c: true }, outcome: outcome(900) },
        { set: { a: 1, b: 'x', c: false }, outcome: outcome(950) },
        { set: { a: 2, b: 'x', c: true }, outcome: outcome(1000) },
        { set: { a: 1, b: 'y', c: true }, outcome: outcome(800) },
      ],
      'a',
      'b',
    );
    expect(h.xs).toEqual(['1', '2']);
    expect(h.ys).toEqual(['x', 'y']);
    expect(h.cells).toEqual([
      [0, 0, 950],
      [1, 0, 1000],
      [0, 1, 800],
    ]);
  });

  it('makes one row of a single parameter', () => {
    const h = heatmapOf([{ set: { a: 1 }, outcome: outcome(900) }], 'a');
    expect(h.ys).toEqual(['—']);
    expect(h.cells).toEqual([[0, 0, 900]]);
  });
});
