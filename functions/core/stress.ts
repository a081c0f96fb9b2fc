/**
 * Stress tests: recorded equity curves bent by a scenario (stress-spec.ts) before the very same
 * backtest replays them — the policy is not touched, only what the bots' equity did. Pure and
 * deterministic: every random choice (a shock's start, a correlated crash's bots, a bootstrap's
 * blocks) draws from a generator seeded by the run's seed and the scenario's place.
 *
 * A shock multiplies each hit bot's curve by a factor of time f(t), counted from the step the
 * shock starts at (t = 0) over its duration D, for a fall X:
 * - crash: f = 1 − X·min(1, t/D) — a straight fall over D, then the curve X lower;
 * - bleed: f = (1 − X)^min(1, t/D) — the same share lost every step, X over D, then X lower;
 * - flash: f = 1 − X·max(0, 1 − t/D) — X lower at the start, back on the curve after D.
 * Points are rounded down to whole 10⁻⁸ units; an empty point takes the last value over first,
 * so the shock moves it too.
 *
 * A bootstrap variant keeps the first point and the clock and draws the step-to-step returns
 * again in blocks of consecutive steps (the same blocks for every bot, so the bots keep moving
 * together as they did): a moving-block bootstrap.
 */
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import type { RandomGenerator } from 'pure-rand/types/RandomGenerator';
import type { EquityCurves } from './backtest-record.ts';
import { seededRng } from './rng.ts';
import { type StressScenario, StressSpecError } from './stress-spec.ts';

type Shock = Extract<StressScenario, { kind: 'shock' }>;
type Bootstrap = Extract<StressScenario, { kind: 'bootstrap' }>;

/** The generator of scenario `index` of a run seeded `seed`: each scenario its own stream. */
export function scenarioRng(seed: number, index: number): RandomGenerator {
  return seededRng(seed, `stress:${index}`);
}

/** A curve with each empty point holding the last value (empty before the first stays empty). */
export function carriedOver(curve: Float64Array): Float64Array {
  const out = Float64Array.from(curve);
  let last = Number.NaN;
  for (let i = 0; i < out.length; i++) {
    const x = out[i] as number;
    if (Number.isNaN(x)) out[i] = last;
    else last = x;
  }
  return out;
}

/** The factor of a shock `t` ms after it started (t ≥ 0). */
export function shockFactor(
  shape: Shock['shape'],
  drop: number,
  t: number,
  durationMs: number,
): number {
  const p = Math.min(1, t / durationMs);
  switch (shape) {
    case 'crash':
      return 1 - drop * p;
    case 'bleed':
      return (1 - drop) ** p;
    case 'flash':
      return 1 - drop * (1 - p);
  }
}

/** A shock as applied: the curves, the step it started at, the bots it hit. */
export interface AppliedShock {
  readonly curves: EquityCurves;
  readonly at: string;
  readonly bots: readonly string[];
}

const refuse = (spec: string, why: string) => new StressSpecError(`--stress "${spec}": ${why}`);

/** The step a shock starts at: the first at or after its TIME, else one the seed picks. */
function startStep(s: Shock, ms: readonly number[], rng: RandomGenerator): number {
  const first = ms[0] ?? 0;
  const last = ms.at(-1) ?? 0;
  const iso = (x: number) => new Date(x).toISOString().replace('.000Z', 'Z');
  if (s.atMs !== undefined) {
    const i = ms.findIndex((t) => t >= (s.atMs as number));
    if (s.atMs < first || i < 0) {
      throw refuse(s.spec, `@${iso(s.atMs)} is outside the curves (${iso(first)} → ${iso(last)})`);
    }
    return i;
  }
  // Seeded: a step from which the whole fall (or recovery) fits in the curves.
  let fits = 0;
  while (fits < ms.length && (ms[fits] as number) + s.durationMs <= last) fits++;
  if (fits === 0) {
    throw refuse(s.spec, `the curves (${iso(first)} → ${iso(last)}) are shorter than its duration`);
  }
  return uniformInt(rng, 0, fits - 1);
}

/** The bots a shock hits, in the curves' order. */
function hitBots(s: Shock, ids: readonly string[], rng: RandomGenerator): string[] {
  switch (s.bots.kind) {
    case 'all':
      return [...ids];
    case 'ids': {
      const wanted = new Set(s.bots.ids);
      const unknown = s.bots.ids.filter((id) => !ids.includes(id));
      if (unknown.length > 0) throw refuse(s.spec, `no curve for bot ${unknown.join(', ')}`);
      return ids.filter((id) => wanted.has(id));
    }
    case 'count': {
      const n = s.bots.count;
      if (n > ids.length) throw refuse(s.spec, `${n} bots, but the curves have ${ids.length}`);
      // A partial Fisher–Yates: the first n of a seeded shuffle.
      const pool = [...ids];
      for (let i = 0; i < n; i++) {
        const j = uniformInt(rng, i, pool.length - 1);
        [pool[i], pool[j]] = [pool[j] as string, pool[i] as string];
      }
      const picked = new Set(pool.slice(0, n));
      return ids.filter((id) => picked.has(id));
    }
  }
}

/** The curves under a shock. */
export function applyShock(curves: EquityCurves, s: Shock, rng: RandomGenerator): AppliedShock {
  const ms = curves.times.map((t) => Date.parse(t));
  const a = startStep(s, ms, rng);
  const start = ms[a] as number;
  const hit = new Set(hitBots(s, [...curves.values.keys()], rng));
  const factors = ms.map((t) =>
    t < start ? 1 : shockFactor(s.shape, s.drop, t - start, s.durationMs),
  );
  const values = new Map<string, Float64Array>();
  for (const [id, curve] of curves.values) {
    if (!hit.has(id)) {
      values.set(id, curve);
      continue;
    }
    const out = carriedOver(curve);
    for (let i = 0; i < out.length; i++) {
      const x = out[i] as number;
      if (!Number.isNaN(x)) out[i] = Math.floor(x * (factors[i] as number));
    }
    values.set(id, out);
  }
  return { curves: { times: curves.times, values }, at: curves.times[a] as string, bots: [...hit] };
}

/** The curves' usual step: the median gap between times (1 when there is one time). */
export function typicalStepMs(times: readonly string[]): number {
  const gaps = times.slice(1).map((t, i) => Date.parse(t) - Date.parse(times[i] as string));
  gaps.sort((x, y) => x - y);
  return gaps[Math.floor(gaps.length / 2)] ?? 1;
}

/** The order a variant takes the steps' returns in: step j of the variant moves as step order[j]. */
export function blockOrder(steps: number, block: number, rng: RandomGenerator): number[] {
  const order: number[] = [];
  const length = Math.min(block, steps);
  while (order.length < steps) {
    const from = uniformInt(rng, 1, steps - length + 1);
    for (let k = 0; k < length && order.length < steps; k++) order.push(from + k);
  }
  return order;
}

/** The curves moved as `order` says: point j = point j−1 × (the return of step order[j−1]). */
export function resampled(curves: EquityCurves, order: readonly number[]): EquityCurves {
  const values = new Map<string, Float64Array>();
  for (const [id, curve] of curves.values) {
    const x = carriedOver(curve);
    const out = new Float64Array(x.length).fill(Number.NaN);
    let level = Number.NaN;
    for (let i = 0; i < x.length; i++) {
      if (Number.isNaN(x[i] as number)) continue;
      if (Number.isNaN(level)) {
        level = x[i] as number;
      } else {
        const j = order[i - 1] ?? i;
        const before = x[j - 1] as number;
        const now = x[j] as number;
        // No return where the bot had no value yet or stood at zero: it stays where it is.
        if (!Number.isNaN(before) && before > 0) level = (level * now) / before;
      }
      const point = Math.floor(level);
      if (!Number.isSafeInteger(point)) {
        throw new StressSpecError(
          `bootstrap: a variant of ${id} grows past 2^53 units (90 million)`,
        );
      }
      out[i] = point;
    }
    values.set(id, out);
  }
  return { times: curves.times, values };
}

/** The scenario's variants, one at a time. */
export function* bootstrapVariants(
  curves: EquityCurves,
  s: Bootstrap,
  rng: RandomGenerator,
): Generator<EquityCurves> {
  const steps = curves.times.length - 1;
  if (steps < 1) throw new StressSpecError(`--stress "${s.spec}": the curves have one point`);
  const block = Math.max(1, Math.round(s.blockMs / typicalStepMs(curves.times)));
  for (let v = 0; v < s.variants; v++) yield resampled(curves, blockOrder(steps, block, rng));
}

/** The p-quantile (0 ≤ p ≤ 1) of `xs` by nearest rank; undefined for none. */
export function percentile(xs: readonly number[], p: number): number | undefined {
  if (xs.length === 0) return undefined;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)];
}
