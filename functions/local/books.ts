/**
 * Do the journal's books agree with the paper exchange's? The reserves all sit in the master
 * account, so Σ reserves must equal its balance; and a bot's net transfers on the exchange must
 * equal its ledger (contributed − harvested − protected). Any difference, however small, is a
 * mismatch: it means a transfer ran twice, was lost, or was recorded wrong.
 */

import type { PaperExchange } from '../adapters/paper/exchange.ts';
import type { Config } from '../core/config.ts';
import { type Money, showMoney, sub, sum, ZERO } from '../core/money.ts';
import type { StateStore } from '../core/ports.ts';

export interface BooksCheck {
  readonly agree: boolean;
  readonly accounts: number;
  readonly mismatches: readonly string[];
}

export async function checkBooks(
  store: Pick<StateStore, 'load'>,
  exchange: PaperExchange,
  config: Config,
): Promise<BooksCheck> {
  const state = await store.load(config.portfolioId);
  const books = exchange.books();
  const mismatches: string[] = [];
  const reserves = state ? sum(state.reserves.values()) : ZERO;
  if (reserves !== books.master.balance) {
    mismatches.push(
      `master: the journal's reserves sum to ${showMoney(reserves)}, the exchange holds ${showMoney(books.master.balance)}`,
    );
  }
  for (const bot of config.bots) {
    const account = books.subAccounts.get(bot.account);
    const ledger = state?.bots.get(bot.botId);
    const onExchange: Money = account
      ? sub(sub(account.balance, account.opening), account.tradingPnl)
      : ZERO;
    const inJournal: Money = ledger
      ? sub(sub(ledger.contributed, ledger.harvested), ledger.protected)
      : ZERO;
    if (onExchange !== inJournal) {
      mismatches.push(
        `${bot.botId}: net transfers ${showMoney(inJournal)} in the journal, ${showMoney(onExchange)} on the exchange`,
      );
    }
  }
  const applied = books.transfers.filter((t) => t.applied > 1);
  for (const t of applied) mismatches.push(`clientOid ${t.clientOid} applied ${t.applied} times`);
  return { agree: mismatches.length === 0, accounts: config.bots.length + 1, mismatches };
}
