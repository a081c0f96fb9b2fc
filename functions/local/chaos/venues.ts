/**
 * Where a storm run's money sits: the paper exchange, or the fake server of a real exchange
 * reached through that exchange's real adapter (`chaos --exchange bitget|binance|okx|bybit`) —
 * the adapter's own parsing is where a missing account once became a zero. Either way the storm
 * moves the bots, garbles balance answers and injects faults through one fault plan, and the
 * checks read the venue's books: what each account holds, what trading did to it, and every
 * transfer the venue applied.
 */
import type { RealExchange } from '../../adapters/exchanges.ts';
import type { PaperBooks, PaperExchange } from '../../adapters/paper/exchange.ts';
import type { Fault, FaultPlan, Garble } from '../../adapters/paper/faults.ts';
import type { Config } from '../../core/config.ts';
import { add, formatMoney, type Money, sub, ZERO } from '../../core/money.ts';
import type { ExchangeAccount, ExchangeTransferRequest } from '../../core/ports.ts';
import { withCircuitBreaker } from '../../usecases/breaker.ts';
import type { VenueName } from '../choices.ts';
import type { FakeFault } from '../fake-venue.ts';
import type { LocalRuntimeOptions } from '../runtime.ts';
import { type DrivenFake, FAKE_EXCHANGES, type FakeExchange } from './fakes.ts';

export { VENUES, type VenueName } from '../choices.ts';

/** What the storm needs of the venue under test. */
export interface StormVenue {
  readonly name: VenueName;
  /** The bots' sub-account UIDs. */
  uids(): string[];
  /** A sub-account's equity, read directly (no call, no fault). */
  equityOf(uid: string): Money;
  /** The bot's trading moved its equity to `equity`. */
  trade(uid: string, equity: Money): void;
  /** The venue's books, as the paper audit reads them. */
  books(): PaperBooks;
  /** Balance answers garble these accounts from now on (none: answered truthfully again). */
  garble(accounts: Readonly<Record<string, Garble>>): void;
  /** No more faults: the storm is over. */
  calm(): void;
  close(): Promise<void>;
}

/** The paper exchange the runtime made: garbled answers and faults come from the plan itself. */
export function paperVenue(exchange: PaperExchange): StormVenue {
  return {
    name: 'paper',
    uids: () => exchange.subAccountIds(),
    equityOf: (uid) => exchange.equityOf(uid),
    trade: (uid, equity) => exchange.setSubAccountEquity(uid, equity),
    books: () => exchange.books(),
    garble: () => undefined,
    calm: () => exchange.setFaults(undefined),
    close: async () => undefined,
  };
}

/** What a garbled futures answer shows for an account: left out, null, negative, absurd. */
const GARBLED_EQUITY: Readonly<Record<Garble, unknown>> = {
  absent: undefined,
  unknown: null,
  negative: '-5',
  huge: `1${'0'.repeat(30)}`,
};

/** A fault of the plan, as the fake injects it on the wire, in the exchange's own words. */
function onTheWire(fault: Fault | undefined, exchange: FakeExchange): FakeFault | undefined {
  switch (fault?.kind) {
    case undefined:
    case 'latency':
    case 'partial':
    case 'short':
      return undefined;
    case 'rate_limit':
      return { kind: 'rate_limit' };
    case 'unavailable':
      return { kind: 'status', status: 503 };
    case 'timeout_before':
      return { kind: 'reset' };
    case 'timeout_after':
      return { kind: 'reset', applied: true };
    case 'insufficient':
      return exchange.insufficient;
    case 'auth':
      return exchange.auth;
  }
}

/**
 * The fake `name` holding the portfolio's money (the reserves in the master's spot account, the
 * bots' equity in their futures accounts), its endpoints' real rate limits on the run's clock,
 * and the runtime's exchanges: the real adapter against it, behind the circuit breaker, as
 * `botfolio run --exchange NAME` and the cycle Lambda wire it.
 */
export async function fakeExchangeVenue(
  name: RealExchange,
  config: Config,
  plan: FaultPlan,
  now: () => number,
): Promise<{ venue: StormVenue; exchanges: NonNullable<LocalRuntimeOptions['exchanges']> }> {
  const exchange = FAKE_EXCHANGES[name];
  const coin = config.currency;
  const uids = config.bots.map((b) => b.account);
  let faulty = true;
  const calls = new Map<string, number>();
  let driven: DrivenFake | undefined;
  const account = (id: string): ExchangeAccount =>
    id === driven?.masterId ? { kind: 'master' } : { kind: 'sub', uid: id };
  driven = await exchange.start(
    {
      master: { spot: { [coin]: formatMoney(config.totalCapital) } },
      subAccounts: Object.fromEntries(uids.map((uid) => [uid, { futures: { [coin]: 0 } }])),
    },
    {
      now,
      // ccxt signs with the wall clock, not the run's.
      clientClock: Date.now,
      faults: ({ path, query, body }) => {
        const op = exchange.opOf(path, query);
        if (!faulty || op === undefined) return undefined;
        const call = (calls.get(op) ?? 0) + 1;
        calls.set(op, call);
        const asked =
          op === 'transfer' && body && driven ? exchange.asked(body, driven.masterId) : undefined;
        const request: ExchangeTransferRequest | undefined = asked && {
          clientOid: asked.clientOid,
          from: account(asked.from),
          to: account(asked.to),
          amount: asked.amount,
          currency: coin,
        };
        return onTheWire(
          plan(op, { call, ...(request && { request, clientOid: request.clientOid }) }),
          exchange,
        );
      },
    },
  );
  const { fake, masterId } = driven;
  const started = driven;
  const equityOf = (uid: string) =>
    add(fake.balance(uid, 'spot', coin), fake.balance(uid, 'futures', coin));
  const tradingPnl = new Map<string, Money>();
  const venue: StormVenue = {
    name,
    uids: () => [...uids],
    equityOf,
    trade(uid, equity) {
      tradingPnl.set(uid, add(tradingPnl.get(uid) ?? ZERO, sub(equity, equityOf(uid))));
      const futures = sub(equity, fake.balance(uid, 'spot', coin));
      fake.setBalance(uid, 'futures', coin, formatMoney(futures));
    },
    books: () => ({
      currency: coin,
      master: { balance: equityOf(masterId), opening: config.totalCapital, tradingPnl: ZERO },
      subAccounts: new Map(
        uids.map((uid) => [
          uid,
          { balance: equityOf(uid), opening: ZERO, tradingPnl: tradingPnl.get(uid) ?? ZERO },
        ]),
      ),
      transfers: started.applied().map((t) => ({
        clientOid: t.clientOid,
        exchangeTransferId: t.exchangeTransferId,
        from: account(t.from),
        to: account(t.to),
        amount: t.amount,
        currency: t.coin,
        // Every fake refuses a client id it has seen, as its exchange does: each record moved
        // money once.
        applied: 1,
      })),
    }),
    garble(accounts) {
      for (const uid of uids) fake.restore(uid);
      for (const [uid, g] of Object.entries(accounts)) fake.corruptFutures(uid, GARBLED_EQUITY[g]);
    },
    calm() {
      faulty = false;
      for (const uid of uids) fake.restore(uid);
    },
    close: () => fake.close(),
  };
  const exchanges: NonNullable<LocalRuntimeOptions['exchanges']> = ({ alerter, breakers }) =>
    new Map([
      [
        name,
        withCircuitBreaker(started.adapter(config, now), {
          store: breakers,
          alerter,
          portfolioId: config.portfolioId,
          now,
        }),
      ],
    ]);
  return { venue, exchanges };
}
