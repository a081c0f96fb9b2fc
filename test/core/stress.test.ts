/** Stress scenarios: their syntax (core/stress-spec.ts) and what they do to curves (core/stress.ts). */
import { describe, expect, it } from 'vitest';
import type { EquityCurves } from '../../functions/core/backtest.ts';
import {
  applyShock,
  blockOrder,
  bootstrapVariants,
  percentile,
  resampled,
  scenarioRng,
} from '../../functions/core/stress.ts';
import {
  parseScenario,
  parseStress,
  type StressScenario,
} from '../../functions/core/stress-spec.ts';

const HOUR = 3_600_000;
/** Hourly points from 2026-01-01T00:00Z. */
function hourly(values: Record<string, (number | undefined)[]>): EquityCurves {
  const n = Object.values(values)[0]?.length ?? 0;
  return {
    times: Array.from({ length: n }, (_, i) => `2026-01-01T${String(i).padStart(2, '0')}:00:00Z`),
    values: new Map(
      Object.entries(values).map(([id, xs]) => [
        id,
        Float64Array.from(xs, (x) => (x === undefined ? Number.NaN : x)),
      ]),
    ),
  };
}
const shock = (spec: string) => {
  const s = parseScenario(spec);
  if (s.kind !== 'shock') throw new Error('not a shock');
  return s;
};
const points = (c: EquityCurves, id: string) =>
  [...(c.values.get(id) ?? [])].map((x) => (Number.isNaN(x) ? undefined : x));

describe('--stress syntax', () => {
  it('reads each kind, with and without a start time', () => {
    expect(parseStress('crash:30%:6h,bleed:12.5%:14d@2026-01-15,bootstrap:200')).toEqual([
      {
        kind: 'shock',
        spec: 'crash:30%:6h',
        shape: 'crash',
        drop: 0.3,
        durationMs: 6 * HOUR,
        bots: { kind: 'all' },
        atMs: undefined,
      },
      {
        kind: 'shock',
        spec: 'bleed:12.5%:14d@2026-01-15',
        shape: 'bleed',
        drop: 0.125,
        durationMs: 14 * 24 * HOUR,
        bots: { kind: 'all' },
        atMs: Date.parse('2026-01-15T00:00:00Z'),
      },
      { kind: 'bootstrap', spec: 'bootstrap:200', variants: 200, blockMs: 24 * HOUR },
    ] satisfies StressScenario[]);
    expect(shock('flash:40%:15m@2026-01-15T06:00Z')).toMatchObject({
      shape: 'flash',
      durationMs: 15 * 60_000,
      atMs: Date.parse('2026-01-15T06:00:00Z'),
    });
    expect(shock('correlated:50%:2h:a+b.c').bots).toEqual({ kind: 'ids', ids: ['a', 'b.c'] });
    expect(shock('correlated:50%:2h:3').bots).toEqual({ kind: 'count', count: 3 });
    expect(parseScenario('bootstrap:10:12h')).toMatchObject({ variants: 10, blockMs: 12 * HOUR });
  });

  it.each([
    ['crash:30:6h', '"30" is not a fall'],
    ['crash:100%:6h', '"100%" is not a fall'],
    ['crash:30%:6', 'duration "6" is not a duration'],
    ['flash:30%:0m', 'recovery "0m" is not a duration'],
    ['crash:30%', 'expected crash:X%:DURATION[@TIME]'],
    ['crash:30%:6h@yesterday', '"@yesterday" is not an ISO date or date-time'],
    ['correlated:30%:6h', 'expected correlated:X%:DURATION:BOTS[@TIME]'],
    ['correlated:30%:6h:1', '"1": a correlated crash hits at least 2 bots'],
    ['correlated:30%:6h:a+a', '"a+a" names a bot twice'],
    ['correlated:30%:6h:a+', '"a+" is not bots'],
    ['bootstrap:0', '"0" is not a number of variants'],
    ['bootstrap:5:1w', 'block "1w" is not a duration'],
    ['bootstrap:5@2026-01-01', 'a bootstrap has no @TIME'],
    ['melt:30%:6h', '"melt" is not a scenario (crash, bleed, flash, correlated or bootstrap)'],
  ])('refuses %s, naming what is wrong', (spec, why) => {
    expect(() => parseStress(spec)).toThrow(`--stress "${spec}": ${why}`);
  });

  it('refuses an empty scenario in the list', () => {
    expect(() => parseStress('crash:30%:6h,,bootstrap:5')).toThrow('an empty scenario');
  });
});

describe('shocks', () => {
  const flat = hourly({ a: [1000, 1000, 1000, 1000, 1000], b: [800, 800, 800, 800, 800] });
  const rng = () => scenarioRng(1, 0);

  it('crash: a straight fall over its duration from its start, then stays down', () => {
    const r = applyShock(flat, shock('crash:20%:2h@2026-01-01T01:00Z'), rng());
    expect(r.at).toBe('2026-01-01T01:00:00Z');
    expect(points(r.curves, 'a')).toEqual([1000, 1000, 900, 800, 800]);
    expect(points(r.curves, 'b')).toEqual([800, 800, 720, 640, 640]);
  });

  it('bleed: the same share lost each step', () => {
    const r = applyShock(flat, shock('bleed:75%:2h@2026-01-01T01:00Z'), rng());
    expect(points(r.curves, 'a')).toEqual([1000, 1000, 500, 250, 250]);
  });

  it('flash: down at once, back on the curve after its duration', () => {
    const r = applyShock(flat, shock('flash:50%:2h@2026-01-01T01:00Z'), rng());
    expect(points(r.curves, 'a')).toEqual([1000, 500, 750, 1000, 1000]);
  });

  it('moves an empty point too (the last value carried over first), rounding down to units', () => {
    const gaps = hourly({ a: [undefined, 999, undefined, 1001, undefined] });
    const r = applyShock(gaps, shock('crash:10%:1h@2026-01-01T01:00Z'), rng());
    expect(points(r.curves, 'a')).toEqual([undefined, 999, 899, 900, 900]);
  });

  it('starts at the first step at or after its time', () => {
    const r = applyShock(flat, shock('flash:50%:1h@2026-01-01T02:30Z'), rng());
    expect(r.at).toBe('2026-01-01T03:00:00Z');
    expect(points(r.curves, 'a')).toEqual([1000, 1000, 1000, 500, 1000]);
  });

  it('correlated: only the bots named', () => {
    const three = hourly({ a: [10, 10, 10], b: [10, 10, 10], c: [10, 10, 10] });
    const r = applyShock(three, shock('correlated:50%:1h:a+c@2026-01-01T00:00Z'), rng());
    expect(r.bots).toEqual(['a', 'c']);
    expect(points(r.curves, 'a')).toEqual([10, 5, 5]);
    expect(points(r.curves, 'b')).toEqual([10, 10, 10]);
    expect(points(r.curves, 'c')).toEqual([10, 5, 5]);
  });

  it('correlated: N distinct bots the seed picks, the same for the same seed', () => {
    const many = hourly(Object.fromEntries('abcdefgh'.split('').map((id) => [id, [10, 10, 10]])));
    const s = shock('correlated:50%:1h:3');
    const once = applyShock(many, s, scenarioRng(5, 0));
    expect(new Set(once.bots).size).toBe(3);
    expect(applyShock(many, s, scenarioRng(5, 0)).bots).toEqual(once.bots);
    const seeds = new Set(
      [1, 2, 3, 4, 6, 7, 8].map((seed) => applyShock(many, s, scenarioRng(seed, 0)).bots.join()),
    );
    expect(seeds.size).toBeGreaterThan(1);
  });

  it('without a time, starts where the seed says and where the whole fall fits', () => {
    const long = hourly({ a: Array.from({ length: 24 }, () => 100) });
    const s = shock('crash:50%:6h');
    const starts = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map(
      (seed) => applyShock(long, s, scenarioRng(seed, 0)).at,
    );
    for (const at of starts)
      expect(Date.parse(at) + 6 * HOUR).toBeLessThanOrEqual(Date.parse(long.times.at(-1) ?? ''));
    expect(applyShock(long, s, scenarioRng(3, 0)).at).toBe(starts[2]);
    expect(new Set(starts).size).toBeGreaterThan(1);
  });

  it('refuses a time outside the curves, a bot without a curve, a span shorter than the shock', () => {
    expect(() => applyShock(flat, shock('crash:5%:1h@2027-01-01'), rng())).toThrow(
      'is outside the curves',
    );
    expect(() => applyShock(flat, shock('correlated:5%:1h:a+z'), rng())).toThrow(
      'no curve for bot z',
    );
    expect(() => applyShock(flat, shock('correlated:5%:1h:3'), rng())).toThrow(
      '3 bots, but the curves have 2',
    );
    expect(() => applyShock(flat, shock('crash:5%:5h'), rng())).toThrow(
      'shorter than its duration',
    );
  });
});

describe('bootstrap', () => {
  const curves = hourly({
    a: [100, 110, 99, 120, 90, 100, 130, 125, 140, 100],
    b: [undefined, 50, 55, 60, 40, 45, 50, 55, 70, 60],
  });
  const scenario = parseScenario('bootstrap:20:3h');
  if (scenario.kind !== 'bootstrap') throw new Error('not a bootstrap');

  it('replays the curves as they were when the steps come in their own order', () => {
    const same = resampled(curves, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(points(same, 'a')).toEqual(points(curves, 'a'));
    expect(points(same, 'b')).toEqual(points(curves, 'b'));
  });

  it('moves every bot with the same step, from its own first point', () => {
    // Step 3 (99 → 120 for a, 55 → 60 for b) three times, then step 1 and so on.
    const v = resampled(curves, [3, 3, 3, 1, 1, 1, 1, 1, 1]);
    expect(points(v, 'a').slice(0, 3)).toEqual([
      100,
      Math.floor((100 * 120) / 99),
      Math.floor((((100 * 120) / 99) * 120) / 99),
    ]);
    // b has no point at first: it starts on its own first one and takes step 3 from then on.
    expect(points(v, 'b').slice(0, 3)).toEqual([undefined, 50, Math.floor((50 * 60) / 55)]);
  });

  it('draws whole blocks of consecutive steps', () => {
    const order = blockOrder(9, 3, scenarioRng(1, 0));
    expect(order).toHaveLength(9);
    for (let k = 0; k < 9; k += 3) {
      expect(order[k + 1]).toBe((order[k] ?? 0) + 1);
      expect(order[k + 2]).toBe((order[k] ?? 0) + 2);
      expect(order[k]).toBeGreaterThanOrEqual(1);
      expect(order[k]).toBeLessThanOrEqual(7);
    }
  });

  it('gives the same variants for the same seed and others for another', () => {
    const run = (seed: number) =>
      [...bootstrapVariants(curves, scenario, scenarioRng(seed, 0))].map((v) => points(v, 'a'));
    expect(run(42)).toEqual(run(42));
    expect(run(42)).not.toEqual(run(43));
    expect(run(42)).toHaveLength(20);
  });

  it('takes the nearest-rank percentiles, in order', () => {
    const xs = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect([percentile(xs, 0.05), percentile(xs, 0.5), percentile(xs, 0.95)]).toEqual([5, 50, 95]);
    const ends = [...bootstrapVariants(curves, scenario, scenarioRng(7, 0))].map(
      (v) => v.values.get('a')?.at(-1) ?? 0,
    );
    const [p5, p50, p95] = [0.05, 0.5, 0.95].map((p) => percentile(ends, p) ?? 0);
    expect(p5).toBeLessThanOrEqual(p50 as number);
    expect(p50).toBeLessThanOrEqual(p95 as number);
    expect(percentile([], 0.5)).toBeUndefined();
  });
});
