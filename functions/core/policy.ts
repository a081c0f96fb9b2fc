/**
 * The policy engine (DESIGN.md §3): from the config and the portfolio's state, the plan of one
 * cycle — the mode, its flags, the peak equity, the transfers to make, the alerts to send, and the
 * bookkeeping the cycle must persist (refill blocks, when the strategy last ran). Pure and
 * deterministic: no I/O, no clock (the state's `as_of` is "now"), the same input gives the same plan.
 *
 * The mode flags are computed first (policy-modes.ts). Then bots are decided in config order, and
 * each gets at most one decision: the first rule that applies to it decides, even when what it
 * decides is to do nothing (policy-rules.ts, policy-rebalance.ts). Every amount goes through
 * `sizeTransfer` (cap, precision, minimum), and every reserve through one `ReserveBudget`, so no plan
 * spends a reserve twice or takes the emergency reserve below its minimum (policy-amounts.ts).
 *
 * Readings where DESIGN.md leaves a choice (the safer one: less money moved toward risk):
 * - A harvest planned into a reserve does not fund a refill or an allocation of the same plan.
 * - A refill is capped and rounded as a whole before it is split across its sources.
 * - Halted refuses every risk-adding transfer, also in black swan with `no_refill_policy` false.
 * - An allocation is all or nothing.
 * - On black swan's entry cycle every funded bot with B > 0 that has no transfer in flight is
 *   protected, disabled bots included (their money is at risk too); a bot in flight is not (one
 *   transfer per bot at a time), and the entry alert names it.
 * - Under `no_refill_policy`, every bot funded at entry becomes refill-blocked (in flight,
 *   disabled or with nothing to protect alike); a block lifts once the episode is over and the
 *   bot's balance is back at its capital base (B ≥ C), or when an operator unblocks it.
 * - `unusual_loss` and `performance_degraded` (analytics.ts) judge only bots with no transfer in
 *   flight: a transfer half done would look like a loss.
 */

import { type Alert, alert } from './alerts.ts';
import { allocationDriftAlerts } from './allocation-drift.ts';
import {
  type EquitySample,
  flowAdjustedReturns,
  judgedReturns,
  netContributed,
  performanceDegraded,
  type RecentReturns,
  unusualLoss,
} from './analytics.ts';
import type { BotConfig, Config } from './config.ts';
import { type Drift, NO_DRIFT } from './drift.ts';
import { type BotHealth, healthAlerts, isMonitored, notRunningWhy } from './health.ts';
import { type Money, showMoney, sum, ZERO } from './money.ts';
import { limitsOf, ReserveBudget } from './policy-amounts.ts';
import { type Modes, nextModes } from './policy-modes.ts';
import { rebalance, rebalanceTargets } from './policy-rebalance.ts';
import {
  allocate,
  type Context,
  type Decision,
  type FundedBot,
  harvest,
  nothing,
  portfolioAlerts,
  protect,
  type Rule,
  refill,
} from './policy-rules.ts';
import {
  type BotState,
  type Flags,
  isKnown,
  type KnownBotState,
  type Mode,
  modeOf,
  type PortfolioState,
  portfolioEquity,
} from './state.ts';
import type { WeightsFunction } from './strategies.ts';
import type { PlannedTransfer } from './transfer.ts';

export { historySamplesToRead, rebalanceDue } from './policy-rebalance.ts';
export { permits } from './policy-rules.ts';

export { type Mode, modeOf, portfolioEquity };

/** A bot whose refills become blocked or unblocked with this plan. */
export interface RefillBlockChange {
  readonly botId: string;
  readonly blocked: boolean;
  readonly reason: string;
}

/** What the manager would do now. */
export interface Plan {
  readonly mode: Mode;
  /** The mode flags after this cycle (latched in state). */
  readonly flags: Flags;
  /** max(previous peak, equity now). */
  readonly peakEquity: Money;
  /** Σ bot balances + Σ reserves now; undefined on a partial reading (a balance is unknown). */
  readonly equity: Money | undefined;
  readonly transfers: PlannedTransfer[];
  readonly alerts: Alert[];
  /** Refill blocks to set or lift (`no_refill_policy`); the cycle persists them. */
  readonly refillBlocks: RefillBlockChange[];
  /** When the allocation strategy last ran, this plan included (the state's `last_rebalance`). */
  readonly lastRebalance: string | undefined;
  /** Every configured bot's health this plan was made on (DESIGN.md §11). */
  readonly health: ReadonlyMap<string, BotHealth>;
}

export interface PlanOptions {
  /** Bots with a transfer still running (besides those the state marks `in_flight`). */
  readonly inFlight?: ReadonlySet<string>;
  /**
   * Each bot's earlier equity samples, oldest first (the performance series). The plan adds the
   * state's own sample. Without them, the history alerts and history-based strategies stay silent.
   */
  readonly history?: ReadonlyMap<string, readonly EquitySample[]>;
  /**
   * Each bot's recent returns, kept from cycle to cycle (the same periods as the last
   * ALERT_HISTORY_SAMPLES samples of its series): the history alerts judge them, with the
   * state's own sample added, instead of the bot's `history`.
   */
  readonly recent?: ReadonlyMap<string, RecentReturns>;
  /** The `custom` strategy's function (the config's `allocation.module`, loaded at the edge). */
  readonly customWeights?: WeightsFunction;
  /** Each bot's last known balance, shown (as stale) in a `balance_unknown` alert. */
  readonly lastKnown?: ReadonlyMap<string, Money>;
  /**
   * Why each unknown balance is unknown (the exchange reading's reason). An unfunded bot named
   * here was read and not known: it gets no allocation this cycle.
   */
  readonly unknownWhy?: ReadonlyMap<string, string>;
  /**
   * Known balances of configured bots without books: one holding `min_transfer` or more is not
   * allocated (that would fund it twice) but waits for `adopt` (DESIGN.md §10).
   */
  readonly unbooked?: ReadonlyMap<string, Money>;
  /** Where the books and the config disagree (drift.ts): what it names is left alone. */
  readonly drift?: Drift;
  /**
   * Each bot's health as the cycle judged it (core/health.ts). A monitored bot missing here is
   * of unknown health: as good as not running, no money goes into it.
   */
  readonly health?: ReadonlyMap<string, BotHealth>;
}

/** Every configured bot's health: as given, or unknown (stale) for a monitored bot not given. */
function fleetHealth(
  config: Config,
  given: ReadonlyMap<string, BotHealth> | undefined,
): Map<string, BotHealth> {
  const out = new Map<string, BotHealth>();
  for (const bot of config.bots) {
    const h = given?.get(bot.botId);
    if (!isMonitored(bot))
      out.set(bot.botId, { status: 'not_monitored', reason: 'no health source configured' });
    else
      out.set(
        bot.botId,
        h && h.status !== 'not_monitored'
          ? h
          : { status: 'stale', reason: 'its health was not read for this plan' },
      );
  }
  return out;
}

/** The rules for a funded, enabled bot, in DESIGN.md §3's order; the first that applies decides. */
export const FUNDED_RULES: readonly Rule[] = [protect, harvest, refill, rebalance];

/**
 * The deployed ratio `R` = Σ B / Σ C over funded, enabled bots, as its two exact sums (the
 * black-swan test compares them exactly); undefined when no capital is deployed.
 */
export function deployedSums(
  config: Config,
  state: PortfolioState,
): { balance: Money; capitalBase: Money } | undefined {
  const bots = config.bots.filter((b) => b.enabled).flatMap((b) => state.bots.get(b.botId) ?? []);
  if (!bots.every(isKnown)) return undefined;
  const capitalBase = sum(bots.map((b) => b.capitalBase));
  return capitalBase > 0n ? { balance: sum(bots.map((b) => b.balance)), capitalBase } : undefined;
}

/** The flags and peak as latched, unchanged: a partial reading decides no mode (DESIGN.md §3). */
function latched(state: PortfolioState): Modes {
  return {
    flags: state.flags,
    peakEquity: state.peakEquity,
    equity: ZERO,
    blackSwanEntered: false,
    alerts: [],
  };
}

/** One `balance_unknown` warning per bot whose balance is unknown this cycle. */
function unknownAlerts(
  config: Config,
  state: PortfolioState,
  opts: Pick<PlanOptions, 'lastKnown' | 'unknownWhy'>,
): Alert[] {
  return config.bots.flatMap((b) => {
    const s = state.bots.get(b.botId);
    if (s ? isKnown(s) : !opts.unknownWhy?.has(b.botId)) return [];
    const why = opts.unknownWhy?.get(b.botId) ?? 'no balance given';
    const stale = opts.lastKnown?.get(b.botId);
    const shown = stale === undefined ? '' : `; last known ${showMoney(stale)} (stale, not used)`;
    return [
      alert(
        'balance_unknown',
        s
          ? `${b.botId}: balance unknown this cycle (${why})${shown}: no transfer for it, and the mode flags and peak stay as they are until every balance is known`
          : `${b.botId}: balance unknown this cycle (${why}): not funded yet, and no allocation until its sub-account's balance is known`,
        b.botId,
      ),
    ];
  });
}

/**
 * `unexpected_balance`: a configured, enabled bot without books whose sub-account already holds
 * `min_transfer` or more (books lost, a new portfolio id, a bot that already trades) — by bot.
 */
function heldUnbooked(
  config: Config,
  state: PortfolioState,
  unbooked: ReadonlyMap<string, Money> | undefined,
): Map<string, Alert> {
  const out = new Map<string, Alert>();
  for (const bot of config.bots) {
    const balance = unbooked?.get(bot.botId);
    const limits = limitsOf(config, bot.exchange);
    if (balance === undefined || !limits || state.bots.has(bot.botId) || !bot.enabled) continue;
    if (balance < limits.minTransfer) continue;
    out.set(
      bot.botId,
      alert(
        'unexpected_balance',
        `${bot.botId}: sub-account ${bot.account} already holds ${showMoney(balance)} ${config.currency} and has no books here: not allocated (that would fund it twice) — \`botfolio adopt ${bot.botId}\` books what it holds as its capital (add --from-reserve if that money came from this portfolio's reserve: books lost, a new portfolio_id)`,
        bot.botId,
      ),
    );
  }
  return out;
}

/** The plan of one cycle. */
export function plan(config: Config, state: PortfolioState, opts: PlanOptions = {}): Plan {
  const equity = portfolioEquity(state);
  const modes =
    equity === undefined
      ? latched(state)
      : nextModes(config, state, { equity, deployed: deployedSums(config, state) });
  const inFlight = (botId: string) =>
    opts.inFlight?.has(botId) === true || state.bots.get(botId)?.inFlight === true;
  const unknown = (botId: string) => {
    const s = state.bots.get(botId);
    return s ? !isKnown(s) : opts.unknownWhy?.has(botId) === true;
  };
  const drift = opts.drift ?? NO_DRIFT;
  const held = heldUnbooked(config, state, opts.unbooked);
  // A bot in flight, of unknown balance, in drift or holding unbooked money is left alone: no
  // decision, no history judged.
  const aside = (botId: string) =>
    inFlight(botId) || unknown(botId) || drift.botsAside.has(botId) || held.has(botId);
  const samples = samplesWithNow(state, opts.history);
  const rebalancing = rebalanceTargets(config, state, samples, opts.customWeights);
  const health = fleetHealth(config, opts.health);
  const notRunning = new Map<string, string>();
  for (const bot of config.bots) {
    const why = notRunningWhy(health.get(bot.botId), bot);
    if (why !== undefined) notRunning.set(bot.botId, why);
  }
  const ctx: Context = {
    config,
    notRunning,
    flags: modes.flags,
    budget: ReserveBudget.of(config, state, drift.frozen),
    blackSwanEntered: modes.blackSwanEntered,
    protectedThisEpisode: modes.blackSwanEntered
      ? new Set()
      : (state.protectedThisEpisode ?? new Set()),
    targets: rebalancing.targets,
  };

  // The entry alert names the bots it could not protect (one alert: the cooldown is per code).
  const unprotected = config.bots
    .filter((b) => state.bots.has(b.botId) && inFlight(b.botId))
    .map((b) => b.botId);
  const alerts: Alert[] = modes.alerts.map((a) =>
    a.code === 'black_swan_entered' && unprotected.length > 0
      ? {
          ...a,
          message: `${a.message}; not protected, a transfer still in flight: ${unprotected.join(', ')}`,
        }
      : a,
  );
  alerts.push(...unknownAlerts(config, state, opts));
  alerts.push(...drift.alerts, ...held.values());
  alerts.push(...portfolioAlerts(ctx), ...rebalancing.alerts, ...healthAlerts(config, health));

  const transfers: PlannedTransfer[] = [];
  for (const bot of config.bots) {
    const s = state.bots.get(bot.botId);
    const d = aside(bot.botId) ? nothing() : decide(ctx, bot, s && isKnown(s) ? s : undefined);
    transfers.push(...d.transfers);
    alerts.push(...d.alerts);
    if (!aside(bot.botId)) {
      alerts.push(
        ...historyAlerts(bot, samples.get(bot.botId), opts.recent?.get(bot.botId), s, state.asOf),
      );
    }
  }
  alerts.push(
    ...allocationDriftAlerts(config, state, {
      targets: rebalancing.targets,
      planned: new Set(transfers.map((t) => t.botId)),
      aside,
      notRunning,
    }),
  );

  return {
    mode: modeOf(modes.flags),
    flags: modes.flags,
    peakEquity: modes.peakEquity,
    equity,
    transfers,
    alerts,
    refillBlocks: refillBlockChanges(config, state, modes.flags, modes.blackSwanEntered, aside),
    lastRebalance: rebalancing.ran ? state.asOf : state.lastRebalance,
    health,
  };
}

/** Rules 2–6 for a bot with no transfer in flight, unfunded (no state) or of known balance. */
function decide(ctx: Context, config: BotConfig, state: KnownBotState | undefined): Decision {
  const pool = ctx.config.pools.get(config.pool);
  const limits = limitsOf(ctx.config, config.exchange);
  if (!pool || !limits) return nothing(); // parseConfig refuses both
  if (!state) return config.enabled ? allocate(ctx, { config, pool, limits }) : nothing();
  const bot: FundedBot = { config, pool, limits, state };
  // A disabled bot is left alone, except that black swan protects its money too.
  const rules = config.enabled ? FUNDED_RULES : [protect];
  for (const rule of rules) {
    const decision = rule(ctx, bot);
    if (decision) return decision;
  }
  return nothing();
}

/** Each funded bot's history with the state's own sample last (when it is newer). */
function samplesWithNow(
  state: PortfolioState,
  history: ReadonlyMap<string, readonly EquitySample[]> | undefined,
): Map<string, EquitySample[]> {
  const now = Date.parse(state.asOf);
  const out = new Map<string, EquitySample[]>();
  for (const [botId, b] of state.bots) {
    const earlier = history?.get(botId) ?? [];
    if (!isKnown(b)) {
      out.set(botId, [...earlier]);
      continue;
    }
    const last = earlier.at(-1);
    const current: EquitySample = {
      at: state.asOf,
      balance: b.balance,
      netContributed: netContributed(b),
    };
    out.set(botId, last && Date.parse(last.at) >= now ? [...earlier] : [...earlier, current]);
  }
  return out;
}

/**
 * `unusual_loss` and `performance_degraded` from the bot's own cycle returns: its recent ones and
 * this cycle's where they are kept, else those of its samples.
 */
function historyAlerts(
  bot: BotConfig,
  samples: readonly EquitySample[] | undefined,
  recent: RecentReturns | undefined,
  now: BotState | undefined,
  asOf: string,
): Alert[] {
  if (!bot.enabled) return [];
  if (recent) {
    const sample =
      now && isKnown(now)
        ? { at: asOf, balance: now.balance, netContributed: netContributed(now) }
        : undefined;
    return returnAlerts(bot, judgedReturns(recent, sample));
  }
  if (!samples) return [];
  return returnAlerts(
    bot,
    flowAdjustedReturns(samples).map((p) => p.r),
  );
}

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;

/**
 * `unusual_loss` and `performance_degraded` of an enabled bot from its flow-adjusted cycle returns,
 * oldest first, this cycle's last (the backtest asks it directly on the cycles it does not plan).
 */
export function returnAlerts(bot: BotConfig, returns: readonly number[]): Alert[] {
  const alerts: Alert[] = [];
  const loss = unusualLoss(returns);
  if (loss) {
    const how =
      loss.sd === 0
        ? `its ${returns.length - 1} earlier returns never varied from ${pct(loss.mean)}`
        : `${Math.abs(loss.z).toFixed(1)} standard deviations below its mean ${pct(loss.mean)} (σ ${pct(loss.sd)}, ${returns.length - 1} earlier cycles)`;
    alerts.push(
      alert('unusual_loss', `${bot.botId} lost ${pct(-loss.r)} this cycle: ${how}`, bot.botId),
    );
  }
  const degraded = performanceDegraded(returns);
  if (degraded) {
    alerts.push(
      alert(
        'performance_degraded',
        `${bot.botId}: the Sharpe ratio of its last cycles turned negative (mean cycle return ${pct(degraded.recentMean)}, after ${pct(degraded.beforeMean)} in the cycles before)`,
        bot.botId,
      ),
    );
  }
  return alerts;
}

/**
 * `no_refill_policy`: on black swan's entry cycle every funded bot becomes refill-blocked; once the
 * episode is over, a blocked, enabled bot with no transfer in flight is unblocked when B ≥ C.
 */
function refillBlockChanges(
  config: Config,
  state: PortfolioState,
  flags: Flags,
  entered: boolean,
  inFlight: (botId: string) => boolean,
): RefillBlockChange[] {
  const changes: RefillBlockChange[] = [];
  for (const bot of config.bots) {
    const s = state.bots.get(bot.botId);
    if (!s) continue;
    if (entered && config.blackSwan?.noRefillPolicy && !s.refillBlocked) {
      changes.push({
        botId: bot.botId,
        blocked: true,
        reason:
          'black swan entered under no_refill_policy: no refill until back at its capital base',
      });
    } else if (
      s.refillBlocked &&
      !flags.blackSwan &&
      bot.enabled &&
      !inFlight(bot.botId) &&
      isKnown(s) &&
      s.balance >= s.capitalBase
    ) {
      changes.push({
        botId: bot.botId,
        blocked: false,
        reason: `balance ${showMoney(s.balance)} back at its capital base ${showMoney(s.capitalBase)}`,
      });
    }
  }
  return changes;
}
