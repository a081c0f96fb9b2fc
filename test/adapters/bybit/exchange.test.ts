/**
 * The Bybit adapter against a fake Bybit on 127.0.0.1 that checks every request's X-BAPI
 * signature and timestamp: one read per bot's sub-account, unknown-not-zero readings, the
 * master's balance, universal transfers with our id as the UUID transferId, their lookup within
 * 7-day windows, the contract every adapter passes, and Bybit's error codes.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  BybitExchange,
  type BybitExchangeOptions,
  transferUuid,
} from '../../../functions/adapters/bybit/exchange.ts';
import { ExchangeKey } from '../../../functions/adapters/secrets.ts';
import {
  AuthenticationFailedError,
  ExchangeUnavailableError,
  RateLimitedError,
  TransferRejectedError,
} from '../../../functions/core/errors.ts';
import { money } from '../../../functions/core/money.ts';
import { known } from '../../../functions/core/readings.ts';
import {
  BYBIT_TRANSFER_PATH,
  type FakeBybit,
  type FakeBybitOptions,
  startFakeBybit,
} from '../../helpers/fake-bybit.ts';
import { MASTER, sub, transferOf } from '../bitget/support.ts';
import { transferContract } from '../transfer-contract.ts';

const BOT_A = '200000001';
const BOT_B = '200000002';
const ID = '9f3c2a10b4d54e6f8a7b6c5d4e3f2a1b';
const DAY = 24 * 3_600_000;

const bybitFor = (f: FakeBybit, options: Partial<BybitExchangeOptions> = {}) =>
  new BybitExchange({
    key: async () => new ExchangeKey(f.masterKey.apiKey, f.masterKey.secret),
    apiUrl: f.url,
    timeoutMs: 1_000, // a loaded 2-core machine can take 300 ms to answer; a fault test waits this long
    ...options,
  });

let fake: FakeBybit | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function fakeWith(options: FakeBybitOptions = {}): Promise<FakeBybit> {
  fake = await startFakeBybit({
    master: { spot: { USDT: 1000 } },
    subAccounts: { [BOT_A]: { futures: { USDT: 0 } }, [BOT_B]: { futures: { USDT: 0 } } },
    ...options,
  });
  return fake;
}

describe('balances', () => {
  it('reads each bot’s unified wallet balance with one call of its own, signed as Bybit checks it', async () => {
    // Prepare
    const f = await fakeWith({
      subAccounts: {
        [BOT_A]: { futures: { USDT: '150.12345678' } },
        [BOT_B]: { futures: { USDT: 0 } },
      },
    });
    // Act
    const balances = await bybitFor(f).subAccountBalances([BOT_A, BOT_B], 'USDT');
    // Assess
    expect(f.calls('asset/transfer/query-account-coin-balance')).toBe(2);
    expect(f.requests.every((r) => r.signed && r.status === 200)).toBe(true);
    expect(f.requests.map((r) => [r.query.memberId, r.query.accountType])).toEqual([
      [BOT_A, 'UNIFIED'],
      [BOT_B, 'UNIFIED'],
    ]);
    expect(balances.get(BOT_A)).toEqual(known(money('150.12345678')));
  });

  it.each([
    ['left out of the answer', undefined, "no USDT in Bybit's balance answer"],
    ['null', null, "wallet balance is null in Bybit's answer"],
    ['unparseable', 'abc', 'wallet balance "abc" is not an amount'],
    ['negative', '-5', 'wallet balance "-5" is negative'],
  ])(
    'reads a bot whose balance is %s as unknown with why, never as 0',
    async (_, shown, reason) => {
      // Prepare
      const f = await fakeWith();
      f.corruptFutures(BOT_A, shown);
      // Act
      const balances = await bybitFor(f).subAccountBalances([BOT_A], 'USDT');
      // Assess
      expect(balances.get(BOT_A)).toEqual({ known: false, reason });
    },
  );

  it('leaves a bot whose read was rate limited unknown, and fails all on a refused key', async () => {
    // Prepare
    const f = await fakeWith();
    f.inject('asset/transfer/query-account-coin-balance', { kind: 'rate_limit' });
    // Act
    const balances = await bybitFor(f).subAccountBalances([BOT_A, BOT_B], 'USDT');
    const refused = bybitFor(f, { key: async () => new ExchangeKey(f.masterKey.apiKey, 'wrong') });
    // Assess
    expect(balances.get(BOT_A)?.known).toBe(false);
    expect(balances.get(BOT_B)).toEqual(known(money(0)));
    await expect(refused.subAccountBalances([BOT_A], 'USDT')).rejects.toThrow(
      AuthenticationFailedError,
    );
  });

  it('reads the master’s transferable funding balance', async () => {
    // Prepare
    const f = await fakeWith();
    // Act & Assess
    expect(await bybitFor(f).masterBalance('USDT')).toBe(money(1000));
  });
});

transferContract({
  name: 'Bybit',
  clientId: 'transferId',
  bot: BOT_A,
  transferPath: BYBIT_TRANSFER_PATH,
  start: fakeWith,
  close: (f) => f.close(),
  adapter: (f) => bybitFor(f),
  inject: (f, path, fault) => f.inject(path, fault),
  botFutures: (f) => f.balance(BOT_A, 'futures', 'USDT'),
  transfers: (f) => f.transfers.length,
});

describe('transfers', () => {
  it('writes our 32-hex transfer id as the UUID Bybit requires, and refuses anything else', () => {
    expect(transferUuid(ID)).toBe('9f3c2a10-b4d5-4e6f-8a7b-6c5d4e3f2a1b');
    expect(() => transferUuid('t-1')).toThrow(TransferRejectedError);
  });

  it('moves master FUND → bot UNIFIED by UID and finds it by transferId, with its ends', async () => {
    // Prepare
    const f = await fakeWith();
    const bybit = bybitFor(f);
    // Act
    await bybit.transfer(transferOf(ID, MASTER, sub(BOT_A), 150));
    const found = await bybit.findTransfer(ID, {
      from: MASTER,
      to: sub(BOT_A),
      sentAt: new Date().toISOString(),
    });
    // Assess
    expect(f.requests.find((r) => r.path === BYBIT_TRANSFER_PATH)?.body).toEqual({
      transferId: transferUuid(ID),
      coin: 'USDT',
      amount: '150',
      fromMemberId: f.masterUid,
      toMemberId: BOT_A,
      fromAccountType: 'FUND',
      toAccountType: 'UNIFIED',
    });
    expect(found).toMatchObject({
      status: 'completed',
      amount: money(150),
      from: MASTER,
      to: sub(BOT_A),
      currency: 'USDT',
    });
  });

  it('refuses to answer "none" for a transfer sent more than 5 weeks ago', async () => {
    // Prepare
    const f = await fakeWith();
    const sentAt = new Date(Date.now() - 40 * DAY).toISOString();
    // Act & Assess
    await expect(
      bybitFor(f).findTransfer(ID, { from: MASTER, to: sub(BOT_A), sentAt }),
    ).rejects.toThrow(ExchangeUnavailableError);
  });
});

describe('faults', () => {
  it('reports "Too many visits" (10006) as RateLimitedError', async () => {
    // Prepare
    const f = await fakeWith();
    f.inject('asset/transfer/query-account-coin-balance', { kind: 'rate_limit' });
    // Act & Assess
    await expect(bybitFor(f).masterBalance('USDT')).rejects.toThrow(RateLimitedError);
  });

  it.each([
    ['a wrong secret (10004)', { secret: 'not-the-secret' }],
    ['an unknown key (10003)', { apiKey: 'bybitUnknown' }],
  ])('reports %s as AuthenticationFailedError', async (_, wrong) => {
    // Prepare
    const f = await fakeWith();
    const k = { ...f.masterKey, ...wrong };
    // Act & Assess
    await expect(
      bybitFor(f, { key: async () => new ExchangeKey(k.apiKey, k.secret) }).masterBalance('USDT'),
    ).rejects.toThrow(AuthenticationFailedError);
  });
});
