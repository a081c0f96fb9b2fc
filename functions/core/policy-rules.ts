/**
 * The policy's rules (DESIGN.md §3, "per bot, in this order"), one small function each. A rule
 * looks at one bot and returns its decision — transfers and alerts, possibly none — or undefined
 * when it does not apply. Rules take reserve money only through the plan's `ReserveBudget` and
 * size every amount with `sizeTransfer`. Rebalancing, the last rule, is in policy-rebalance.ts.
 */

import { botAccount, EMERGENCY_RESERVE, reserveAccount } from './accounts.ts';
import { type Alert, type AlertCode, alert } from './alerts.ts';
import type { BotConfig, Config, PoolConfig } from './config.ts';
import { add, compareToRatioOf, type Money, min, mulRatio, showMoney, sub, sum } from './money.ts';
import {
  limitNote,
  notWorthItsFee,
  type ReserveBudget,
  showPercent,
  showRatio,
  sizeTransfer,
  type TransferLimits,
} from './policy-amounts.ts';
import type { Flags, KnownBotState } from './state.ts';
import { addsRisk, type PlannedTransfer } from './transfer.ts';
import { emergencyReserveOn } from './venues.ts';

/**
 * Whether the flags let a transfer be planned. Toward safety (harvest, protect, rebalance out of
 * a bot) always; toward risk never while halted — even when black swan is the mode shown — and
 * in black swan only refills, only when `no_refill_policy` is explicitly false.
 */
export function permits(config: Config, flags: Flags, t: Parameters<typeof addsRisk>[0]): boolean {
  if (!addsRisk(t)) return true;
  if (flags.halted) return false;
  if (flags.blackSwan) return t.kind === 'refill' && config.blackSwan?.noRefillPolicy === false;
  return true;
}

/**
 * Whether the plan may make transfer `t` for bot `botId`: the flags permit it, and — for one
 * that adds risk — the bot is not a monitored bot that is not `running` (DESIGN.md §11: money
 * moves only toward safety for it).
 */
export function mayMake(
  ctx: Pick<Context, 'config' | 'flags' | 'notRunning'>,
  botId: string,
  t: Parameters<typeof addsRisk>[0],
): boolean {
  if (!permits(ctx.config, ctx.flags, t)) return false;
  return !addsRisk(t) || !ctx.notRunning.has(botId);
}

export interface Context {
  readonly config: Config;
  /**
   * Monitored bots that are not `running` this cycle (stale, stopped, error, or of unknown
   * health), each with why: no allocation, refill or rebalance into them.
   */
  readonly notRunning: ReadonlyMap<string, string>;
  /** The flags after this cycle's mode check (policy-modes.ts). */
  readonly flags: Flags;
  /** The reserves as this plan has used them so far. */
  readonly budget: ReserveBudget;
  /** This cycle is black swan's entry cycle: protect transfers are planned. */
  readonly blackSwanEntered: boolean;
  /** Bots whose protect of this episode completed (empty on its entry cycle). */
  readonly protectedThisEpisode: ReadonlySet<string>;
  /** Target capital bases of this cycle's rebalance, by bot (empty when none is due). */
  readonly targets: ReadonlyMap<string, Target>;
}

/** A bot's target capital base, and the strategy that set it (for the reason). */
export interface Target {
  readonly capitalBase: Money;
  readonly strategy: string;
}

/** One bot as a rule sees it. */
export interface Bot {
  readonly config: BotConfig;
  readonly pool: PoolConfig;
  readonly limits: TransferLimits;
}

export interface FundedBot extends Bot {
  /** Rules decide only for a bot whose balance is known this cycle. */
  readonly state: KnownBotState;
}

/** What one rule decided for one bot. */
export interface Decision {
  readonly transfers: PlannedTransfer[];
  readonly alerts: Alert[];
}

/** A rule for a funded bot: its decision, or undefined when the rule does not apply. */
export type Rule = (ctx: Context, bot: FundedBot) => Decision | undefined;

export const nothing = (): Decision => ({ transfers: [], alerts: [] });
const warning = (code: AlertCode, message: string, botId: string): Decision => ({
  transfers: [],
  alerts: [alert(code, message, botId)],
});

/**
 * The bot's decision when its transfer `t` is not worth the exchange's fee (`notWorthItsFee`): no
 * transfer, and a `transfer_not_worth_fee` warning saying why; undefined when it is worth making.
 */
export function feeRefusal(
  bot: Bot,
  t: Pick<PlannedTransfer, 'kind' | 'to' | 'amount'>,
): Decision | undefined {
  const why = notWorthItsFee(t.amount, bot.limits, !addsRisk(t));
  if (why === undefined) return undefined;
  const { botId } = bot.config;
  return warning(
    'transfer_not_worth_fee',
    `${botId}: no ${t.kind} of ${showMoney(t.amount)}, ${why}`,
    botId,
  );
}

/**
 * Alerts about the whole portfolio, before any bot's: each emergency part below its minimum, and
 * (with several exchanges) what an operator could move by hand to even them (reserve_imbalance).
 */
export function portfolioAlerts(ctx: Context): Alert[] {
  const alerts: Alert[] = [];
  for (const part of ctx.config.emergencyReserve.parts) {
    const held = ctx.budget.held(part.reserve);
    if (held >= part.minimum) continue;
    alerts.push(
      alert(
        'pot_below_minimum',
        `${reserveAccount(part.reserve)} holds ${showMoney(held)}, below its minimum ${showMoney(part.minimum)}: refills cannot draw on it`,
      ),
    );
  }
  return [...alerts, ...imbalanceAlerts(ctx)];
}

/**
 * `reserve_imbalance`: an emergency part below its minimum while another is above its own. Money
 * never moves between exchanges by itself (that would need a withdrawal permission), so the
 * alert names what an operator could move by hand: the smaller of the shortfall and the surplus.
 */
function imbalanceAlerts(ctx: Context): Alert[] {
  const parts = ctx.config.emergencyReserve.parts.map((p) => ({
    ...p,
    held: ctx.budget.held(p.reserve),
  }));
  const alerts: Alert[] = [];
  for (const short of parts.filter((p) => p.held < p.minimum)) {
    const shortfall = sub(short.minimum, short.held);
    for (const over of parts.filter((p) => p.held > p.minimum)) {
      const surplus = sub(over.held, over.minimum);
      const amount = min(shortfall, surplus);
      alerts.push(
        alert(
          'reserve_imbalance',
          `${reserveAccount(short.reserve)} on ${short.exchange} holds ${showMoney(short.held)}, ${showMoney(shortfall)} below its minimum ${showMoney(short.minimum)}, while ${reserveAccount(over.reserve)} on ${over.exchange} holds ${showMoney(surplus)} above its own: ${showMoney(amount)} could be moved by hand from ${over.exchange} to ${short.exchange} (Botfolio never moves money between exchanges), then \`botfolio withdraw ${showMoney(amount)} --from ${reserveAccount(over.reserve)}\` and \`botfolio deposit ${showMoney(amount)} --to ${reserveAccount(short.reserve)}\` book it`,
        ),
      );
    }
  }
  return alerts;
}

/** Not yet funded: its allocation from `reserve:<pool>`, whole or not at all. */
export function allocate(ctx: Context, bot: Bot): Decision {
  const { botId, allocation } = bot.config;
  const to = botAccount(botId);
  if (!mayMake(ctx, botId, { kind: 'allocation', to })) return nothing();
  const source = bot.pool.name;
  const sized = sizeTransfer(allocation, bot.limits);
  if (!sized) {
    return warning(
      'allocation_unfunded',
      `${botId} is not funded: its allocation ${showMoney(allocation)} is below min_transfer ${showMoney(bot.limits.minTransfer)}`,
      botId,
    );
  }
  const available = ctx.budget.available(source);
  if (available < sized.amount) {
    return warning(
      'allocation_unfunded',
      `${botId} is not funded: its allocation of ${showMoney(sized.amount)} needs more than reserve:${source} can give (${showMoney(available)})`,
      botId,
    );
  }
  const costly = feeRefusal(bot, { kind: 'allocation', to, amount: sized.amount });
  if (costly) return costly;
  ctx.budget.take(source, sized.amount);
  const from = reserveAccount(source);
  const reason = `not yet funded: allocation ${showMoney(allocation)}${limitNote(sized, bot.limits)}`;
  return {
    transfers: [{ kind: 'allocation', botId, from, to, amount: sized.amount, reason, leg: 0 }],
    alerts: [
      alert(
        'allocation',
        `allocation of ${showMoney(sized.amount)} from ${from} to ${to} (${reason})`,
        botId,
      ),
    ],
  };
}

/**
 * Black swan, a bot with `B > 0` not yet protected this episode: `s_a × B` to
 * `reserve:emergency`. Planned on the entry cycle for every such bot, and again on each later
 * cycle of the episode for a bot whose protect has not completed (in flight elsewhere, rejected,
 * rate limited, unknown balance): an episode ends with every bot protected once (DESIGN.md §3).
 * It is the bot's decision this cycle (no harvest besides), in every mode: it moves money to
 * safety. A compounding bot is protected too.
 */
export const protect: Rule = (ctx, bot) => {
  const bs = ctx.config.blackSwan;
  const B = bot.state.balance;
  if (!ctx.flags.blackSwan || !bs || B <= 0n) return undefined;
  if (!ctx.blackSwanEntered && ctx.protectedThisEpisode.has(bot.config.botId)) return undefined;
  const sized = sizeTransfer(mulRatio(B, bs.safetyAllocation), bot.limits);
  // Too little to move: on the entry cycle that is the decision; later, the other rules decide.
  if (!sized) return ctx.blackSwanEntered ? nothing() : undefined;
  const { botId } = bot.config;
  const from = botAccount(botId);
  // To the emergency part of the bot's own exchange: money never moves between exchanges.
  const to = reserveAccount(emergencyReserveOn(ctx.config, bot.config.exchange));
  const costly = feeRefusal(bot, { kind: 'protect', to, amount: sized.amount });
  if (costly) return costly;
  const when = ctx.blackSwanEntered ? 'black swan entered' : 'black swan, not yet protected';
  const reason = `${when}: ${showRatio(bs.safetyAllocation)} × balance ${showMoney(B)} to safety${limitNote(sized, bot.limits)}`;
  return {
    transfers: [{ kind: 'protect', botId, from, to, amount: sized.amount, reason, leg: 0 }],
    alerts: [
      alert(
        'protect',
        `protect ${showMoney(sized.amount)} from ${from} to ${to} (${reason})`,
        botId,
      ),
    ],
  };
};

/** `harvested + B ≥ compound_threshold × contributed`: the bot keeps its profit. */
export function compounds(
  config: Pick<Config, 'compoundThreshold'>,
  s: Pick<KnownBotState, 'balance' | 'harvested' | 'contributed'>,
): boolean {
  const threshold = config.compoundThreshold;
  if (threshold === undefined || s.contributed <= 0n) return false;
  return compareToRatioOf(add(s.harvested, s.balance), threshold, s.contributed) >= 0;
}

/** `B ≥ h_t × C`: the harvest's trigger. */
export const harvestDue = (pool: PoolConfig, B: Money, C: Money): boolean =>
  compareToRatioOf(B, pool.harvestThreshold, C) >= 0;

/** `h_p × (B − C)`: what a harvest takes, before the exchange's limits. */
export const harvestWanted = (pool: PoolConfig, B: Money, C: Money): Money =>
  mulRatio(sub(B, C), pool.harvestPercentage);

/** Loss recovery as configured. */
export type LossRecovery = NonNullable<Config['lossRecovery']>;

/** `B ≤ i_t × C`: the refill's trigger. */
export const refillDue = (lr: LossRecovery, B: Money, C: Money): boolean =>
  compareToRatioOf(B, lr.interventionThreshold, C) <= 0;

/** `r_t × C − B`: what a refill brings the bot back up by, before the exchange's limits. */
export const refillNeed = (lr: LossRecovery, B: Money, C: Money): Money =>
  sub(mulRatio(C, lr.refillTarget), B);

/**
 * Where a refill draws from, one leg each, in this order: its pool's reserve, then the emergency
 * part of the pool's exchange (`reserve:emergency` on the primary).
 */
export const refillSources = (
  config: Pick<Config, 'emergencyReserve' | 'primaryExchange'>,
  pool: Pick<PoolConfig, 'name' | 'exchange'>,
): readonly string[] => [pool.name, emergencyReserveOn(config, pool.exchange)];

/** `B ≥ h_t × C`: `h_p × (B − C)` to `reserve:<pool>`, unless the bot compounds. */
export const harvest: Rule = (ctx, bot) => {
  const { balance: B, capitalBase: C } = bot.state;
  const { harvestThreshold, harvestPercentage } = bot.pool;
  if (!harvestDue(bot.pool, B, C)) return undefined;
  if (compounds(ctx.config, bot.state)) return nothing();
  const excess = sub(B, C);
  const sized = sizeTransfer(harvestWanted(bot.pool, B, C), bot.limits);
  if (!sized) return nothing();
  const { botId } = bot.config;
  const from = botAccount(botId);
  const to = reserveAccount(bot.pool.name);
  const costly = feeRefusal(bot, { kind: 'harvest', to, amount: sized.amount });
  if (costly) return costly;
  const reason = `balance ${showMoney(B)} ≥ ${showRatio(harvestThreshold)} × ${showMoney(C)}${limitNote(sized, bot.limits)}`;
  return {
    transfers: [{ kind: 'harvest', botId, from, to, amount: sized.amount, reason, leg: 0 }],
    alerts: [
      alert(
        'harvest',
        `harvest ${showMoney(sized.amount)} from ${from} to ${to}: ${showPercent(harvestPercentage)} of the ${showMoney(excess)} above its capital base (${reason})`,
        botId,
      ),
    ],
  };
};

/**
 * `B ≤ i_t × C`: `r_t × C − B`, from `reserve:<pool>` as far as it goes, then from
 * `reserve:emergency` down to its minimum; one transfer per source, legs in that order.
 */
export const refill: Rule = (ctx, bot) => {
  const lr = ctx.config.lossRecovery;
  const { balance: B, capitalBase: C, refills } = bot.state;
  if (!lr?.enabled || !refillDue(lr, B, C)) return undefined;
  const { botId } = bot.config;
  const to = botAccount(botId);
  if (bot.state.refillBlocked || !mayMake(ctx, botId, { kind: 'refill', to })) {
    return nothing();
  }
  const trigger = `balance ${showMoney(B)} ≤ ${showRatio(lr.interventionThreshold)} × ${showMoney(C)}`;
  if (refills >= lr.maxRefills) {
    return warning(
      'refill_limit_reached',
      `${botId}: ${trigger}, but it has had ${refills} of ${lr.maxRefills} refills: no refill`,
      botId,
    );
  }
  const target = mulRatio(C, lr.refillTarget);
  const need = refillNeed(lr, B, C);
  if (need <= 0n) return nothing();
  const whole = sizeTransfer(need, bot.limits);
  if (!whole) {
    return warning(
      'refill_unfunded',
      `${botId}: ${trigger}, but its refill of ${showMoney(need)} is below min_transfer ${showMoney(bot.limits.minTransfer)}`,
      botId,
    );
  }
  const costly = feeRefusal(bot, { kind: 'refill', to, amount: whole.amount });
  if (costly) return costly;

  const legs: { source: string; amount: Money }[] = [];
  let rest = whole.amount;
  const sourceNames = refillSources(ctx.config, bot.pool);
  for (const source of sourceNames) {
    const leg = sizeTransfer(min(rest, ctx.budget.available(source)), bot.limits);
    // A leg not worth its fee is one its source cannot fund.
    if (!leg || notWorthItsFee(leg.amount, bot.limits, false)) continue;
    ctx.budget.take(source, leg.amount);
    legs.push({ source, amount: leg.amount });
    rest = sub(rest, leg.amount);
    if (rest <= 0n) break;
  }
  const emergency = sourceNames[1] ?? EMERGENCY_RESERVE;
  const sources = `${reserveAccount(bot.pool.name)} and ${reserveAccount(emergency)} above its minimum ${showMoney(ctx.budget.floor(emergency))}`;
  if (legs.length === 0) {
    return warning(
      'refill_unfunded',
      `${botId}: ${trigger}, but ${sources} cannot fund at least min_transfer ${showMoney(bot.limits.minTransfer)} of its refill of ${showMoney(whole.amount)}: no refill`,
      botId,
    );
  }

  const funded = sum(legs.map((l) => l.amount));
  const partial = funded < whole.amount;
  const base = `${trigger}, refill to ${showRatio(lr.refillTarget)} × ${showMoney(C)} = ${showMoney(target)}${limitNote(whole, bot.limits)}`;
  const transfers = legs.map(
    (l, leg): PlannedTransfer => ({
      kind: 'refill',
      botId,
      from: reserveAccount(l.source),
      to,
      amount: l.amount,
      reason:
        legs.length > 1 || partial
          ? `${base}; part ${leg + 1} of ${legs.length}: ${showMoney(l.amount)} of ${showMoney(whole.amount)}`
          : base,
      leg,
    }),
  );
  const from = legs.map((l) => `${showMoney(l.amount)} from reserve:${l.source}`).join(' and ');
  const alerts = [
    alert('refill', `refill ${showMoney(funded)} into ${to}: ${from} (${base})`, botId),
  ];
  if (partial) {
    alerts.push(
      alert(
        'refill_unfunded',
        `${botId}: only ${showMoney(funded)} of its refill of ${showMoney(whole.amount)} could be funded from ${sources}`,
        botId,
      ),
    );
  }
  return { transfers, alerts };
};
