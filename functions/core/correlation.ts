/**
 * Correlation monitoring (DESIGN.md §11, the launcher's): whether a pool's bots have become one
 * bet. For each pool, the average pairwise Pearson correlation of its bots' daily returns over
 * `risk.correlation_window` complete UTC days.
 *
 * - A bot's daily return on day d comes from its end-of-day equity (the last snapshot of the UTC
 *   day) on d and on the day before, flow-adjusted like every metric (analytics.ts): a harvest is
 *   not a loss, a refill not a gain. A day without a close, or after one, has no return — a gap is
 *   never bridged by a two-day return that would weigh as one day.
 * - A pair counts only the days both bots have a return. Below MIN_COMMON_DAYS common days, or when
 *   either bot's returns never varied, the pair's correlation is unknown — never 0, which would
 *   read as "independent". A pool's average is over its known pairs; with none, it is unknown.
 * - The current UTC day is left out: its end is not there yet, so the figure changes only at
 *   midnight UTC, which is why the cycle computes it once a day (usecases/correlation.ts).
 *
 * Cost: per pool of n bots over W days, O(n² × W) floating-point steps (n(n−1)/2 pairs, one pass
 * over the window each), plus O(n × W) to build the returns. Floats are fine: nothing here
 * becomes money.
 */
import { type EquitySample, periodReturn } from './analytics.ts';

/** Fewer common daily returns than this and a pair's correlation is unknown. */
export const MIN_COMMON_DAYS = 7;

const DAY_MS = 86_400_000;

/** `2026-11-20`: the UTC day of an ISO time. */
export const dayOf = (iso: string): string => iso.slice(0, 10);

/**
 * The days whose end-of-day equity the window needs, oldest first: the `windowDays` complete UTC
 * days before the day of `asOf`, and the day before them (the first return's start).
 */
export function closeDays(asOf: string, windowDays: number): string[] {
  const today = Date.parse(`${dayOf(asOf)}T00:00:00.000Z`);
  return Array.from({ length: windowDays + 1 }, (_, i) =>
    new Date(today - (windowDays + 1 - i) * DAY_MS).toISOString().slice(0, 10),
  );
}

/** The last sample of each UTC day, by day (samples oldest first, as the store gives them). */
export function endOfDayCloses(samples: readonly EquitySample[]): Map<string, EquitySample> {
  const closes = new Map<string, EquitySample>();
  for (const s of samples) {
    const day = dayOf(s.at);
    const kept = closes.get(day);
    if (kept === undefined || s.at >= kept.at) closes.set(day, s);
  }
  return closes;
}

/**
 * Flow-adjusted daily returns from end-of-day closes, over `days` (consecutive, oldest first):
 * day d has a return when d and the day before it both have a close and that one's balance is
 * above zero. The first day only starts the series.
 */
export function dailyCloseReturns(
  closes: ReadonlyMap<string, EquitySample>,
  days: readonly string[],
): Map<string, number> {
  const out = new Map<string, number>();
  for (let i = 1; i < days.length; i++) {
    const day = days[i];
    const prev = closes.get(days[i - 1] ?? '');
    const cur = closes.get(day ?? '');
    if (day === undefined || !prev || !cur) continue;
    const r = periodReturn(prev.balance, prev.netContributed, cur.balance, cur.netContributed);
    if (r !== undefined && Number.isFinite(r)) out.set(day, r);
  }
  return out;
}

export type PairCorrelation =
  | { readonly known: true; readonly r: number; readonly days: number }
  | { readonly known: false; readonly days: number; readonly why: string };

/** Pearson correlation of two bots' daily returns over the days both have. */
export function pairCorrelation(
  a: ReadonlyMap<string, number>,
  b: ReadonlyMap<string, number>,
): PairCorrelation {
  const xs: number[] = [];
  const ys: number[] = [];
  for (const [day, x] of a) {
    const y = b.get(day);
    if (y !== undefined) {
      xs.push(x);
      ys.push(y);
    }
  }
  const n = xs.length;
  if (n < MIN_COMMON_DAYS) {
    return { known: false, days: n, why: `${n} common daily returns, ${MIN_COMMON_DAYS} needed` };
  }
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += xs[i] ?? 0;
    my += ys[i] ?? 0;
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = (xs[i] ?? 0) - mx;
    const dy = (ys[i] ?? 0) - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  // Returns that never vary (an idle bot) say nothing of moving together.
  if (sxx <= FLAT_VARIANCE * n || syy <= FLAT_VARIANCE * n) {
    return { known: false, days: n, why: 'a bot’s daily returns never varied' };
  }
  // Clamped: rounding may carry a perfect correlation a hair beyond ±1.
  const r = Math.max(-1, Math.min(1, sxy / Math.sqrt(sxx * syy)));
  return { known: true, r, days: n };
}

/** Squared deviations below this per day are float noise of a constant series. */
const FLAT_VARIANCE = 1e-24;

export interface BotCorrelation {
  /** Undefined (unknown) when no pair of the bot is known. */
  readonly average: number | undefined;
  /** Of its pool mates, those it has a known correlation with. */
  readonly knownPairs: number;
}

export interface PoolCorrelation {
  readonly pool: string;
  /** The bots compared: the pool's enabled bots, in config order. */
  readonly bots: readonly string[];
  /** Average of the known pairs' correlations; undefined (unknown) when no pair is known. */
  readonly average: number | undefined;
  /** n(n − 1)/2. */
  readonly pairs: number;
  readonly knownPairs: number;
  /** Fewest common days among the known pairs (what the average rests on); undefined with none. */
  readonly minDays: number | undefined;
  /** Each bot's average correlation with its pool mates over its known pairs (none: unknown). */
  readonly perBot: ReadonlyMap<string, BotCorrelation>;
}

/** Every pool's average pairwise correlation from its bots' daily returns. */
export function poolCorrelations(
  pools: ReadonlyMap<string, readonly string[]>,
  returns: ReadonlyMap<string, ReadonlyMap<string, number>>,
): PoolCorrelation[] {
  const none = new Map<string, number>();
  return [...pools].map(([pool, bots]) => {
    const sums = new Map<string, { s: number; n: number }>(bots.map((b) => [b, { s: 0, n: 0 }]));
    let total = 0;
    let known = 0;
    let minDays: number | undefined;
    for (let i = 0; i < bots.length; i++) {
      for (let j = i + 1; j < bots.length; j++) {
        const a = bots[i] ?? '';
        const b = bots[j] ?? '';
        const c = pairCorrelation(returns.get(a) ?? none, returns.get(b) ?? none);
        if (!c.known) continue;
        total += c.r;
        known++;
        minDays = minDays === undefined ? c.days : Math.min(minDays, c.days);
        for (const id of [a, b]) {
          const acc = sums.get(id);
          if (acc) {
            acc.s += c.r;
            acc.n++;
          }
        }
      }
    }
    return {
      pool,
      bots,
      average: known === 0 ? undefined : total / known,
      pairs: (bots.length * (bots.length - 1)) / 2,
      knownPairs: known,
      minDays,
      perBot: new Map(
        [...sums].map(([id, { s, n }]) => [
          id,
          { average: n === 0 ? undefined : s / n, knownPairs: n },
        ]),
      ),
    };
  });
}
