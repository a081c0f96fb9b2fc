/**
 * The guards of a transfer (DESIGN.md §4), checked before anything is submitted: what the entry
 * says must make sense for this portfolio, the source must really hold the money (a fresh read),
 * and two claims stop transfers racing for the same money — a hold on the source reserve (never
 * below 0, nor the emergency reserve below its minimum, counting every transfer in flight) and a
 * share of the exchange's `daily_transfer_limit`. A transfer that ends without moving money gives
 * both back (`releaseClaims`).
 */
import {
  botAccount,
  EMERGENCY_ACCOUNT,
  EMERGENCY_RESERVE,
  parseAccount,
  reserveAccount,
  reserveOf,
} from '../core/accounts.ts';
import { type Config, type ExchangeName, ledgerAccounts } from '../core/config.ts';
import { showMoney, ZERO } from '../core/money.ts';
import type { Exchange } from '../core/ports.ts';
import type { ClaimStore, DailyClaim, PortfolioStore, ReserveHold } from '../core/store-ports.ts';
import { addsRisk, type JournalEntry } from '../core/transfer.ts';

/** The reserve a transfer takes money out of, if it does. */
export const sourceReserve = (e: Pick<JournalEntry, 'from'>): string | undefined =>
  reserveOf(e.from);

export const holdOf = (e: JournalEntry, reserve: string): ReserveHold => ({
  transferId: e.id,
  reserve,
  amount: e.amount,
});

/**
 * The transfer's share of its exchange's daily limit. The day is the UTC day the transfer was
 * planned (its entry's creation), so every retry and restart counts it on the same day.
 */
export const dailyClaimOf = (e: JournalEntry): DailyClaim => ({
  exchange: e.exchange,
  day: e.createdAt.slice(0, 10),
  transferId: e.id,
  amount: e.amount,
});

/** Gives back what the transfer claimed (both idempotent): call only once it surely moved nothing. */
export async function releaseClaims(
  claims: Pick<ClaimStore, 'releaseReserve' | 'releaseDaily'>,
  e: JournalEntry,
): Promise<void> {
  const reserve = sourceReserve(e);
  if (reserve !== undefined) await claims.releaseReserve(e.portfolioId, holdOf(e, reserve));
  await claims.releaseDaily(e.portfolioId, dailyClaimOf(e));
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
  } else if (e.kind === 'protect' && e.to !== EMERGENCY_ACCOUNT) {
    failures.push(`a protect goes to ${EMERGENCY_ACCOUNT}, not ${e.to}`);
  }
  if (!bot) failures.push(`${e.botId} is not a bot of this portfolio`);
  else if (bot.exchange !== e.exchange) {
    failures.push(`${e.botId} trades on ${bot.exchange}, not ${e.exchange}`);
  }
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
 * What the portfolio and the exchange must allow now: not a risk-adding kind while halted, and
 * the source holds the amount on the exchange (a fresh read of the sub-account or the master).
 */
export async function freshFailures(
  config: Config,
  portfolio: Pick<PortfolioStore, 'load'>,
  exchange: Exchange,
  e: JournalEntry,
): Promise<string[]> {
  const state = await portfolio.load(e.portfolioId);
  if (!state) return ['the portfolio has no state'];
  const failures: string[] = [];
  if (state.flags.halted && addsRisk(e)) failures.push(`${e.kind} into a bot refused while halted`);
  if (sourceReserve(e) !== undefined) {
    const master = await exchange.masterBalance(config.currency);
    if (master < e.amount) {
      failures.push(`the master account holds ${showMoney(master)} on ${exchange.name}`);
    }
  } else {
    const uid = config.bots.find((b) => b.botId === e.botId)?.account;
    if (uid === undefined) return [`${e.botId} is not a bot of this portfolio`];
    const reading = (await exchange.subAccountBalances([uid], config.currency)).get(uid);
    if (!reading?.known) {
      failures.push(`${e.from}'s balance is unknown (${reading?.reason ?? 'not in the answer'})`);
    } else if (reading.balance < e.amount) {
      failures.push(
        `${e.from} holds ${showMoney(reading.balance)}, less than ${showMoney(e.amount)}`,
      );
    }
  }
  return failures;
}

/**
 * Claims the money: a hold on the source reserve, then the share of the day's limit. Returns why
 * a claim was refused (and gives back the hold if the daily share was refused), or undefined.
 */
export async function claimFailure(
  config: Config,
  claims: Pick<ClaimStore, 'holdReserve' | 'releaseReserve' | 'claimDaily'>,
  e: JournalEntry,
): Promise<string | undefined> {
  const reserve = sourceReserve(e);
  if (reserve !== undefined) {
    const floor = reserve === EMERGENCY_RESERVE ? config.emergencyReserve.minimum : ZERO;
    const hold = await claims.holdReserve(e.portfolioId, holdOf(e, reserve), floor);
    if (!hold.held) {
      const what =
        reserve === EMERGENCY_RESERVE
          ? `would take ${EMERGENCY_ACCOUNT} below its minimum ${showMoney(floor)}`
          : `${reserveAccount(reserve)} cannot give it`;
      return `${what}: ${showMoney(hold.available)} available after the transfers in flight, ${showMoney(e.amount)} asked`;
    }
  }
  const limit = config.exchanges.get(e.exchange as ExchangeName)?.dailyTransferLimit;
  if (limit === undefined) return `no exchange "${e.exchange}" configured`;
  const claim = dailyClaimOf(e);
  const daily = await claims.claimDaily(e.portfolioId, claim, limit);
  if (daily.claimed) return undefined;
  if (reserve !== undefined) await claims.releaseReserve(e.portfolioId, holdOf(e, reserve));
  return `daily_transfer_limit ${showMoney(limit)} on ${e.exchange} for ${claim.day}: ${showMoney(daily.used)} already counted, ${showMoney(e.amount)} more would pass it`;
}
