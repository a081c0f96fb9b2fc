/**
 * The four fake exchanges as the fault campaign drives them (`chaos --exchange NAME`): how each
 * names a bot's sub-account, which of its endpoints is which operation of the fault plan, its own
 * answers to insufficient funds and a refused key, how its transfer call names the transfer
 * asked for and how its books name those applied, and the real adapter pointed at it. Everything
 * else — opening balances, garbled answers, the faults on the wire, the books the checks read —
 * is the same for all four (./venues.ts).
 */
import { BinanceExchange, binanceOptionsFromConfig } from '../../adapters/binance/exchange.ts';
import { BitgetExchange, bitgetOptionsFromConfig } from '../../adapters/bitget/exchange.ts';
import { BybitExchange, bybitOptionsFromConfig } from '../../adapters/bybit/exchange.ts';
import type { RealExchange } from '../../adapters/exchanges.ts';
import { OkxExchange, okxOptionsFromConfig } from '../../adapters/okx/exchange.ts';
import type { FaultOp } from '../../adapters/paper/faults.ts';
import { ExchangeKey } from '../../adapters/secrets.ts';
import type { Config } from '../../core/config.ts';
import { type Money, money } from '../../core/money.ts';
import type { Exchange } from '../../core/ports.ts';
import { HISTORY_PATH, SUMMARY_PATH, startFakeBinance, TRANSFER_PATH } from '../fake-binance.ts';
import { startFakeBitget } from '../fake-bitget.ts';
import { BYBIT_TRANSFER_PATH, startFakeBybit } from '../fake-bybit.ts';
import { OKX_TRANSFER_PATH, startFakeOkx } from '../fake-okx.ts';
import type { FakeFault, FakeVenue, FakeVenueOptions, Holdings } from '../fake-venue.ts';

/** A transfer, its ends named as the fake names accounts (the master by its own id). */
export interface WireTransfer {
  readonly clientOid: string;
  readonly exchangeTransferId: string;
  readonly from: string;
  readonly to: string;
  readonly amount: Money;
  readonly coin: string;
}

/** A fake exchange started for a run, and the real adapter against it. */
export interface DrivenFake {
  readonly fake: FakeVenue<{ readonly apiKey: string }>;
  /** The master account's id in the fake's books. */
  readonly masterId: string;
  /** Every transfer the fake applied, in order. */
  applied(): WireTransfer[];
  /**
   * The real adapter against the fake, on the run's clock. Past an endpoint's limit it fails at
   * once (the workflow retries, on a clock the run moves), unless `rateWaitMs` lets it wait.
   */
  adapter(config: Config, now: () => number, rateWaitMs?: number): Exchange;
}

/** Where a run opens: the master's spot account holds the capital, each bot's futures nothing. */
export interface Opening {
  readonly master: { readonly spot: Holdings };
  readonly subAccounts: Readonly<Record<string, { readonly futures: Holdings }>>;
}

export interface FakeExchange {
  readonly name: RealExchange;
  /** A bot's account as this exchange names sub-accounts, made from the config's. */
  account(given: string): string;
  /** The fault plan's operation a call of `path` is, if any. */
  opOf(path: string, query: Readonly<Record<string, string>>): FaultOp | undefined;
  /** The exchange's own refusals: the balance is short; the key is refused. */
  readonly insufficient: FakeFault;
  readonly auth: FakeFault;
  /** The transfer a transfer call's parameters ask for. */
  asked(
    params: Readonly<Record<string, unknown>>,
    masterId: string,
  ): Omit<WireTransfer, 'exchangeTransferId' | 'coin'>;
  start(opening: Opening, options: FakeVenueOptions): Promise<DrivenFake>;
}

/**
 * What every adapter is given against its fake: the fake's master key and URL, the run's clock;
 * a lost answer given up on soon, a rate limit waited on at most `maxRateWaitMs`.
 */
function connection(
  fake: {
    readonly url: string;
    readonly masterKey: { apiKey: string; secret: string; passphrase?: string };
  },
  now: () => number,
  maxRateWaitMs: number,
) {
  const { apiKey, secret, passphrase } = fake.masterKey;
  return {
    key: async () => new ExchangeKey(apiKey, secret, passphrase),
    apiUrl: fake.url,
    now,
    timeoutMs: 2_000,
    maxRateWaitMs,
  };
}

const text = (v: unknown): string => (v === undefined || v === null ? '' : String(v));
const ops =
  (table: Readonly<Record<string, FaultOp>>): FakeExchange['opOf'] =>
  (path) =>
    table[path];

const bitget: FakeExchange = {
  name: 'bitget',
  account: (given) => given,
  opOf: ops({
    'v2/spot/account/subaccount-assets': 'balances',
    'v2/mix/account/sub-account-assets': 'balances',
    'v2/spot/account/assets': 'master',
    'v2/mix/account/accounts': 'master',
    'v2/spot/wallet/subaccount-transfer': 'transfer',
    'v2/spot/account/sub-main-trans-record': 'find',
  }),
  insufficient: { kind: 'error', code: '43012', msg: 'Insufficient balance' },
  auth: { kind: 'error', code: '40006', msg: 'Invalid ACCESS_KEY', status: 401 },
  asked: (p) => ({
    clientOid: text(p.clientOid),
    from: text(p.fromUserId),
    to: text(p.toUserId),
    amount: money(text(p.amount)),
  }),
  async start(opening, options) {
    const fake = await startFakeBitget({ ...opening, ...options });
    return {
      fake,
      masterId: fake.masterUid,
      applied: () =>
        fake.transfers.map((t) => ({
          clientOid: t.clientOid,
          exchangeTransferId: t.transferId,
          from: t.fromUserId,
          to: t.toUserId,
          amount: t.amount,
          coin: t.coin,
        })),
      adapter: (config, now, rateWaitMs = 0) =>
        new BitgetExchange({
          ...connection(fake, now, rateWaitMs),
          masterUid: fake.masterUid,
          ...bitgetOptionsFromConfig(config),
        }),
    };
  },
};

const binance: FakeExchange = {
  name: 'binance',
  // Binance names sub-accounts by email.
  account: (given) => (given.includes('@') ? given : `${given}@chaos.botfolio.test`),
  opOf: ops({
    [SUMMARY_PATH]: 'balances',
    'sapi/v4/sub-account/assets': 'balances',
    'api/v3/account': 'master',
    'fapi/v2/balance': 'master',
    [TRANSFER_PATH]: 'transfer',
    [HISTORY_PATH]: 'find',
  }),
  insufficient: {
    kind: 'error',
    code: '-5013',
    msg: 'Asset transfer failed: insufficient balance',
  },
  auth: {
    kind: 'error',
    code: '-2015',
    msg: 'Invalid API-key, IP, or permissions for action.',
    status: 401,
  },
  // The master's end is left out of a transfer ("from/to master account by default").
  asked: (p, masterId) => ({
    clientOid: text(p.clientTranId),
    from: p.fromEmail === undefined ? masterId : text(p.fromEmail),
    to: p.toEmail === undefined ? masterId : text(p.toEmail),
    amount: money(text(p.amount)),
  }),
  async start(opening, options) {
    const fake = await startFakeBinance({ ...opening, ...options });
    return {
      fake,
      masterId: fake.masterEmail,
      applied: () =>
        fake.transfers.map((t) => ({
          clientOid: t.clientTranId,
          exchangeTransferId: String(t.tranId),
          from: t.fromEmail,
          to: t.toEmail,
          amount: t.amount,
          coin: t.asset,
        })),
      adapter: (config, now, rateWaitMs = 0) =>
        new BinanceExchange({
          ...connection(fake, now, rateWaitMs),
          masterEmail: fake.masterEmail,
          ...binanceOptionsFromConfig(config),
        }),
    };
  },
};

const okx: FakeExchange = {
  name: 'okx',
  // OKX names sub-accounts freely: the config's name is kept.
  account: (given) => given,
  opOf: ops({
    'account/subaccount/balances': 'balances',
    'asset/subaccount/balances': 'balances',
    'account/balance': 'master',
    'asset/balances': 'master',
    [OKX_TRANSFER_PATH]: 'transfer',
    'asset/transfer-state': 'find',
  }),
  insufficient: { kind: 'error', code: '58350', msg: 'Insufficient balance', status: 200 },
  auth: { kind: 'error', code: '50111', msg: 'Invalid OK-ACCESS-KEY.', status: 401 },
  // Type 1 moves master → sub, type 2 sub → master.
  asked: (p, masterId) => ({
    clientOid: text(p.clientId),
    from: p.type === '1' ? masterId : text(p.subAcct),
    to: p.type === '1' ? text(p.subAcct) : masterId,
    amount: money(text(p.amt)),
  }),
  async start(opening, options) {
    const fake = await startFakeOkx({ ...opening, ...options });
    return {
      fake,
      masterId: fake.master,
      applied: () =>
        fake.transfers.map((t) => ({
          clientOid: t.clientId,
          exchangeTransferId: t.transId,
          from: t.type === '1' ? fake.master : t.subAcct,
          to: t.type === '1' ? t.subAcct : fake.master,
          amount: t.amount,
          coin: t.ccy,
        })),
      adapter: (config, now, rateWaitMs = 0) =>
        new OkxExchange({
          ...connection(fake, now, rateWaitMs),
          ...okxOptionsFromConfig(config),
        }),
    };
  },
};

/** Our transfer id from the UUID Bybit was given (the adapter writes it 8-4-4-4-12). */
const fromUuid = (uuid: string) => uuid.replaceAll('-', '');

const bybit: FakeExchange = {
  name: 'bybit',
  account: (given) => given,
  // One endpoint reads a sub-account's balance (memberId) and the master's (without).
  opOf: (path, query) =>
    path === 'asset/transfer/query-account-coin-balance'
      ? query.memberId === undefined
        ? 'master'
        : 'balances'
      : (
          {
            [BYBIT_TRANSFER_PATH]: 'transfer',
            'asset/transfer/query-universal-transfer-list': 'find',
          } as Readonly<Record<string, FaultOp>>
        )[path],
  insufficient: { kind: 'error', code: '131228', msg: 'your balance is not enough', status: 200 },
  auth: { kind: 'error', code: '10003', msg: 'API key is invalid.', status: 401 },
  asked: (p) => ({
    clientOid: fromUuid(text(p.transferId)),
    from: text(p.fromMemberId),
    to: text(p.toMemberId),
    amount: money(text(p.amount)),
  }),
  async start(opening, options) {
    const fake = await startFakeBybit({ ...opening, ...options });
    return {
      fake,
      masterId: fake.masterUid,
      applied: () =>
        fake.transfers.map((t) => ({
          clientOid: fromUuid(t.transferId),
          exchangeTransferId: t.transferId,
          from: t.fromMemberId,
          to: t.toMemberId,
          amount: t.amount,
          coin: t.coin,
        })),
      adapter: (config, now, rateWaitMs = 0) =>
        new BybitExchange({
          ...connection(fake, now, rateWaitMs),
          masterUid: fake.masterUid,
          ...bybitOptionsFromConfig(config),
        }),
    };
  },
};

export const FAKE_EXCHANGES: Readonly<Record<RealExchange, FakeExchange>> = {
  bitget,
  binance,
  okx,
  bybit,
};

/**
 * The run's raw config with every bot on `exchange`, named as it names sub-accounts, and the
 * config's exchange settings under its name (the example portfolio is Bitget's).
 */
export function placedOn(
  raw: { exchanges: Record<string, Record<string, unknown>>; bots: Record<string, unknown>[] },
  exchange: RealExchange,
): void {
  const settings = raw.exchanges[exchange] ?? Object.values(raw.exchanges)[0] ?? {};
  raw.exchanges = { [exchange]: settings };
  raw.bots = raw.bots.map((b) => ({
    ...b,
    exchange,
    account: FAKE_EXCHANGES[exchange].account(String(b.account)),
  }));
}
