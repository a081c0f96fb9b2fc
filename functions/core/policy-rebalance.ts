/**
 * Rebalancing (DESIGN.md §3, rule 6): once per `rebalance_interval`, the allocation strategy sets
 * target capital bases inside each pool, and a bot whose base drifts from its target by more than
 * `rebalance_threshold` gets its base moved to the target — in from `reserve:<pool>`, out to it.
 *
 * Readings, each the one that moves less money toward risk where DESIGN.md leaves a choice:
 * - Due when `rebalance_interval` has passed between the state's `last_rebalance` and its `as_of`
 *   (or it never ran). A due check sets `last_rebalance` whether or not a bot drifted, so the
 *   strategy, and the history it reads, run at most once per interval.
 * - A pool's targets cover its enabled bots and share its deployable capital less the capital
 *   bases of its disabled funded bots (money Botfolio does not manage). A pool with an enabled bot
 *   not yet funded is left alone: the bot's allocation comes first.
 * - Drift is relative to the target: |C − target| > rebalance_threshold × target.
 * - In: as much of target − C as `reserve:<pool>` holds (at least min_transfer); never into a
 *   refill-blocked bot (that would be the refill `no_refill_policy` refuses), nor into a bot at or
 *   below the intervention threshold (a refill in all but name, when loss recovery is off), nor
 *   while halted or in black swan. Out: C − target, at most the bot's balance, in every mode.
 */

import { botAccount, reserveAccount } from './accounts.ts';
import { type Alert, alert } from './alerts.ts';
import {
  ALERT_HISTORY_SAMPLES,
  botMetrics,
  dailyReturns,
  type EquitySample,
  flowAdjustedReturns,
} from './analytics.ts';
import type { Config } from './config.ts';
import {
  compareToRatioOf,
  type Money,
  max,
  min,
  type Ratio,
  showMoney,
  sub,
  sum,
  toFloat,
  ZERO,
} from './money.ts';
import { limitNote, showPercent, sizeTransfer } from './policy-amounts.ts';
import { feeRefusal, mayMake, nothing, type Rule, type Target } from './policy-rules.ts';
import { balanceOf, type PortfolioState, readingComplete } from './state.ts';
import {
  NEEDS_HISTORY,
  type StrategyBot,
  strategyWeights,
  targetBases,
  type WeightsFunction,
} from './strategies.ts';
import type { PlannedTransfer } from './transfer.ts';

/** Days of history the history-based strategies are given. */
export const STRATEGY_HISTORY_DAYS = 30;
/** The most samples per bot a cycle reads, whatever its interval. */
export const MAX_HISTORY_SAMPLES = 3_000;
const DAY_MS = 86_400_000;

/** The strategy sets targets this cycle. */
export function rebalanceDue(config: Config, state: PortfolioState): boolean {
  if (config.allocation.strategy === 'fixed') return false;
  if (state.lastRebalance === undefined) return true;
  const since = Date.parse(state.asOf) - Date.parse(state.lastRebalance);
  return since >= config.allocation.rebalanceIntervalMs;
}

/**
 * Samples of history per bot the cycle should read before planning: enough for the history
 * alerts every cycle, and STRATEGY_HISTORY_DAYS of cycles when a history-based rebalance is due.
 */
export function historySamplesToRead(config: Config, state: PortfolioState): number {
  if (!rebalanceDue(config, state) || !NEEDS_HISTORY.has(config.allocation.strategy)) {
    return ALERT_HISTORY_SAMPLES;
  }
  const perDay = Math.ceil(DAY_MS / config.checkIntervalMs);
  return Math.min(
    MAX_HISTORY_SAMPLES,
    Math.max(ALERT_HISTORY_SAMPLES, STRATEGY_HISTORY_DAYS * perDay + 1),
  );
}

export interface Rebalancing {
  /** Target capital bases by bot; empty when no rebalance is due. */
  readonly targets: ReadonlyMap<string, Target>;
  readonly alerts: Alert[];
  /** The strategy ran this cycle: `last_rebalance` becomes the state's `as_of`. */
  readonly ran: boolean;
}

/** The targets of every pool whose strategy can weigh its bots this cycle. */
export function rebalanceTargets(
  config: Config,
  state: PortfolioState,
  samples: ReadonlyMap<string, readonly EquitySample[]>,
  custom: WeightsFunction | undefined,
): Rebalancing {
  // On a partial reading no strategy runs: the next complete one does (DESIGN.md §3).
  if (!rebalanceDue(config, state) || !readingComplete(state)) {
    return { targets: new Map(), alerts: [], ran: false };
  }
  const strategy = config.allocation.strategy;
  const targets = new Map<string, Target>();
  const alerts: Alert[] = [];
  for (const pool of config.pools.values()) {
    const members = config.bots.filter((b) => b.pool === pool.name);
    const enabled = members.filter((b) => b.enabled);
    if (enabled.length === 0 || enabled.some((b) => !state.bots.has(b.botId))) continue;
    const parked = sum(
      members.filter((b) => !b.enabled).map((b) => state.bots.get(b.botId)?.capitalBase ?? ZERO),
    );
    const budget = max(ZERO, sub(pool.deployable, parked));
    const bots = enabled.flatMap((b): StrategyBot[] => {
      const stored = state.bots.get(b.botId);
      if (!stored) return [];
      const s = { ...stored, balance: balanceOf(stored) };
      const own = samples.get(b.botId) ?? [];
      return [
        {
          botId: b.botId,
          weight: b.weight,
          capitalBase: s.capitalBase,
          balance: s.balance,
          metrics: botMetrics(s, own),
          dailyReturns: dailyReturns(flowAdjustedReturns(own)).map((d) => d.r),
        },
      ];
    });
    const result = strategyWeights(strategy, pool.name, budget, bots, custom);
    if (!result.ok) {
      if (result.warn) {
        alerts.push(
          alert(
            'rebalance_skipped',
            `pool ${pool.name} not rebalanced (${strategy === 'custom' ? `custom module ${config.allocation.module}` : strategy}): ${result.reason}`,
          ),
        );
      }
      continue;
    }
    for (const [botId, capitalBase] of targetBases(budget, result.weights)) {
      targets.set(botId, { capitalBase, strategy });
    }
  }
  return { targets, alerts, ran: true };
}

/** How far a value is from its target, and whether that is beyond the threshold. */
export interface Drift {
  /** |value − target|, exact. */
  readonly drift: Money;
  /** drift > threshold × target: the rebalance rule's trigger (relative to the target). */
  readonly beyond: boolean;
  /** "20%": how far, relative to the target (for reasons only). */
  readonly text: string;
}

/**
 * The drift of `value` from `target`, relative to the target: beyond `threshold` when
 * |value − target| > threshold × target (compared exactly). The rebalance rule judges capital
 * bases by it, and `allocation_drift` (allocation-drift.ts) equity shares.
 */
export function driftFrom(value: Money, target: Money, threshold: Ratio): Drift {
  const drift = value > target ? sub(value, target) : sub(target, value);
  return {
    drift,
    beyond: compareToRatioOf(drift, threshold, target) > 0,
    text:
      target <= 0n
        ? 'all of it'
        : `${Number(((toFloat(drift) / toFloat(target)) * 100).toFixed(2))}%`,
  };
}

/** Rule 6: a drifted bot's capital base back to its target. */
export const rebalance: Rule = (ctx, bot) => {
  const target = ctx.targets.get(bot.config.botId);
  if (!target) return undefined;
  const C = bot.state.capitalBase;
  const T = target.capitalBase;
  const threshold = ctx.config.allocation.rebalanceThreshold;
  const { drift, beyond, text } = driftFrom(C, T, threshold);
  if (!beyond) return undefined;

  const { botId } = bot.config;
  const pool = bot.pool.name;
  const into = C < T;
  const to = into ? botAccount(botId) : reserveAccount(pool);
  const from = into ? reserveAccount(pool) : botAccount(botId);
  const lr = ctx.config.lossRecovery;
  const crashed =
    lr !== undefined && compareToRatioOf(bot.state.balance, lr.interventionThreshold, C) <= 0;
  if (
    into &&
    (bot.state.refillBlocked || crashed || !mayMake(ctx, botId, { kind: 'rebalance', to }))
  ) {
    return nothing();
  }
  const available = into ? ctx.budget.available(pool) : bot.state.balance;
  const sized = sizeTransfer(min(drift, available), bot.limits);
  if (!sized) return nothing();
  const costly = feeRefusal(bot, { kind: 'rebalance', to, amount: sized.amount });
  if (costly) return costly;
  if (into) ctx.budget.take(pool, sized.amount);

  const short =
    sized.amount < drift && available < drift
      ? `; ${into ? `${reserveAccount(pool)} holds` : 'the bot holds'} only ${showMoney(available)}`
      : '';
  const reason = `capital base ${showMoney(C)} is ${text} ${into ? 'below' : 'above'} its ${target.strategy} target ${showMoney(T)} (rebalance_threshold ${showPercent(threshold)})${short}${limitNote(sized, bot.limits)}`;
  const transfer: PlannedTransfer = {
    kind: 'rebalance',
    botId,
    from,
    to,
    amount: sized.amount,
    reason,
    leg: 0,
  };
  return {
    transfers: [transfer],
    alerts: [
      alert(
        'rebalance',
        `rebalance ${showMoney(sized.amount)} from ${from} to ${to} (${reason})`,
        botId,
      ),
    ],
  };
};
