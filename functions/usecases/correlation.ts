/**
 * Correlation monitoring over the stored performance series (core/correlation.ts has the math):
 * reads each compared bot's end-of-day equity over `risk.correlation_window` and computes every
 * pool's average pairwise correlation; `bots_correlated` warns of a pool above
 * `risk.max_correlation`. The cycle runs it once per UTC day (the figure rests on complete days
 * only, so it cannot change in between); `botfolio bot` and `status --json` run it on demand.
 *
 * Reads: one single-item query per bot per window day plus one (W + 1 for W days), whatever the
 * check interval; compute O(n² × W) per pool of n bots. Bounded by the window (at most 365 days).
 */
import { type Alert, poolAlert } from '../core/alerts.ts';
import type { Config } from '../core/config.ts';
import {
  closeDays,
  dailyCloseReturns,
  dayOf,
  endOfDayCloses,
  MIN_COMMON_DAYS,
  type PoolCorrelation,
  poolCorrelations,
} from '../core/correlation.ts';
import type { PerformanceStore } from '../core/store-ports.ts';

/** The pools' bots correlation compares: the enabled ones, by pool, in config order. */
export function comparedBots(config: Config): Map<string, string[]> {
  const pools = new Map<string, string[]>([...config.pools.keys()].map((p) => [p, []]));
  for (const b of config.bots) if (b.enabled) pools.get(b.pool)?.push(b.botId);
  return pools;
}

/** Every pool's correlation as of `asOf`, from the stored end-of-day equity. */
export async function readPoolCorrelations(
  config: Config,
  performance: Pick<PerformanceStore, 'endOfDay'>,
  asOf: string,
  pools: ReadonlyMap<string, readonly string[]> = comparedBots(config),
): Promise<PoolCorrelation[]> {
  const days = closeDays(asOf, config.risk.correlationWindowDays);
  const returns = new Map<string, Map<string, number>>();
  // Bot by bot (each bot's days at once): the reads stay bounded by the window, not the fleet.
  for (const bots of pools.values()) {
    if (bots.length < 2) continue; // no pair to compare
    for (const botId of bots) {
      const closes = await performance.endOfDay(config.portfolioId, botId, days);
      returns.set(botId, dailyCloseReturns(endOfDayCloses(closes), days));
    }
  }
  return poolCorrelations(pools, returns);
}

/** True when `asOf` starts a new UTC day after `previous`: the day's first cycle checks correlation. */
export const correlationDue = (previous: string, asOf: string): boolean =>
  dayOf(asOf) > dayOf(previous);

/** `bots_correlated` for each pool whose known average exceeds `risk.max_correlation`. */
export function correlationAlerts(
  config: Config,
  correlations: readonly PoolCorrelation[],
): Alert[] {
  const limit = config.risk.maxCorrelation;
  if (limit === undefined) return [];
  return correlations.flatMap((c) =>
    c.average !== undefined && c.average > limit
      ? [
          poolAlert(
            'bots_correlated',
            `pool ${c.pool}: its bots' daily returns correlate ${c.average.toFixed(2)} on average, above risk.max_correlation ${limit} (${c.knownPairs} of ${c.pairs} pairs known, over at least ${c.minDays} common days of the last ${config.risk.correlationWindowDays}): they are close to one bet`,
            c.pool,
          ),
        ]
      : [],
  );
}

/** A pool's correlation as JSON (`status --json`'s additive `correlation` per pool). */
export function correlationJson(c: PoolCorrelation, windowDays: number): Record<string, unknown> {
  return {
    average: c.average ?? null,
    known: c.average !== undefined,
    pairs: c.pairs,
    known_pairs: c.knownPairs,
    min_common_days: c.minDays ?? null,
    window_days: windowDays,
    bots: Object.fromEntries([...c.perBot].map(([id, r]) => [id, r.average ?? null])),
  };
}

export { MIN_COMMON_DAYS };
