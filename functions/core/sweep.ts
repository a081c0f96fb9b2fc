/**
 * Parameter sweeps of a backtest: a sweep file names config paths (as in the config file, dotted:
 * `pools.low_frequency.harvest_threshold`) and the values to try; the sets are their grid, or a
 * seeded random sample of it. Each set is the config file with those values put in, validated
 * as any config is. Pure: reading files and running backtests are the caller's.
 */
import * as z from 'zod';
import type { BacktestResult, EquityCurves } from './backtest.ts';
import type { Config } from './config.ts';
import { toFloat } from './money.ts';

export class InvalidSweepError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidSweepError';
  }
}

const sweepSchema = z.strictObject({
  mode: z.enum(['grid', 'random']).default('grid'),
  samples: z.number().int().min(1).optional(),
  seed: z.number().int().default(1),
  parameters: z.record(
    z.string(),
    z.array(z.union([z.number(), z.string(), z.boolean()])).min(1, 'expected at least one value'),
  ),
});

export type ParameterSet = Readonly<Record<string, number | string | boolean>>;

export interface Sweep {
  readonly sets: readonly ParameterSet[];
}

type Json = Record<string, unknown>;

/** The value at a dotted path of a config's JSON, or undefined when the path is not there. */
function at(json: unknown, path: string): unknown {
  let node = json;
  for (const key of path.split('.')) {
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, key)) return undefined;
    node = (node as Json)[key];
  }
  return node;
}

/** The config's JSON with `set`'s values at their paths. */
export function withParameters(config: unknown, set: ParameterSet): unknown {
  const copy = structuredClone(config) as Json;
  for (const [path, value] of Object.entries(set)) {
    const keys = path.split('.');
    const last = keys.pop() as string;
    let node: Json = copy;
    for (const key of keys) node = node[key] as Json;
    node[last] = value;
  }
  return copy;
}

/**
 * The parameter sets of a sweep file's JSON for a config's JSON; a key the config does not have,
 * a bad value list or more random samples than the grid has are refused, naming them.
 */
export function parseSweep(input: unknown, config: unknown): Sweep {
  const parsed = sweepSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue?.path.join('.') || '(top)';
    throw new InvalidSweepError(`${path}: ${issue?.message ?? 'invalid'}`);
  }
  const { mode, samples, seed, parameters } = parsed.data;
  const keys = Object.keys(parameters);
  if (keys.length === 0) throw new InvalidSweepError('parameters: name at least one config path');
  for (const key of keys) {
    const now = at(config, key);
    if (now === undefined || (typeof now === 'object' && now !== null)) {
      throw new InvalidSweepError(
        `parameters.${key}: not a setting of the config (a dotted path to a value, e.g. pools.<pool>.harvest_threshold)`,
      );
    }
  }
  let sets: ParameterSet[] = [{}];
  for (const key of keys) {
    sets = sets.flatMap((s) => (parameters[key] ?? []).map((v) => ({ ...s, [key]: v })));
  }
  if (mode === 'random') {
    const n = samples ?? Math.min(sets.length, 100);
    if (n > sets.length) {
      throw new InvalidSweepError(`samples: ${n} is more than the grid's ${sets.length} sets`);
    }
    sets = sample(sets, n, seed);
  } else if (samples !== undefined) {
    throw new InvalidSweepError('samples: only with mode "random"');
  }
  return { sets };
}

/** `n` of `xs` without repeats, by a seeded Fisher–Yates (mulberry32). */
function sample<T>(xs: readonly T[], n: number, seed: number): T[] {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const copy = [...xs];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy.slice(0, n);
}

/** What a sweep's table shows of one backtest. */
export interface Outcome {
  readonly label: string;
  readonly endEquity: number;
  readonly maxDrawdown: number;
  readonly profitRetention: number | null;
  readonly lossRecovery: number | null;
  readonly transfers: number;
  readonly fees: number;
  readonly daysHalted: number;
}

/** The columns a table of outcomes shows after the end equity, in Outcome's order. */
export const OUTCOME_COLUMNS = [
  'max DD',
  'retention',
  'recovery',
  'transfers',
  'fees',
  'days halted',
] as const;

/** What the table shows of a backtest. */
export function outcomeOf(label: string, r: BacktestResult): Outcome {
  return {
    label,
    endEquity: toFloat(r.endEquity),
    maxDrawdown: r.maxDrawdown,
    profitRetention: r.portfolio.profitRetention ?? null,
    lossRecovery: r.portfolio.lossRecovery.rate ?? null,
    transfers: r.timeline.length,
    fees: toFloat(r.fees),
    daysHalted: r.daysHalted,
  };
}

/** Best first: higher end equity, then the smaller drawdown. */
export const rank = (outcomes: readonly Outcome[]): Outcome[] =>
  [...outcomes].sort((a, b) => b.endEquity - a.endEquity || a.maxDrawdown - b.maxDrawdown);

/**
 * No manager at all, cycle by cycle: each bot left with its allocation, moving with its curve,
 * the rest of the capital idle. Portfolio equity in the currency, one point per curve row.
 */
export function unmanagedEquity(config: Config, curves: EquityCurves): Float64Array {
  const idle =
    toFloat(config.totalCapital) - config.bots.reduce((s, b) => s + toFloat(b.allocation), 0);
  const held = config.bots.map((b) => ({
    allocation: toFloat(b.allocation),
    curve: curves.values.get(b.botId),
  }));
  const firsts = held.map((h) => h.curve?.find((x) => !Number.isNaN(x)));
  const lasts = firsts.map(() => Number.NaN);
  const out = new Float64Array(curves.times.length);
  for (let i = 0; i < curves.times.length; i++) {
    let equity = idle;
    held.forEach((h, k) => {
      const x = h.curve?.[i];
      if (x !== undefined && !Number.isNaN(x)) lasts[k] = x;
      const first = firsts[k];
      const last = lasts[k] ?? Number.NaN;
      equity += first && !Number.isNaN(last) ? (h.allocation * last) / first : h.allocation;
    });
    out[i] = equity;
  }
  return out;
}

/** No manager at all: each bot left with its allocation, the rest of the capital idle. */
export function unmanagedOutcome(
  config: Config,
  curves: EquityCurves,
): Pick<Outcome, 'endEquity' | 'maxDrawdown'> {
  const series = unmanagedEquity(config, curves);
  let peak = 0;
  let worst = 0;
  for (const equity of series) {
    if (equity > peak) peak = equity;
    else if (peak > 0) worst = Math.max(worst, (peak - equity) / peak);
  }
  const idle =
    toFloat(config.totalCapital) - config.bots.reduce((s, b) => s + toFloat(b.allocation), 0);
  return { endEquity: series.at(-1) ?? idle, maxDrawdown: worst };
}
