/**
 * The OKX adapter against a fake OKX on 127.0.0.1 that checks every request's signature,
 * passphrase and timestamp: one read per bot's sub-account within OKX's limit, unknown-not-zero
 * readings, the master's balance, transfers with clientId (type 1 in, 2 out) and their lookup by
 * clientId and type, the contract every adapter passes, and OKX's error codes.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { OkxExchange, type OkxExchangeOptions } from '../../../functions/adapters/okx/exchange.ts';
import { ExchangeKey } from '../../../functions/adapters/secrets.ts';
import {
  AuthenticationFailedError,
  ExchangeUnavailableError,
  RateLimitedError,
} from '../../../functions/core/errors.ts';
import { money } from '../../../functions/core/money.ts';
import { known } from '../../../functions/core/readings.ts';
import {
  type FakeOkx,
  type FakeOkxOptions,
  OKX_TRANSFER_PATH,
  startFakeOkx,
} from '../../helpers/fake-okx.ts';
import { MASTER, sub, transferOf } from '../bitget/support.ts';
import { transferContract } from '../transfer-contract.ts';

const BOT_A = 'botLorentzianSol';
const BOT_B = 'botSwingBtc';
const DAY = 24 * 3_600_000;

const okxFor = (f: FakeOkx, options: Partial<OkxExchangeOptions> = {}) =>
  new OkxExchange({
    key: async () =>
      new ExchangeKey(f.masterKey.apiKey, f.masterKey.secret, f.masterKey.passphrase),
    apiUrl: f.url,
    timeoutMs: 1_000, // a loaded 2-core machine can take 300 ms to answer; a fault test waits this long
    ...options,
  });

let fake: FakeOkx | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function fakeWith(options: FakeOkxOptions = {}): Promise<FakeOkx> {
  fake = await startFakeOkx({
    master: { spot: { USDT: 1000 } },
    subAccounts: { [BOT_A]: { futures: { USDT: 0 } }, [BOT_B]: { futures: { USDT: 0 } } },
    ...options,
  });
  return fake;
}

describe('balances', () => {
  it('reads each bot’s trading equity with one call of its own, signed as OKX checks it', async () => {
    // Prepare
    const f = await fakeWith({
      subAccounts: {
        [BOT_A]: { futures: { USDT: '150.12345678' } },
        [BOT_B]: { futures: { USDT: 0 } },
      },
    });
    // Act
    const balances = await okxFor(f).subAccountBalances([BOT_A, BOT_B], 'USDT');
    // Assess: one call per bot (OKX has no batched read)
    expect(f.calls('account/subaccount/balances')).toBe(2);
    expect(f.requests.every((r) => r.signed && r.status === 200)).toBe(true);
    expect(balances).toEqual(
      new Map([
        [BOT_A, known(money('150.12345678'))],
        [BOT_B, known(money(0))],
      ]),
    );
  });

  it('reads 8 bots within the limit of 6 calls per 2 s by waiting, not by failing', async () => {
    // Prepare
    const subAccounts = Object.fromEntries(
      Array.from({ length: 8 }, (_, i) => [`bot${i}`, { futures: { USDT: i } }]),
    );
    const f = await fakeWith({ subAccounts });
    // Act (a timeout no slow test machine reaches: this is about the limit)
    const balances = await okxFor(f, { timeoutMs: 5_000 }).subAccountBalances(
      Object.keys(subAccounts),
      'USDT',
    );
    // Assess
    expect([...balances.values()].every((b) => b.known)).toBe(true);
    expect(f.requests.every((r) => r.status === 200)).toBe(true);
  });

  it.each([
    ['left out of the answer', undefined, "no USDT in OKX's trading account answer"],
    ['null', null, "trading equity is null in OKX's answer"],
    ['unparseable', 'abc', 'trading equity "abc" is not an amount'],
    ['negative', '-5', 'trading equity "-5" is negative'],
  ])('reads a bot whose equity is %s as unknown with why, never as 0', async (_, shown, reason) => {
    // Prepare
    const f = await fakeWith();
    f.corruptFutures(BOT_A, shown);
    // Act
    const balances = await okxFor(f).subAccountBalances([BOT_A], 'USDT');
    // Assess
    expect(balances.get(BOT_A)).toEqual({ known: false, reason });
  });

  it('leaves a bot whose read failed unknown, and reads the others', async () => {
    // Prepare
    const f = await fakeWith();
    f.inject('account/subaccount/balances', { kind: 'status', status: 503 });
    // Act
    const balances = await okxFor(f).subAccountBalances([BOT_A, BOT_B], 'USDT');
    // Assess
    expect(balances.get(BOT_A)?.known).toBe(false);
    expect(balances.get(BOT_B)).toEqual(known(money(0)));
  });

  it('fails the whole read when the key is refused', async () => {
    // Prepare
    const f = await fakeWith();
    const okx = okxFor(f, {
      key: async () => new ExchangeKey(f.masterKey.apiKey, 'wrong', f.masterKey.passphrase),
    });
    // Act & Assess
    await expect(okx.subAccountBalances([BOT_A, BOT_B], 'USDT')).rejects.toThrow(
      AuthenticationFailedError,
    );
  });

  it('reads the master’s funding balance, or its trading one when so configured', async () => {
    // Prepare
    const f = await fakeWith({ master: { spot: { USDT: 1000 }, futures: { USDT: 40 } } });
    // Act & Assess
    expect(await okxFor(f).masterBalance('USDT')).toBe(money(1000));
    expect(await okxFor(f, { masterAccountType: 'futures' }).masterBalance('USDT')).toBe(money(40));
  });
});

transferContract({
  name: 'OKX',
  clientId: 'clientId',
  bot: BOT_A,
  transferPath: OKX_TRANSFER_PATH,
  start: fakeWith,
  close: (f) => f.close(),
  adapter: (f) => okxFor(f),
  inject: (f, path, fault) => f.inject(path, fault),
  botFutures: (f) => f.balance(BOT_A, 'futures', 'USDT'),
  transfers: (f) => f.transfers.length,
});

describe('transfers', () => {
  it('moves master funding → bot trading as type 1 with our clientId, and back as type 2', async () => {
    // Prepare
    const f = await fakeWith();
    const okx = okxFor(f);
    // Act
    await okx.transfer(transferOf('tAlloc1', MASTER, sub(BOT_A), 150));
    await okx.transfer(transferOf('tHarvest1', sub(BOT_A), MASTER, '30.5'));
    // Assess
    expect(f.requests.filter((r) => r.path === OKX_TRANSFER_PATH).map((r) => r.body)).toEqual([
      {
        type: '1',
        ccy: 'USDT',
        amt: '150',
        from: '6',
        to: '18',
        subAcct: BOT_A,
        clientId: 'tAlloc1',
      },
      {
        type: '2',
        ccy: 'USDT',
        amt: '30.5',
        from: '18',
        to: '6',
        subAcct: BOT_A,
        clientId: 'tHarvest1',
      },
    ]);
    expect(f.balance(BOT_A, 'futures', 'USDT')).toBe(money('119.5'));
    expect(f.balance(f.master, 'spot', 'USDT')).toBe(money('880.5'));
  });

  it('finds a transfer by clientId and its direction, with its ends; nothing for one never sent', async () => {
    // Prepare
    const f = await fakeWith();
    const okx = okxFor(f);
    await okx.transfer(transferOf('tIn', MASTER, sub(BOT_A), 10));
    await okx.transfer(transferOf('tOut', sub(BOT_A), MASTER, 5));
    // Act & Assess
    expect(await okx.findTransfer('tIn', { from: MASTER, to: sub(BOT_A) })).toMatchObject({
      status: 'completed',
      amount: money(10),
      currency: 'USDT',
      from: MASTER,
      to: sub(BOT_A),
    });
    expect(await okx.findTransfer('tOut')).toMatchObject({
      amount: money(5),
      from: sub(BOT_A),
      to: MASTER,
    });
    expect(await okx.findTransfer('tNever', { from: MASTER, to: sub(BOT_A) })).toBeUndefined();
  });

  it('refuses to answer "none" for a transfer sent longer ago than OKX keeps its state', async () => {
    // Prepare
    const f = await fakeWith();
    const sentAt = new Date(Date.now() - 15 * DAY).toISOString();
    // Act & Assess
    await expect(
      okxFor(f).findTransfer('tOld', { from: MASTER, to: sub(BOT_A), sentAt }),
    ).rejects.toThrow(ExchangeUnavailableError);
  });
});

describe('faults', () => {
  it('reports a 429 (50011) as RateLimitedError', async () => {
    // Prepare
    const f = await fakeWith();
    f.inject('asset/balances', { kind: 'rate_limit' });
    // Act & Assess
    await expect(okxFor(f).masterBalance('USDT')).rejects.toThrow(RateLimitedError);
  });

  it.each([
    ['a wrong secret (50113)', { secret: 'not-the-secret' }],
    ['a wrong passphrase (50105)', { passphrase: 'not-the-passphrase' }],
    ['an unknown key (50111)', { apiKey: 'okx-unknown' }],
  ])('reports %s as AuthenticationFailedError', async (_, wrong) => {
    // Prepare
    const f = await fakeWith();
    const k = { ...f.masterKey, ...wrong };
    const okx = okxFor(f, { key: async () => new ExchangeKey(k.apiKey, k.secret, k.passphrase) });
    // Act & Assess
    await expect(okx.masterBalance('USDT')).rejects.toThrow(AuthenticationFailedError);
  });
});
