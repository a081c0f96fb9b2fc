/**
 * Allocation strategies (DESIGN.md §3, the launcher's list): the weights that set target capital
 * bases inside a pool's deployable capital. `fixed` has none (each bot keeps its `allocation`);
 * `equal_weight` and `fixed_percentage` are exact; `performance_based`, `risk_weighted` and
 * `custom` read each bot's daily flow-adjusted returns and work in floats, which become exact
 * integer weights in one place (`integerWeights`) before any amount is computed from them.
 */
import type { BotMetrics } from './analytics.ts';
import type { AllocationStrategy, Config } from './config.ts';
import { gcd, type Money, type Ratio, toFloat, ZERO } from './money.ts';

/** One bot of a pool as a strategy sees it. */
export interface StrategyBot {
  readonly botId: string;
  /** The config's `weight` (fixed_percentage). */
  readonly weight: Ratio | undefined;
  readonly capitalBase: Money;
  readonly balance: Money;
  readonly metrics: BotMetrics;
  /** Daily flow-adjusted returns, oldest first. */
  readonly dailyReturns: readonly number[];
}

/** What a `custom` module's `weights` function receives (plain numbers, snake_case like the config). */
export interface CustomWeightsInput {
  readonly pool: string;
  /** The capital the targets share, in the portfolio currency. */
  readonly budget: number;
  readonly bots: readonly {
    readonly bot_id: string;
    readonly capital_base: number;
    readonly balance: number;
    readonly weight: number | null;
    readonly daily_returns: readonly number[];
    readonly sharpe: number | null;
    readonly win_rate: number | null;
    readonly max_drawdown: number;
  }[];
}

/**
 * The user's allocation logic (`allocation.module` exports it as `weights`): a weight ≥ 0 per bot
 * id, e.g. `{ "bot_a": 2, "bot_b": 1 }`. Weights are relative; targets are shares of the budget.
 * It must be synchronous and deterministic: the same input must give the same weights.
 */
export type WeightsFunction = (input: CustomWeightsInput) => unknown;

/** Daily returns every bot of a pool needs before performance_based or risk_weighted weighs it. */
export const MIN_HISTORY_DAYS = 7;
/** The lowest weight `performance_based` gives, against 1 for a perfect score: no bot is starved. */
export const PERFORMANCE_FLOOR = 0.1;
/** `risk_weighted` treats a daily volatility below this as this (a bot that never moved). */
export const MIN_VOLATILITY = 0.001;

/** Exact weights: target_i = budget × weights_i ÷ divisor (divisor ≥ Σ weights). */
export interface ExactWeights {
  readonly weights: ReadonlyMap<string, bigint>;
  readonly divisor: bigint;
}

export type StrategyResult =
  | { readonly ok: true; readonly weights: ExactWeights }
  | { readonly ok: false; readonly reason: string; readonly warn: boolean };

const skip = (reason: string, warn = false): StrategyResult => ({ ok: false, reason, warn });

/** Strategies that need each bot's history. */
export const NEEDS_HISTORY: ReadonlySet<AllocationStrategy> = new Set([
  'performance_based',
  'risk_weighted',
  'custom',
]);

/**
 * performance_based's score in [−1, 1]: the mean of the annualised Sharpe ratio (clamped to ±3,
 * scaled to ±1), the daily win rate (0.5 → 0) and the max drawdown (0 → 1, 50% → 0, 100% → −1).
 */
export function performanceScore(m: BotMetrics, dailyReturns: readonly number[]): number {
  const meanReturn = dailyReturns.reduce((s, r) => s + r, 0) / Math.max(1, dailyReturns.length);
  // A bot whose returns never varied has no Sharpe ratio: its sign is that of its return.
  const sharpe = m.sharpe ?? 3 * Math.sign(meanReturn);
  const s = Math.max(-3, Math.min(3, sharpe)) / 3;
  const w = 2 * (m.winRate ?? 0.5) - 1;
  const d = 1 - 2 * Math.min(1, m.maxDrawdown);
  return (s + w + d) / 3;
}

/** performance_based's weight: (1 + score) / 2, never below PERFORMANCE_FLOOR. */
export const performanceWeight = (score: number): number =>
  Math.max(PERFORMANCE_FLOOR, (1 + score) / 2);

/** Exact integer weights from non-negative finite floats (normalised to the largest). */
export function integerWeights(weights: ReadonlyMap<string, number>): ExactWeights {
  const top = Math.max(0, ...weights.values());
  const scaled = new Map(
    [...weights].map(([id, w]) => [id, top > 0 ? BigInt(Math.floor((w / top) * 1e12)) : 0n]),
  );
  return { weights: scaled, divisor: [...scaled.values()].reduce((s, w) => s + w, 0n) };
}

/** The weights of one pool's bots under `strategy` (never `fixed`: it has no targets). */
export function strategyWeights(
  strategy: AllocationStrategy,
  pool: string,
  budget: Money,
  bots: readonly StrategyBot[],
  custom: WeightsFunction | undefined,
): StrategyResult {
  if (bots.length === 0) return skip('no bot to weigh');
  switch (strategy) {
    case 'fixed':
      return skip('fixed allocations have no targets');
    case 'equal_weight':
      return {
        ok: true,
        weights: { weights: new Map(bots.map((b) => [b.botId, 1n])), divisor: BigInt(bots.length) },
      };
    case 'fixed_percentage':
      return fixedPercentage(bots);
    case 'custom':
      // The user's function sees whatever history there is and decides what it needs.
      return customWeights(pool, budget, bots, custom);
    default:
      break;
  }
  const short = bots.filter((b) => b.dailyReturns.length < MIN_HISTORY_DAYS);
  if (short.length > 0) {
    return skip(
      `${short.map((b) => b.botId).join(', ')} ${short.length === 1 ? 'has' : 'have'} fewer than ${MIN_HISTORY_DAYS} days of returns`,
    );
  }
  if (strategy === 'performance_based') {
    return {
      ok: true,
      weights: integerWeights(
        new Map(
          bots.map((b) => [
            b.botId,
            performanceWeight(performanceScore(b.metrics, b.dailyReturns)),
          ]),
        ),
      ),
    };
  }
  return {
    ok: true,
    weights: integerWeights(
      new Map(bots.map((b) => [b.botId, 1 / Math.max(MIN_VOLATILITY, b.metrics.volatility ?? 0)])),
    ),
  };
}

/**
 * Each bot's `weight` is its share of the pool's capital: weights summing to less than 1 leave the
 * rest in the pool reserve; weights summing to more are scaled down to fit (never over-allocate).
 */
function fixedPercentage(bots: readonly StrategyBot[]): StrategyResult {
  const missing = bots.filter((b) => b.weight === undefined).map((b) => b.botId);
  if (missing.length > 0) return skip(`no weight for ${missing.join(', ')}`, true);
  const lcm = bots.reduce((l, b) => (b.weight ? (l * b.weight.den) / gcd(l, b.weight.den) : l), 1n);
  const weights = new Map(
    bots.map((b) => [b.botId, b.weight ? (b.weight.num * lcm) / b.weight.den : 0n]),
  );
  const total = [...weights.values()].reduce((s, w) => s + w, 0n);
  return { ok: true, weights: { weights, divisor: total > lcm ? total : lcm } };
}

function customWeights(
  pool: string,
  budget: Money,
  bots: readonly StrategyBot[],
  custom: WeightsFunction | undefined,
): StrategyResult {
  if (!custom) return skip('the custom allocation module is not loaded here', true);
  const input: CustomWeightsInput = {
    pool,
    budget: toFloat(budget),
    bots: bots.map((b) => ({
      bot_id: b.botId,
      capital_base: toFloat(b.capitalBase),
      balance: toFloat(b.balance),
      weight: b.weight ? Number(b.weight.num) / Number(b.weight.den) : null,
      daily_returns: [...b.dailyReturns],
      sharpe: b.metrics.sharpe ?? null,
      win_rate: b.metrics.winRate ?? null,
      max_drawdown: b.metrics.maxDrawdown,
    })),
  };
  let out: unknown;
  try {
    out = custom(input);
  } catch (e) {
    return skip(`the custom weights function threw: ${(e as Error)?.message ?? String(e)}`, true);
  }
  const entries: [string, unknown][] =
    out instanceof Map
      ? [...out]
      : typeof out === 'object' && out !== null
        ? Object.entries(out)
        : [];
  const given = new Map(entries);
  const problems: string[] = [];
  if (typeof out !== 'object' || out === null || out instanceof Promise) {
    problems.push('it must return an object of bot id → weight (synchronously)');
  }
  for (const id of given.keys()) {
    if (!bots.some((b) => b.botId === id)) problems.push(`"${id}" is not a bot of pool ${pool}`);
  }
  const weights = new Map<string, number>();
  for (const b of bots) {
    const w = given.get(b.botId);
    if (typeof w !== 'number' || !Number.isFinite(w) || w < 0) {
      problems.push(`weight of ${b.botId} must be a finite number ≥ 0 (got ${JSON.stringify(w)})`);
    } else weights.set(b.botId, w);
  }
  if (problems.length === 0 && [...weights.values()].every((w) => w === 0)) {
    problems.push('every weight is 0');
  }
  if (problems.length > 0) return skip(`custom weights refused: ${problems.join('; ')}`, true);
  return { ok: true, weights: integerWeights(weights) };
}

/** A bot's metrics before it has any history. */
const NO_HISTORY: BotMetrics = {
  pnl: ZERO,
  days: 0,
  winRate: undefined,
  sharpe: undefined,
  maxDrawdown: 0,
  volatility: undefined,
};

/**
 * What a `custom` function answers on a sample of each pool: its enabled bots at their
 * allocations, with no history — the input of a new portfolio's first rebalance. One refusal per
 * pool whose answer would leave it alone (a throw, a bot missing, a weight that is not a number
 * ≥ 0); none when every pool gets weights.
 */
export function customSampleRefusals(config: Config, custom: WeightsFunction): string[] {
  return [...config.pools.values()].flatMap((pool) => {
    const bots = config.bots
      .filter((b) => b.pool === pool.name && b.enabled)
      .map(
        (b): StrategyBot => ({
          botId: b.botId,
          weight: b.weight,
          capitalBase: b.allocation,
          balance: b.allocation,
          metrics: NO_HISTORY,
          dailyReturns: [],
        }),
      );
    if (bots.length === 0) return [];
    const result = customWeights(pool.name, pool.deployable, bots, custom);
    return result.ok ? [] : [`pool ${pool.name}: ${result.reason}`];
  });
}

/** Target capital bases: budget × weight ÷ divisor, rounded down (they never sum above budget). */
export function targetBases(budget: Money, w: ExactWeights): Map<string, Money> {
  return new Map(
    [...w.weights].map(([id, x]) => [
      id,
      (w.divisor > 0n ? (budget * x) / w.divisor : 0n) as Money,
    ]),
  );
}
