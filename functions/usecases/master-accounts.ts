/**
 * Each master account against the books of the reserves that sit in it (DESIGN.md §5, venues;
 * §10, reconciliation both ways). An exchange's master holds its emergency part and the reserves
 * of its pools; a reserve the config no longer has (config drift) is counted on the primary, as
 * a single-exchange portfolio always counted it. Where one adapter stands in for several
 * exchanges (the paper exchange of local mode), its one master is compared with their books
 * together: a master is checked once, against everything in it.
 */
import type { Config, ExchangeName } from '../core/config.ts';
import { add, type Money, ZERO } from '../core/money.ts';
import type { Exchange } from '../core/ports.ts';
import { exchangeOfReserve } from '../core/venues.ts';

/** The books of the reserves in each exchange's master account, by exchange. */
export function booksByExchange(
  config: Config,
  reserves: ReadonlyMap<string, Money>,
): Map<ExchangeName, Money> {
  const books = new Map<ExchangeName, Money>([...config.exchanges.keys()].map((x) => [x, ZERO]));
  for (const [name, amount] of reserves) {
    const x = exchangeOfReserve(config, name) ?? config.primaryExchange;
    books.set(x, add(books.get(x) ?? ZERO, amount));
  }
  return books;
}

/** One master account: the exchanges whose reserves it holds, and their books. */
export interface MasterAccount {
  /** The config's exchanges this adapter answers for (one, except for a stand-in). */
  readonly exchanges: readonly ExchangeName[];
  readonly adapter: Exchange;
  /** Σ of the books of the reserves it holds. */
  readonly books: Money;
}

/**
 * The config's master accounts, one per adapter, with the books each must hold. An exchange with
 * no adapter and no books is left out (the paper exchange in AWS: not wired, holding nothing).
 * @throws when an exchange whose reserves hold money has no adapter
 */
export function masterAccounts(
  config: Config,
  adapters: ReadonlyMap<string, Exchange>,
  reserves: ReadonlyMap<string, Money>,
): MasterAccount[] {
  const books = booksByExchange(config, reserves);
  const byAdapter = new Map<Exchange, { exchanges: ExchangeName[]; books: Money }>();
  for (const [x, amount] of books) {
    const adapter = adapters.get(x);
    if (!adapter && amount === ZERO) continue;
    if (!adapter) throw new Error(`no exchange adapter for "${x}"`);
    const seen = byAdapter.get(adapter) ?? { exchanges: [], books: ZERO };
    seen.exchanges.push(x);
    seen.books = add(seen.books, amount);
    byAdapter.set(adapter, seen);
  }
  return [...byAdapter].map(([adapter, m]) => ({ adapter, ...m }));
}

/** How a master account is named in a message: "the master account on binance". */
export const masterName = (m: { readonly exchanges: readonly string[] }): string =>
  `the master account on ${m.exchanges.join(' and ')}`;
