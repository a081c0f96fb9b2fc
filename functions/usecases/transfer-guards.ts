/**
 * The guards of a transfer (DESIGN.md §4), checked before anything is submitted: what the entry
 * says must make sense for this portfolio, the rule that planned it must still hold on the bot as
 * it is now, the source must really hold the money, and two claims stop transfers racing for the
 * same money — a hold on the source reserve (never below 0, nor the emergency reserve below its
 * minimum, counting every transfer in flight) and a share of the exchange's
 * `daily_transfer_limit`. A transfer that ends without moving money gives both back
 * (`releaseClaims`).
 */
import {
  botAccount,
  isEmergencyReserve,
  parseAccount,
  reserveAccount,
  reserveOf,
} from '../core/accounts.ts';
import { type Config, type ExchangeName, ledgerAccounts } from '../core/config.ts';
import { ExchangeUnavailableError, RateLimitedError } from '../core/errors.ts';
import { min, showMoney, sum } from '../core/money.ts';
import type { BalanceReading, Exchange } from '../core/ports.ts';
import { believed, readingOf, unknown } from '../core/readings.ts';
import {
  type BalanceNow,
  needsBalance,
  otherLegIds,
  type Recheck,
  recheck,
  youngReading,
} from '../core/recheck.ts';
import type { PortfolioState } from '../core/state.ts';
import type {
  ClaimStore,
  DailyClaim,
  HeartbeatStore,
  Journal,
  PortfolioStore,
  ReserveHold,
} from '../core/store-ports.ts';
import { addsRisk, claimedAmount, type JournalEntry } from '../core/transfer.ts';
import { emergencyReserveOn, exchangeOfAccount, reserveFloor } from '../core/venues.ts';
import { notRunningNow } from './health.ts';

/** The reserve a transfer takes money out of, if it does. */
export const sourceReserve = (e: Pick<JournalEntry, 'from'>): string | undefined =>
  reserveOf(e.from);

export const holdOf = (e: JournalEntry, reserve: string): ReserveHold => ({
  transferId: e.id,
  reserve,
  amount: claimedAmount(e),
});

/** The transfer's share of its exchange's daily limit, claimed `at` (it counts for 24 h). */
const dailyClaimOf = (e: JournalEntry, at: Date): DailyClaim => ({
  exchange: e.exchange,
  transferId: e.id,
  amount: claimedAmount(e),
  at: at.toISOString(),
});

/**
 * What the transfer claims of the daily limit: its own share and, for a leg of a decision (a
 * refill's legs), the shares of the other legs that may still move money — claimed together, so
 * a refill is never half made by the limit.
 */
async function dailyClaimsOf(
  config: Config,
  journal: Pick<Journal, 'get'>,
  e: JournalEntry,
  at: Date,
): Promise<DailyClaim[] | { refused: string }> {
  const claims = [dailyClaimOf(e, at)];
  for (const id of otherLegIds(config, e)) {
    const leg = await journal.get(id);
    if (!leg) continue;
    const movedNothing = leg.status === 'rejected' || leg.status === 'failed';
    // A later leg whose earlier leg was refused would make half a refill.
    if (movedNothing && leg.leg < e.leg) {
      return {
        refused: `leg ${leg.leg} of this ${e.kind} was ${leg.status}: it is made whole or not at all`,
      };
    }
    if (!movedNothing) claims.push(dailyClaimOf(leg, at));
  }
  return claims;
}

/** Gives back what the transfer claimed (both idempotent): call only once it surely moved nothing. */
export async function releaseClaims(
  claims: Pick<ClaimStore, 'releaseReserve' | 'releaseDaily'>,
  e: JournalEntry,
): Promise<void> {
  const reserve = sourceReserve(e);
  if (reserve !== undefined) await claims.releaseReserve(e.portfolioId, holdOf(e, reserve));
  await claims.releaseDaily(e.portfolioId, { exchange: e.exchange, transferId: e.id });
}

/** What the entry itself must satisfy: amounts, accounts, direction, exchange. Empty when it does. */
export function entryFailures(config: Config, e: JournalEntry): string[] {
  const failures: string[] = [];
  const allowlist = new Set(ledgerAccounts(config));
  const bot = config.bots.find((b) => b.botId === e.botId);
  const limits = config.exchanges.get(e.exchange as ExchangeName);
  if (e.amount <= 0n) failures.push(`amount ${showMoney(e.amount)} is not positive`);
  for (const account of [e.from, e.to]) {
    if (!allowlist.has(account)) failures.push(`${account} is not an account of this portfolio`);
  }
  const botSide = botAccount(e.botId);
  const isReserve = (account: string) => parseAccount(account)?.kind === 'reserve';
  const intoBot = e.to === botSide && isReserve(e.from);
  const outOfBot = e.from === botSide && isReserve(e.to);
  if (!intoBot && !outOfBot) {
    failures.push(
      `a ${e.kind} moves money between ${botSide} and a reserve, not ${e.from} → ${e.to}`,
    );
  } else if ((e.kind === 'allocation' || e.kind === 'refill') && !intoBot) {
    failures.push(`a ${e.kind} goes into the bot, not out of it`);
  } else if ((e.kind === 'harvest' || e.kind === 'protect') && !outOfBot) {
    failures.push(`a ${e.kind} comes out of the bot, not into it`);
  } else if (bot && e.kind === 'protect') {
    const safety = reserveAccount(emergencyReserveOn(config, bot.exchange));
    if (e.to !== safety) failures.push(`a protect of ${e.botId} goes to ${safety}, not ${e.to}`);
  }
  if (!bot) failures.push(`${e.botId} is not a bot of this portfolio`);
  else if (bot.exchange !== e.exchange) {
    failures.push(`${e.botId} trades on ${bot.exchange}, not ${e.exchange}`);
  }
  failures.push(...crossExchangeFailures(config, e));
  if (!limits) failures.push(`no exchange "${e.exchange}" configured`);
  else {
    if (e.amount < limits.minTransfer) {
      failures.push(
        `amount ${showMoney(e.amount)} below min_transfer ${showMoney(limits.minTransfer)}`,
      );
    }
    if (e.amount > limits.maxTransfer) {
      failures.push(
        `amount ${showMoney(e.amount)} above max_transfer ${showMoney(limits.maxTransfer)}`,
      );
    }
  }
  return failures;
}

/**
 * Money never moves between exchanges (DESIGN.md §5, venues): both ends of a transfer are on its
 * exchange. A transfer between two exchanges' accounts would need a withdrawal, the permission a
 * stolen key must never have; it is refused whatever planned it. Empty when both ends are on it.
 */
export function crossExchangeFailures(
  config: Config,
  e: Pick<JournalEntry, 'from' | 'to' | 'exchange'>,
): string[] {
  const from = exchangeOfAccount(config, e.from);
  const to = exchangeOfAccount(config, e.to);
  // An account of no exchange here is not of this portfolio: the allowlist refuses it.
  if (from === undefined || to === undefined) return [];
  if (from !== to) {
    return [`${e.from} is on ${from} and ${e.to} on ${to}: money never moves between exchanges`];
  }
  return from === e.exchange ? [] : [`${e.from} and ${e.to} are on ${from}, not ${e.exchange}`];
}

/**
 * What a retirement's sweep must satisfy: it goes from the bot's booked sub-account to its booked
 * pool's reserve (the config may have dropped or moved the bot: that is why it is retired), within
 * its exchange's limits. Empty when it does.
 */
function sweepFailures(
  config: Config,
  state: PortfolioState | undefined,
  e: JournalEntry,
): string[] {
  const books = state?.bots.get(e.botId);
  if (!books) return [`${e.botId} has no books: nothing to sweep`];
  const pool = books.binding?.pool ?? config.bots.find((b) => b.botId === e.botId)?.pool;
  const failures: string[] = [];
  if (e.from !== botAccount(e.botId)) failures.push(`a sweep comes out of ${botAccount(e.botId)}`);
  if (pool === undefined || e.to !== reserveAccount(pool)) {
    failures.push(`a sweep goes to the bot's pool reserve, not ${e.to}`);
  }
  const poolExchange = pool === undefined ? undefined : config.pools.get(pool)?.exchange;
  if (poolExchange !== undefined && poolExchange !== e.exchange) {
    failures.push(
      `${e.to} is on ${poolExchange}, the sweep on ${e.exchange}: money never moves between exchanges`,
    );
  }
  if (!e.ends) failures.push('a sweep must name the sub-account it comes from');
  const limits = config.exchanges.get(e.exchange as ExchangeName);
  if (!limits) failures.push(`no exchange "${e.exchange}" configured`);
  else if (e.amount > limits.maxTransfer) {
    failures.push(
      `amount ${showMoney(e.amount)} above max_transfer ${showMoney(limits.maxTransfer)}`,
    );
  }
  if (e.amount <= 0n) failures.push(`amount ${showMoney(e.amount)} is not positive`);
  return failures;
}

/**
 * Why no transfer may come out of a reserve now (DESIGN.md §10), or undefined: reconciliation's
 * hold (the master held less than the books), or an opening not verified yet.
 */
export function reservesFrozen(state: PortfolioState): string | undefined {
  if (state.reserveHold) {
    return `the reserves are held by reconciliation: ${state.reserveHold.why}`;
  }
  if (state.opening && state.opening.verifiedAt === undefined) {
    return 'the opening reserves are not verified on the exchange yet';
  }
  return undefined;
}

/** The store and clock the guards read before the claims. */
export interface GuardDeps {
  readonly config: Config;
  readonly portfolio: Pick<PortfolioStore, 'load'>;
  readonly journal: Pick<Journal, 'get'>;
  /** The bots' stored health; without it a monitored bot gets no risk-adding transfer. */
  readonly heartbeats?: Pick<HeartbeatStore, 'healthFacts'>;
  readonly now: () => Date;
}

/**
 * Every guard before the claims, in order: the entry itself, the mode (no risk-adding kind while
 * halted), the rule that planned it re-checked on the bot as it is now (core/recheck.ts: the
 * amount may shrink, never grow), and the source holding the final amount. The amount to
 * validate with and the note for the history, or why the transfer is refused.
 */
export async function guardsBeforeClaims(
  deps: GuardDeps,
  exchange: Exchange,
  e: JournalEntry,
): Promise<Recheck> {
  const { config } = deps;
  const refuse = (why: string): Recheck => ({ ok: false, why });
  const state = await deps.portfolio.load(e.portfolioId, { bot: e.botId });
  const failures =
    e.kind === 'retirement' ? sweepFailures(config, state, e) : entryFailures(config, e);
  if (failures.length > 0) return refuse(failures.join('; '));
  if (!state) return refuse('the portfolio has no state');
  if (state.flags.halted && addsRisk(e)) return refuse(`${e.kind} into a bot refused while halted`);
  // Money goes into a monitored bot only while it runs (DESIGN.md §11), as of now, not the plan.
  if (addsRisk(e)) {
    const why = await notRunningNow(deps, e.botId, deps.now());
    if (why !== undefined) return refuse(`${e.kind} into ${e.botId} refused: ${why}`);
  }
  const frozen = reservesFrozen(state);
  if (frozen !== undefined && sourceReserve(e) !== undefined) return refuse(frozen);
  // The other legs before the balance: a leg seen completed is then surely in a balance read now.
  const others = await Promise.all(otherLegIds(config, e).map((id) => deps.journal.get(id)));
  let balance: BalanceNow | undefined;
  if (needsBalance(e)) {
    const read = await botBalanceNow(config, exchange, state, e, deps.now());
    if (!read.known) return refuse(read.why);
    balance = read.balance;
  }
  const checked = recheck(config, {
    entry: e,
    ledger: state.bots.get(e.botId),
    balance,
    flags: state.flags,
    otherLegs: others.filter((o) => o !== undefined),
  });
  if (!checked.ok) return checked;
  const short = await sourceShortfall(config, exchange, { ...e, amount: checked.amount }, balance);
  return short === undefined ? checked : refuse(short);
}

/**
 * The bot's balance the guards decide on (DESIGN.md §4, "Still true when it runs"): the cycle's
 * own reading while it is young (`fresh_read_max_age`: the exchange's rate limits make a read per
 * step unaffordable), else a fresh read of its sub-account, believed as the cycle would believe it
 * (`max_plausible_jump` against what the state last had). Unknown is a refusal, never zero.
 * A protect whose fresh read the exchange cannot answer now goes on its plan's reading.
 */
async function botBalanceNow(
  config: Config,
  exchange: Exchange,
  state: PortfolioState,
  e: JournalEntry,
  now: Date,
): Promise<{ known: true; balance: BalanceNow } | { known: false; why: string }> {
  const young = youngReading(config, e.reading, now);
  if (young !== undefined) return { known: true, balance: { balance: young, fresh: false } };
  // A sweep reads the booked sub-account it comes from; the others the config's.
  const uid =
    e.kind === 'retirement' ? e.ends?.from : config.bots.find((b) => b.botId === e.botId)?.account;
  if (uid === undefined) return { known: false, why: `${e.botId} is not a bot of this portfolio` };
  let answer: ReadonlyMap<string, BalanceReading>;
  try {
    answer = await exchange.subAccountBalances([uid], config.currency);
  } catch (error) {
    // A protect moves money to safety: when the endpoint is rate limited or down (a black swan
    // is when it is busiest), it goes on the last balance the cycles believed — the state's,
    // saved by the cycle that planned it or by a later one (the one that restarts it read the
    // bot afresh) — never above its plan's reading: it only ever shrinks with the bot, and the
    // exchange refuses it if the bot no longer holds that much, moving nothing.
    if (
      e.kind === 'protect' &&
      e.reading &&
      (error instanceof RateLimitedError || error instanceof ExchangeUnavailableError)
    ) {
      const last = state.bots.get(e.botId)?.balance ?? e.reading.balance;
      return { known: true, balance: { balance: min(last, e.reading.balance), fresh: false } };
    }
    throw error;
  }
  const reading = believed(
    config,
    answer.get(uid) ?? unknown('not in the answer'),
    readingOf(state, e.botId),
  );
  if (!reading.known) {
    return { known: false, why: `${botAccount(e.botId)}'s balance is unknown (${reading.reason})` };
  }
  return { known: true, balance: { balance: reading.balance, fresh: true } };
}

/**
 * Why the source cannot give the amount, or undefined: a reserve's money is in the master account
 * (read now); a bot's is judged on the balance the guards read (`botBalanceNow`).
 */
async function sourceShortfall(
  config: Config,
  exchange: Exchange,
  e: JournalEntry,
  bot: BalanceNow | undefined,
): Promise<string | undefined> {
  if (sourceReserve(e) !== undefined) {
    const master = await exchange.masterBalance(config.currency);
    if (master >= e.amount) return undefined;
    return `the master account holds ${showMoney(master)} on ${exchange.name}`;
  }
  if (bot === undefined) return `${e.from}'s balance was not read`;
  if (bot.balance >= e.amount) return undefined;
  return `${e.from} holds ${showMoney(bot.balance)}, less than ${showMoney(e.amount)}`;
}

/**
 * Claims the money: a hold on the source reserve, then the share of the day's limit. Returns why
 * a claim was refused (and gives back the hold if the daily share was refused), or undefined.
 */
export async function claimFailure(
  config: Config,
  deps: {
    readonly claims: Pick<ClaimStore, 'holdReserve' | 'releaseReserve' | 'claimDaily'>;
    readonly journal: Pick<Journal, 'get'>;
  },
  e: JournalEntry,
  now: Date,
): Promise<string | undefined> {
  const { claims } = deps;
  const reserve = sourceReserve(e);
  if (reserve !== undefined) {
    const floor = reserveFloor(config, reserve);
    const hold = await claims.holdReserve(e.portfolioId, holdOf(e, reserve), floor);
    if (!hold.held) {
      const what = isEmergencyReserve(reserve)
        ? `would take ${reserveAccount(reserve)} below its minimum ${showMoney(floor)}`
        : `${reserveAccount(reserve)} cannot give it`;
      return `${what}: ${showMoney(hold.available)} available after the transfers in flight, ${showMoney(e.amount)} asked`;
    }
  }
  const limit = config.exchanges.get(e.exchange as ExchangeName)?.dailyTransferLimit;
  if (limit === undefined) return `no exchange "${e.exchange}" configured`;
  const together = await dailyClaimsOf(config, deps.journal, e, now);
  if (!Array.isArray(together)) {
    if (reserve !== undefined) await claims.releaseReserve(e.portfolioId, holdOf(e, reserve));
    return together.refused;
  }
  const daily = await claims.claimDaily(e.portfolioId, together, limit);
  if (daily.claimed) return undefined;
  if (reserve !== undefined) await claims.releaseReserve(e.portfolioId, holdOf(e, reserve));
  const asked = sum(together.map((c) => c.amount));
  const what =
    together.length > 1
      ? `${showMoney(asked)} more (this refill's legs together)`
      : `${showMoney(asked)} more`;
  return `daily_transfer_limit ${showMoney(limit)} on ${e.exchange} over the last 24 h: ${showMoney(daily.used)} already counted, ${what} would pass it`;
}
