/**
 * Still true when it runs (DESIGN.md §4): before a transfer is validated, the rule that planned it
 * is checked again on the bot as it is now — a harvest still above its trigger, a refill still at
 * or below its trigger with refills left, a bot still unfunded for an allocation. The amount may
 * shrink to what the rule now gives, never grow; when the rule no longer holds, the transfer is
 * refused. The formulas are the policy's own (policy-rules.ts); this module only says which
 * balance and which ledger they are applied to. Pure: the guards read, this decides.
 */
import { botAccount, botOf } from './accounts.ts';
import type { Config, ExchangeName } from './config.ts';
import { type Money, min, mulRatio, showMoney, sub, sum, ZERO } from './money.ts';
import {
  limitsOf,
  notWorthItsFee,
  showPercent,
  showRatio,
  sizeTransfer,
} from './policy-amounts.ts';
import {
  compounds,
  harvestDue,
  harvestWanted,
  permits,
  refillDue,
  refillNeed,
  refillSources,
} from './policy-rules.ts';
import type { BotState, Flags } from './state.ts';
import { type BotReading, type JournalEntry, transferId } from './transfer.ts';

/** The bot's balance a re-check decides on, and whether it was read now (not the cycle's). */
export interface BalanceNow {
  readonly balance: Money;
  readonly fresh: boolean;
}

/** The entry's other leg of a refill, as the journal has it now. */
export type OtherLeg = Pick<JournalEntry, 'leg' | 'status' | 'amount' | 'ledgerApplied'>;

export interface RecheckInput {
  readonly entry: Pick<JournalEntry, 'kind' | 'leg' | 'amount' | 'botId' | 'exchange' | 'to'>;
  /** The bot's ledger now (the portfolio state's); undefined while the bot is not funded. */
  readonly ledger:
    | Pick<BotState, 'capitalBase' | 'contributed' | 'harvested' | 'refills' | 'refillBlocked'>
    | undefined;
  /** The bot's balance, for the kinds whose rule needs one (`needsBalance`). */
  readonly balance: BalanceNow | undefined;
  /** The portfolio's mode flags now. */
  readonly flags: Flags;
  /** A refill's other legs found in the journal (`otherLegIds`). */
  readonly otherLegs: readonly OtherLeg[];
}

/** What the rule gives now: the amount to move (at most the entry's) and a note for the history. */
export type Recheck =
  | { readonly ok: true; readonly amount: Money; readonly note: string }
  | { readonly ok: false; readonly why: string };

/**
 * The cycle's reading, while it is at most `fresh_read_max_age` old; undefined when it is older
 * (or from a clock ahead of ours, or absent): then the bot is read afresh.
 */
export function youngReading(
  config: Pick<Config, 'freshReadMaxAgeMs'>,
  reading: BotReading | undefined,
  now: Date,
): Money | undefined {
  if (reading === undefined) return undefined;
  const age = now.getTime() - Date.parse(reading.at);
  return age >= 0 && age <= config.freshReadMaxAgeMs ? reading.balance : undefined;
}

/**
 * The kinds validate reads the bot's balance for: those whose rule is about it (harvest, refill)
 * and those that take money out of the bot (the guards check it holds the amount).
 */
export const needsBalance = (e: Pick<JournalEntry, 'kind' | 'from'>): boolean =>
  e.kind === 'harvest' || e.kind === 'refill' || botOf(e.from) !== undefined;

/** The ids of a refill's other legs (one per source of `refillSources`); none for other kinds. */
export function otherLegIds(
  config: Pick<Config, 'bots' | 'pools' | 'emergencyReserve' | 'primaryExchange'>,
  e: Pick<JournalEntry, 'kind' | 'leg' | 'portfolioId' | 'cycleId' | 'botId'>,
): string[] {
  if (e.kind !== 'refill') return [];
  const pool = config.pools.get(config.bots.find((b) => b.botId === e.botId)?.pool ?? '');
  if (!pool) return [];
  return refillSources(config, pool)
    .map((_, leg) => leg)
    .filter((leg) => leg !== e.leg)
    .map((leg) => transferId({ ...e, leg }));
}

const refused = (why: string): Recheck => ({ ok: false, why });

/** Re-checks the rule that planned `entry` on the bot as it is now. */
export function recheck(config: Config, input: RecheckInput): Recheck {
  const { entry } = input;
  // A retirement's sweep is the operator's: the bot may be gone from the config already.
  if (entry.kind === 'retirement') return recheckSweep(entry, input);
  const bot = config.bots.find((b) => b.botId === entry.botId);
  if (!bot) return refused(`${entry.botId} is not a bot of this portfolio`);
  // A disabled bot gets no decision from these rules (DESIGN.md §3, per bot, step 1).
  const ruled = entry.kind === 'allocation' || entry.kind === 'harvest' || entry.kind === 'refill';
  if (ruled && !bot.enabled) return refused(`${entry.botId} is disabled now`);
  switch (entry.kind) {
    case 'allocation':
      if (input.ledger) {
        return refused(
          `${entry.botId} is funded now (capital base ${showMoney(input.ledger.capitalBase)}): no allocation`,
        );
      }
      if (!permits(config, input.flags, entry))
        return refused(`no allocation ${inMode(input.flags)}`);
      return { ok: true, amount: entry.amount, note: `${entry.botId} is still not funded` };
    case 'harvest':
      return recheckHarvest(config, input);
    case 'refill':
      return recheckRefill(config, input);
    case 'protect':
      return recheckProtect(config, input);
    case 'rebalance':
      // No rule to re-check beyond the guards: a rebalance's target comes from the strategy, not
      // from the bot's balance, and the guards check the source holds it and refuse one into a
      // bot while halted.
      return { ok: true, amount: entry.amount, note: '' };
    case 'adoption':
    case 'deposit':
    case 'withdrawal':
    case 'move':
    case 'pause_bots':
      return refused(`a ${entry.kind} moves no money on the exchange: it is never submitted`);
  }
}

/**
 * A retirement's sweep brings the bot's balance back to its pool reserve: it needs the bot's books
 * still open, and it shrinks to what the sub-account holds now (it never asks for more).
 */
function recheckSweep(entry: RecheckInput['entry'], { ledger, balance }: RecheckInput): Recheck {
  if (!ledger) return refused(`${entry.botId} has no books: nothing to sweep`);
  if (!balance) return refused(`${botAccount(entry.botId)}'s balance was not read`);
  if (balance.balance <= 0n) return refused(`${botAccount(entry.botId)} holds nothing now`);
  return fromRule(
    entry.amount,
    balance.balance,
    `sweep of balance ${showMoney(balance.balance)}${readWhen(balance)}`,
  );
}

/**
 * A protect takes `safety_allocation` × the bot's balance to safety. Whatever the mode now (it
 * moves money toward safety), it shrinks with the balance — a restarted protect whose bot lost
 * money since its plan takes the share of what is there, rather than being refused for asking
 * more than the bot holds.
 */
function recheckProtect(config: Config, { entry, balance }: RecheckInput): Recheck {
  const bs = config.blackSwan;
  const limits = limitsOf(config, entry.exchange as ExchangeName);
  if (!bs || !limits || !balance) return { ok: true, amount: entry.amount, note: '' };
  const share = mulRatio(balance.balance, bs.safetyAllocation);
  const what = `${showRatio(bs.safetyAllocation)} × balance ${showMoney(balance.balance)}${readWhen(balance)}`;
  const sized = sizeTransfer(min(entry.amount, share), limits);
  if (!sized) {
    return refused(
      `no longer worth it: ${what} is below min_transfer ${showMoney(limits.minTransfer)}`,
    );
  }
  return fromRule(entry.amount, sized.amount, `to safety: ${what}`);
}

function recheckHarvest(config: Config, { entry, ledger, balance }: RecheckInput): Recheck {
  const bot = config.bots.find((b) => b.botId === entry.botId);
  const pool = config.pools.get(bot?.pool ?? '');
  const limits = limitsOf(config, entry.exchange as ExchangeName);
  if (!pool || !limits) return refused(`${entry.botId} has no pool or exchange configured`);
  if (!ledger) return refused(`${entry.botId} is not funded: nothing to harvest`);
  if (!balance) return refused(`${botAccount(entry.botId)}'s balance was not read`);
  const { balance: B } = balance;
  const C = ledger.capitalBase;
  const onB = `balance ${showMoney(B)}${readWhen(balance)}`;
  if (!harvestDue(pool, B, C)) {
    return refused(
      `no longer due: ${onB} is below ${showRatio(pool.harvestThreshold)} × ${showMoney(C)}`,
    );
  }
  const threshold = config.compoundThreshold;
  if (threshold && compounds(config, { ...ledger, balance: B })) {
    return refused(
      `no longer due: the bot compounds now (harvested ${showMoney(ledger.harvested)} + ${onB} ≥ ${showRatio(threshold)} × contributed ${showMoney(ledger.contributed)})`,
    );
  }
  const wanted = harvestWanted(pool, B, C);
  const what = `${showMoney(wanted)} is ${showPercent(pool.harvestPercentage)} of the ${showMoney(sub(B, C))} above ${showMoney(C)}, ${onB}`;
  const sized = sizeTransfer(min(entry.amount, wanted), limits);
  if (!sized) {
    return refused(
      `no longer worth it: ${what} is below min_transfer ${showMoney(limits.minTransfer)}`,
    );
  }
  return fromRule(entry.amount, sized.amount, `still due: ${what}`);
}

function recheckRefill(config: Config, input: RecheckInput): Recheck {
  const { entry, ledger, balance, flags } = input;
  const lr = config.lossRecovery;
  const limits = limitsOf(config, entry.exchange as ExchangeName);
  if (!lr?.enabled) return refused('loss recovery is off now');
  if (!limits) return refused(`no exchange "${entry.exchange}" configured`);
  if (!ledger) return refused(`${entry.botId} is not funded: nothing to refill`);
  if (!balance) return refused(`${botAccount(entry.botId)}'s balance was not read`);
  if (!permits(config, flags, entry)) return refused(`no refill ${inMode(flags)}`);
  if (ledger.refillBlocked) return refused(`${entry.botId} is refill-blocked now`);

  // The legs of one refill share its need. A leg that ended without moving money gives none; an
  // earlier leg still planned counts (it goes first); a later one counts once it is under way.
  const missing = Array.from({ length: entry.leg }, (_, leg) => leg).filter(
    (leg) => !input.otherLegs.some((o) => o.leg === leg),
  );
  if (missing.length > 0) {
    return refused(`leg ${missing.join(', ')} of this refill is not in the journal`);
  }
  const counted = input.otherLegs.filter(
    (o) =>
      o.status !== 'rejected' &&
      o.status !== 'failed' &&
      (o.status !== 'planned' || o.leg < entry.leg),
  );
  const others = sum(counted.map((o) => o.amount));
  // A balance read now, after another leg completed, holds that leg's money: the rule is judged
  // on the balance without it. (Read before the balance, a leg's status never runs ahead of it.)
  const arrived = balance.fresh
    ? sum(counted.filter((o) => o.status === 'completed').map((o) => o.amount))
    : ZERO;
  const B = sub(balance.balance, arrived);
  const C = ledger.capitalBase;
  // Leg 0 counts the refill in the ledger once it is applied (core/ledger.ts): not one more.
  const refills =
    ledger.refills - (input.otherLegs.some((o) => o.leg === 0 && o.ledgerApplied) ? 1 : 0);
  if (refills >= lr.maxRefills) {
    return refused(`${entry.botId} has had ${refills} of ${lr.maxRefills} refills`);
  }
  const onB =
    arrived > 0n
      ? `balance ${showMoney(B)} (${showMoney(balance.balance)} read now, less the ${showMoney(arrived)} its other leg brought)`
      : `balance ${showMoney(B)}${readWhen(balance)}`;
  if (!refillDue(lr, B, C)) {
    return refused(
      `no longer due: ${onB} is above ${showRatio(lr.interventionThreshold)} × ${showMoney(C)}`,
    );
  }
  const need = refillNeed(lr, B, C);
  const whole = sizeTransfer(need, limits);
  const target = `refill to ${showRatio(lr.refillTarget)} × ${showMoney(C)} from ${onB}`;
  if (!whole) {
    return refused(
      `no longer worth it: the ${target} needs ${showMoney(need)}, below min_transfer ${showMoney(limits.minTransfer)}`,
    );
  }
  const share = sub(whole.amount, others);
  const ofOthers = counted.length > 0 ? `, ${showMoney(others)} of it in its other leg` : '';
  const sized = sizeTransfer(min(entry.amount, share), limits);
  if (!sized) {
    return refused(
      `no longer worth it: the ${target} needs ${showMoney(whole.amount)}${ofOthers}, leaving less than min_transfer ${showMoney(limits.minTransfer)}`,
    );
  }
  const costly = notWorthItsFee(sized.amount, limits, false);
  if (costly) return refused(`no longer worth it: ${showMoney(sized.amount)} is ${costly}`);
  return fromRule(
    entry.amount,
    sized.amount,
    `still due: the ${target} needs ${showMoney(whole.amount)}${ofOthers}`,
  );
}

/** The rule's amount, never more than planned, with the note that says so when it shrank. */
function fromRule(planned: Money, now: Money, why: string): Recheck {
  const amount = min(planned, now);
  const note =
    amount < planned ? `amount ${showMoney(planned)} → ${showMoney(amount)}: ${why}` : why;
  return { ok: true, amount, note };
}

const readWhen = (b: BalanceNow): string => (b.fresh ? ' (read now)' : " (the cycle's reading)");

const inMode = (flags: Flags): string => (flags.halted ? 'while halted' : 'in black swan');
