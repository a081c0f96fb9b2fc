/**
 * The Binance adapter against a fake Binance on 127.0.0.1 that checks every request's signature
 * and timestamp: the batched futures summary in pages of 20, spot bots one call each, the
 * master's balance, transfers with clientTranId and their lookup as the sender within 7-day
 * windows, a reused clientTranId, and each fault on its own.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ExchangeKey } from '../../../functions/adapters/secrets.ts';
import {
  AmbiguousOutcomeError,
  AuthenticationFailedError,
  ExchangeUnavailableError,
  RateLimitedError,
} from '../../../functions/core/errors.ts';
import { money, ZERO } from '../../../functions/core/money.ts';
import { known } from '../../../functions/core/readings.ts';
import {
  type FakeBinance,
  type FakeBinanceAccountSpec,
  type FakeBinanceOptions,
  HISTORY_PATH,
  SUMMARY_PATH,
  startFakeBinance,
  TRANSFER_PATH,
} from '../../helpers/fake-binance.ts';
import { MASTER, sub, transferOf } from '../bitget/support.ts';
import { transferContract } from '../transfer-contract.ts';
import { binanceFor } from './support.ts';

const BOT_A = 'bot-a_virtual@botfolio.test';
const BOT_B = 'bot-b_virtual@botfolio.test';
const DAY = 24 * 3_600_000;

let fake: FakeBinance | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function fakeWith(options: FakeBinanceOptions = {}): Promise<FakeBinance> {
  fake = await startFakeBinance({
    master: { spot: { USDT: 1000 } },
    subAccounts: { [BOT_A]: { futures: { USDT: 0 } }, [BOT_B]: { futures: { USDT: 0 } } },
    ...options,
  });
  return fake;
}

describe('balances', () => {
  it('reads 45 futures bots in 3 calls: the summary in pages of 20 (⌈bots / 20⌉ calls)', async () => {
    // Prepare
    const subAccounts: Record<string, FakeBinanceAccountSpec> = {};
    for (let i = 0; i < 45; i++) subAccounts[`bot${i}@botfolio.test`] = { futures: { USDT: i } };
    const f = await fakeWith({ subAccounts });
    // Act
    const balances = await binanceFor(f).subAccountBalances(Object.keys(subAccounts), 'USDT');
    // Assess
    expect(f.calls()).toBe(3);
    const pages = f.requests.filter((r) => r.path === SUMMARY_PATH);
    expect(pages.map((r) => [r.query.page, r.query.limit, r.query.futuresType])).toEqual([
      ['1', '20', '1'],
      ['2', '20', '1'],
      ['3', '20', '1'],
    ]);
    expect(balances.size).toBe(45);
    expect(balances.get('bot0@botfolio.test')).toEqual(known(ZERO));
    expect(balances.get('bot44@botfolio.test')).toEqual(known(money(44)));
  });

  it('makes one call for 2 bots, and asks no page past a short one', async () => {
    // Prepare
    const f = await fakeWith();
    // Act
    await binanceFor(f).subAccountBalances([BOT_A, BOT_B], 'USDT');
    // Assess
    expect(f.calls()).toBe(1);
  });

  it('matches an email whatever its case, and keeps the exact decimals', async () => {
    // Prepare
    const f = await fakeWith({ subAccounts: { [BOT_A]: { futures: { USDT: '150.12345678' } } } });
    // Act
    const balances = await binanceFor(f).subAccountBalances([BOT_A.toUpperCase()], 'USDT');
    // Assess
    expect(balances.get(BOT_A.toUpperCase())).toEqual(known(money('150.12345678')));
  });

  it.each([
    ['absent from the summary', undefined, 'absent from Binance’s futures account summary'],
    ['null', null, "futures margin balance is null in Binance's answer"],
    ['unparseable', 'abc', 'futures margin balance "abc" is not an amount'],
    ['negative', '-5', 'futures margin balance "-5" is negative'],
  ])('reads a futures bot %s as unknown with why, never as 0', async (_, shown, reason) => {
    // Prepare
    const f = await fakeWith({ subAccounts: { [BOT_A]: { futures: { USDT: 10 } } } });
    f.corruptFutures(BOT_A, shown);
    // Act
    const balances = await binanceFor(f).subAccountBalances([BOT_A], 'USDT');
    // Assess
    expect(balances.get(BOT_A)).toEqual({ known: false, reason });
  });

  it('reads a spot bot with one call of its own, and a spot bot holding nothing as unknown', async () => {
    // Prepare
    const f = await fakeWith({
      subAccounts: { [BOT_A]: { spot: { USDT: '2.5', BTC: 1 } }, [BOT_B]: { spot: {} } },
    });
    const binance = binanceFor(f, {
      accountTypes: new Map([
        [BOT_A, 'spot'],
        [BOT_B, 'spot'],
      ]),
    });
    // Act
    const balances = await binance.subAccountBalances([BOT_A, BOT_B], 'USDT');
    // Assess: no summary call; one assets call per spot bot
    expect(f.calls(SUMMARY_PATH)).toBe(0);
    expect(f.calls('sapi/v4/sub-account/assets')).toBe(2);
    expect(balances.get(BOT_A)).toEqual(known(money('2.5')));
    expect(balances.get(BOT_B)).toEqual({
      known: false,
      reason: "no USDT in Binance's spot assets",
    });
  });

  it('reads no futures bot of a portfolio in another currency than USDT (the summary is in USD)', async () => {
    // Prepare
    const f = await fakeWith();
    // Act
    const balances = await binanceFor(f).subAccountBalances([BOT_A], 'USDC');
    // Assess
    expect(balances.get(BOT_A)?.known).toBe(false);
    expect(f.calls()).toBe(0);
  });

  it('reads the master’s free spot balance, or its futures one when so configured', async () => {
    // Prepare
    const f = await fakeWith({ master: { spot: { USDT: 1000 }, futures: { USDT: 40 } } });
    // Act & Assess
    expect(await binanceFor(f).masterBalance('USDT')).toBe(money(1000));
    expect(await binanceFor(f, { masterAccountType: 'futures' }).masterBalance('USDT')).toBe(
      money(40),
    );
  });

  it('signs every request the way Binance checks it', async () => {
    // Prepare
    const f = await fakeWith();
    const binance = binanceFor(f);
    // Act
    await binance.subAccountBalances([BOT_A], 'USDT');
    await binance.masterBalance('USDT');
    await binance.transfer(transferOf('sig00000000000000000000000000001', MASTER, sub(BOT_A), 10));
    await binance.findTransfer('sig00000000000000000000000000001', {
      from: MASTER,
      to: sub(BOT_A),
    });
    // Assess
    expect(f.requests).toHaveLength(4);
    expect(f.requests.every((r) => r.signed && r.status === 200)).toBe(true);
  });
});

transferContract({
  name: 'Binance',
  clientId: 'clientTranId',
  bot: BOT_A,
  transferPath: TRANSFER_PATH,
  start: fakeWith,
  close: (f) => f.close(),
  adapter: (f) => binanceFor(f),
  inject: (f, path, fault) => f.inject(path, fault),
  botFutures: (f) => f.balance(BOT_A, 'futures', 'USDT'),
  transfers: (f) => f.transfers.length,
});

describe('transfers', () => {
  it('moves master spot → bot futures with our clientTranId, the master’s end left out', async () => {
    // Prepare
    const f = await fakeWith();
    // Act
    const record = await binanceFor(f).transfer(transferOf('t-alloc-1', MASTER, sub(BOT_A), 150));
    // Assess
    expect(f.balance(f.masterEmail, 'spot', 'USDT')).toBe(money(850));
    expect(f.balance(BOT_A, 'futures', 'USDT')).toBe(money(150));
    const body = f.requests.find((r) => r.path === TRANSFER_PATH)?.body ?? {};
    expect(body).toMatchObject({
      toEmail: BOT_A,
      fromAccountType: 'SPOT',
      toAccountType: 'USDT_FUTURE',
      asset: 'USDT',
      amount: '150',
      clientTranId: 't-alloc-1',
    });
    expect(body).not.toHaveProperty('fromEmail');
    expect(record).toMatchObject({ clientOid: 't-alloc-1', amount: money(150) });
  });

  it('finds a transfer by clientTranId as its sender, with its asset and ends; nothing for one never sent', async () => {
    // Prepare
    const f = await fakeWith({ subAccounts: { [BOT_A]: { futures: { USDT: 100 } } } });
    const binance = binanceFor(f, { masterEmail: f.masterEmail });
    await binance.transfer(transferOf('t-in', MASTER, sub(BOT_A), 10));
    await binance.transfer(transferOf('t-out', sub(BOT_A), MASTER, 5));
    const sentAt = new Date().toISOString();
    // Act & Assess
    expect(
      await binance.findTransfer('t-in', { from: MASTER, to: sub(BOT_A), sentAt }),
    ).toMatchObject({
      status: 'completed',
      amount: money(10),
      currency: 'USDT',
      from: MASTER,
      to: sub(BOT_A),
    });
    expect(
      await binance.findTransfer('t-out', { from: sub(BOT_A), to: MASTER, sentAt }),
    ).toMatchObject({ status: 'completed', amount: money(5), from: sub(BOT_A), to: MASTER });
    expect(
      await binance.findTransfer('t-never', { from: MASTER, to: sub(BOT_A), sentAt }),
    ).toBeUndefined();
    const lookups = f.requests.filter((r) => r.path === HISTORY_PATH);
    expect(lookups.map((r) => r.query.fromEmail)).toEqual([undefined, BOT_A, undefined]);
    expect(lookups.every((r) => r.query.clientTranId && r.query.startTime)).toBe(true);
  });

  it('asks the history window by window back to when the transfer was sent, and refuses to guess past 5 weeks', async () => {
    // Prepare: a transfer sent 20 days ago
    const f = await fakeWith();
    const binance = binanceFor(f);
    await binance.transfer(transferOf('t-old', MASTER, sub(BOT_A), 10));
    f.age('t-old', 20 * DAY);
    const sentAt = (ago: number) => new Date(Date.now() - ago).toISOString();
    // Act
    const found = await binance.findTransfer('t-old', {
      from: MASTER,
      to: sub(BOT_A),
      sentAt: sentAt(20 * DAY),
    });
    // Assess: found in the first of three 7-day windows, each asked within Binance's 7 days
    expect(found?.amount).toBe(money(10));
    const windows = f.requests.filter((r) => r.path === HISTORY_PATH);
    expect(windows).toHaveLength(1);
    expect(
      await binance.findTransfer('t-none', {
        from: MASTER,
        to: sub(BOT_A),
        sentAt: sentAt(20 * DAY),
      }),
    ).toBeUndefined();
    expect(f.requests.filter((r) => r.path === HISTORY_PATH && r.status === 200)).toHaveLength(4);
    await expect(
      binance.findTransfer('t-old', { from: MASTER, to: sub(BOT_A), sentAt: sentAt(40 * DAY) }),
    ).rejects.toThrow(ExchangeUnavailableError);
  });

  it('refuses to answer "none" without knowing the sender (Binance lists by sender)', async () => {
    // Prepare
    const f = await fakeWith();
    // Act & Assess
    await expect(binanceFor(f).findTransfer('t-1')).rejects.toThrow(ExchangeUnavailableError);
    expect(f.calls()).toBe(0);
  });
});

describe('faults', () => {
  it('reports a 429 (-1003) as RateLimitedError', async () => {
    // Prepare
    const f = await fakeWith();
    f.inject('api/v3/account', { kind: 'rate_limit' });
    // Act & Assess
    await expect(binanceFor(f).masterBalance('USDT')).rejects.toThrow(RateLimitedError);
  });

  it('reports a 5xx or a timeout on a read as ExchangeUnavailableError', async () => {
    // Prepare
    const f = await fakeWith();
    f.inject(SUMMARY_PATH, { kind: 'status', status: 503 }, { kind: 'hang' });
    const binance = binanceFor(f);
    // Act & Assess
    await expect(binance.subAccountBalances([BOT_A], 'USDT')).rejects.toThrow(
      ExchangeUnavailableError,
    );
    await expect(binance.subAccountBalances([BOT_A], 'USDT')).rejects.toThrow(
      ExchangeUnavailableError,
    );
  });

  it.each([
    ['a wrong secret (-1022)', { secret: 'not-the-secret' }],
    ['an unknown key (-2015)', { apiKey: 'bn_unknown' }],
  ])('reports %s as AuthenticationFailedError', async (_, wrong) => {
    // Prepare
    const f = await fakeWith();
    const k = { ...f.masterKey, ...wrong };
    const binance = binanceFor(f, { key: async () => new ExchangeKey(k.apiKey, k.secret) });
    // Act & Assess
    await expect(binance.masterBalance('USDT')).rejects.toThrow(AuthenticationFailedError);
  });

  it('reports a stale timestamp (-1021) as ExchangeUnavailableError: refused, worth retrying', async () => {
    // Prepare: the fake's clock a minute ahead of ours
    const f = await fakeWith({ now: () => Date.now() + 60_000 });
    // Act & Assess
    await expect(binanceFor(f).masterBalance('USDT')).rejects.toThrow(ExchangeUnavailableError);
  });

  it('reports a server fault on a transfer (-1007, status unknown) as ambiguous', async () => {
    // Prepare
    const f = await fakeWith();
    f.inject(TRANSFER_PATH, {
      kind: 'error',
      code: '-1007',
      msg: 'Timeout waiting for response from backend server. Send status unknown; execution status unknown.',
      status: 408,
    });
    // Act & Assess
    await expect(
      binanceFor(f).transfer(transferOf('t-1007', MASTER, sub(BOT_A), 5)),
    ).rejects.toThrow(AmbiguousOutcomeError);
  });
});
