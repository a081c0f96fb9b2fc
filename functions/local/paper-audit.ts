/**
 * The paper audit: does the journal agree with the paper exchange's own books? The paper exchange keeps apart, per
 * account, what trading did and what transfers did, so the net transfers of every account can be
 * compared to the journal's completed entries exactly: the master account (where every reserve
 * sits) against the reserves' net, each bot's sub-account against the bot's net. The projection
 * (the state item) must say what the journal says too. Any difference, however small, is a
 * mismatch: a transfer ran twice, was lost, or was recorded wrong.
 */

import type { PaperExchange } from '../adapters/paper/exchange.ts';
import { botAccount, reserveAccount } from '../core/accounts.ts';
import type { Config } from '../core/config.ts';
import { type Money, showMoney, sub, sum, ZERO } from '../core/money.ts';
import { netTransfers } from '../core/projection.ts';
import { initialState } from '../core/state.ts';
import type { Journal, PortfolioStore } from '../core/store-ports.ts';

export interface PaperAudit {
  readonly agree: boolean;
  /** Accounts compared: the master and every bot's sub-account. */
  readonly accounts: number;
  /** The accounts that differ (`master`, or a bot id). */
  readonly mismatched: readonly string[];
  /** What differs, in words. */
  readonly mismatches: readonly string[];
  /** clientOids the exchange applied more than once. */
  readonly duplicates: readonly string[];
  /** clientOids the exchange applied that the journal does not show completed. */
  readonly unjournaled: readonly string[];
}

export async function auditAgainstPaper(
  store: {
    readonly portfolio: Pick<PortfolioStore, 'load'>;
    readonly journal: Pick<Journal, 'byStatus'>;
  },
  exchange: Pick<PaperExchange, 'books'>,
  config: Config,
): Promise<PaperAudit> {
  const state = await store.portfolio.load(config.portfolioId);
  const completed = await store.journal.byStatus(config.portfolioId, ['completed']);
  const net = netTransfers(completed);
  const books = exchange.books();
  const opening = initialState(config, '').reserves;
  const mismatched = new Set<string>();
  const mismatches: string[] = [];
  const differ = (account: string, what: string, journal: Money, other: Money) => {
    if (journal === other) return;
    mismatched.add(account);
    mismatches.push(
      `${account}: ${what} ${showMoney(other)}, the journal ${showMoney(journal)} (off by ${showMoney(sub(other, journal))})`,
    );
  };
  const netOf = (a: { balance: Money; opening: Money; tradingPnl: Money }) =>
    sub(sub(a.balance, a.opening), a.tradingPnl);

  const reserveNames = [...opening.keys()];
  const reservesNet = sum(reserveNames.map((n) => net.get(reserveAccount(n)) ?? ZERO));
  differ('master', 'net transfers on the exchange', reservesNet, netOf(books.master));
  for (const name of reserveNames) {
    const journal = (opening.get(name) ?? ZERO) + (net.get(reserveAccount(name)) ?? ZERO);
    differ(
      'master',
      `${reserveAccount(name)} in the projection`,
      journal as Money,
      state?.reserves.get(name) ?? ZERO,
    );
  }
  for (const bot of config.bots) {
    const journal = net.get(botAccount(bot.botId)) ?? ZERO;
    const account = books.subAccounts.get(bot.account);
    differ(bot.botId, 'net transfers on the exchange', journal, account ? netOf(account) : ZERO);
    const ledger = state?.bots.get(bot.botId);
    const projected = ledger
      ? sub(sub(ledger.contributed, ledger.harvested), ledger.protected)
      : ZERO;
    differ(bot.botId, 'net contributions in the projection', journal, projected);
  }

  const duplicates = books.transfers.filter((t) => t.applied > 1).map((t) => t.clientOid);
  for (const t of books.transfers.filter((x) => x.applied > 1)) {
    mismatches.push(`clientOid ${t.clientOid} applied ${t.applied} times`);
  }
  const done = new Set(completed.map((e) => e.clientOid));
  const unjournaled = books.transfers.filter((t) => !done.has(t.clientOid)).map((t) => t.clientOid);
  for (const oid of unjournaled) {
    mismatches.push(`clientOid ${oid} applied by the exchange, not completed in the journal`);
  }
  return {
    agree: mismatches.length === 0,
    accounts: config.bots.length + 1,
    mismatched: [...mismatched],
    mismatches,
    duplicates,
    unjournaled,
  };
}
