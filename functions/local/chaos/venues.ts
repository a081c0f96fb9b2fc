/**
 * Where a storm run's money sits: the paper exchange, or the fake Bitget reached through the real
 * Bitget adapter (`chaos --exchange bitget`) — the adapter's own parsing is where a missing
 * account once became a zero. Either way the storm moves the bots, garbles balance answers and
 * injects faults through one fault plan, and the checks read the venue's books: what each account
 * holds, what trading did to it, and every transfer the venue applied.
 */
import { BitgetExchange, bitgetOptionsFromConfig } from '../../adapters/bitget/exchange.ts';
import type { PaperBooks, PaperExchange } from '../../adapters/paper/exchange.ts';
import type { Fault, FaultOp, FaultPlan, Garble } from '../../adapters/paper/faults.ts';
import { ExchangeKey } from '../../adapters/secrets.ts';
import type { Config } from '../../core/config.ts';
import { add, formatMoney, type Money, money, sub, ZERO } from '../../core/money.ts';
import type { ExchangeAccount, ExchangeTransferRequest } from '../../core/ports.ts';
import { withCircuitBreaker } from '../../usecases/breaker.ts';
import type { VenueName } from '../choices.ts';
import { type FakeBitget, type FakeFault, startFakeBitget } from '../fake-bitget.ts';
import type { LocalRuntimeOptions } from '../runtime.ts';

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

/** Bitget's endpoints, as the fault plan's operations. */
const OPS: Readonly<Record<string, FaultOp>> = {
  'v2/spot/account/subaccount-assets': 'balances',
  'v2/mix/account/sub-account-assets': 'balances',
  'v2/spot/account/assets': 'master',
  'v2/mix/account/accounts': 'master',
  'v2/spot/wallet/subaccount-transfer': 'transfer',
  'v2/spot/account/sub-main-trans-record': 'find',
};

/** What a garbled futures answer shows for an account: left out, null, negative, absurd. */
const GARBLED_EQUITY: Readonly<Record<Garble, unknown>> = {
  absent: undefined,
  unknown: null,
  negative: '-5',
  huge: `1${'0'.repeat(30)}`,
};

/** A fault of the plan, as the fake Bitget injects it on the wire. */
function onTheWire(fault: Fault | undefined): FakeFault | undefined {
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
      return { kind: 'error', code: '43012', msg: 'Insufficient balance' };
    case 'auth':
      return { kind: 'error', code: '40006', msg: 'Invalid ACCESS_KEY', status: 401 };
  }
}

/**
 * The fake Bitget holding the portfolio's money (the reserves in the master's spot account, the
 * bots' equity in their futures accounts), its endpoints' real rate limits on the run's clock,
 * and the runtime's exchanges: the real adapter against it, behind the circuit breaker, as
 * `botfolio run --exchange bitget` and the cycle Lambda wire it.
 */
export async function bitgetVenue(
  config: Config,
  plan: FaultPlan,
  now: () => number,
): Promise<{ venue: StormVenue; exchanges: NonNullable<LocalRuntimeOptions['exchanges']> }> {
  const coin = config.currency;
  const uids = config.bots.map((b) => b.account);
  let faulty = true;
  const calls = new Map<FaultOp, number>();
  let fake: FakeBitget | undefined;
  const account = (uid: unknown): ExchangeAccount =>
    uid === fake?.masterUid ? { kind: 'master' } : { kind: 'sub', uid: String(uid) };
  fake = await startFakeBitget({
    master: { spot: { [coin]: formatMoney(config.totalCapital) } },
    subAccounts: Object.fromEntries(uids.map((uid) => [uid, { futures: { [coin]: 0 } }])),
    now,
    faults: ({ path, body }) => {
      const op = OPS[path];
      if (!faulty || op === undefined) return undefined;
      const call = (calls.get(op) ?? 0) + 1;
      calls.set(op, call);
      const request: ExchangeTransferRequest | undefined =
        op === 'transfer' && body
          ? {
              clientOid: String(body.clientOid),
              from: account(body.fromUserId),
              to: account(body.toUserId),
              amount: money(String(body.amount)),
              currency: coin,
            }
          : undefined;
      return onTheWire(
        plan(op, { call, ...(request && { request, clientOid: request.clientOid }) }),
      );
    },
  });
  const started = fake;
  const equityOf = (uid: string) =>
    add(started.balance(uid, 'spot', coin), started.balance(uid, 'futures', coin));
  const tradingPnl = new Map<string, Money>();
  const venue: StormVenue = {
    name: 'bitget',
    uids: () => [...uids],
    equityOf,
    trade(uid, equity) {
      tradingPnl.set(uid, add(tradingPnl.get(uid) ?? ZERO, sub(equity, equityOf(uid))));
      const futures = sub(equity, started.balance(uid, 'spot', coin));
      started.setBalance(uid, 'futures', coin, formatMoney(futures));
    },
    books: () => ({
      currency: coin,
      master: {
        balance: equityOf(started.masterUid),
        opening: config.totalCapital,
        tradingPnl: ZERO,
      },
      subAccounts: new Map(
        uids.map((uid) => [
          uid,
          { balance: equityOf(uid), opening: ZERO, tradingPnl: tradingPnl.get(uid) ?? ZERO },
        ]),
      ),
      transfers: started.transfers.map((t) => ({
        clientOid: t.clientOid,
        exchangeTransferId: t.transferId,
        from: account(t.fromUserId),
        to: account(t.toUserId),
        amount: t.amount,
        currency: t.coin,
        // The fake refuses a clientOid it has seen, as Bitget does: each record moved money once.
        applied: 1,
      })),
    }),
    garble(accounts) {
      for (const uid of uids) started.restore(uid);
      for (const [uid, g] of Object.entries(accounts))
        started.corruptFutures(uid, GARBLED_EQUITY[g]);
    },
    calm() {
      faulty = false;
      for (const uid of uids) started.restore(uid);
    },
    close: () => started.close(),
  };
  const key = new ExchangeKey(
    fake.masterKey.apiKey,
    fake.masterKey.secret,
    fake.masterKey.passphrase,
  );
  const exchanges: NonNullable<LocalRuntimeOptions['exchanges']> = ({ alerter, breakers }) =>
    new Map([
      [
        'bitget',
        withCircuitBreaker(
          new BitgetExchange({
            key: async () => key,
            apiUrl: started.url,
            masterUid: started.masterUid,
            // A lost answer is given up on soon; a rate limit fails at once (the workflow retries).
            timeoutMs: 2_000,
            maxRateWaitMs: 0,
            now,
            ...bitgetOptionsFromConfig(config),
          }),
          { store: breakers, alerter, portfolioId: config.portfolioId, now },
        ),
      ],
    ]);
  return { venue, exchanges };
}
