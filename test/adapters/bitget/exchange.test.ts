/**
 * The Bitget adapter against a fake Bitget on 127.0.0.1 that checks every request's signature:
 * batched balances with pages, master balance, transfers with clientOid and their verification,
 * a repeated clientOid, and each fault on its own.
 */

import { afterEach, describe, expect, it } from 'vitest';
import { ExchangeKey } from '../../../functions/adapters/secrets.ts';
import {
  AuthenticationFailedError,
  ExchangeUnavailableError,
  RateLimitedError,
} from '../../../functions/core/errors.ts';
import { money, ZERO } from '../../../functions/core/money.ts';
import { known } from '../../../functions/core/readings.ts';
import {
  type FakeAccountSpec,
  type FakeBitget,
  type FakeBitgetOptions,
  startFakeBitget,
} from '../../helpers/fake-bitget.ts';
import { transferContract } from '../transfer-contract.ts';
import { bitgetFor, MASTER, sub, transferOf } from './support.ts';

const BOT_A = '6712345678';
const BOT_B = '6712345679';
const TRANSFER = 'v2/spot/wallet/subaccount-transfer';
const RECORDS = 'v2/spot/account/sub-main-trans-record';

let fake: FakeBitget | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function fakeWith(options: FakeBitgetOptions = {}): Promise<FakeBitget> {
  fake = await startFakeBitget({
    master: { spot: { USDT: 1000 } },
    subAccounts: { [BOT_A]: { futures: { USDT: 0 } }, [BOT_B]: { futures: { USDT: 0 } } },
    ...options,
  });
  return fake;
}

describe('balances', () => {
  it('reads 120 bots in 4 calls: spot pages of 50 by cursor, one futures call for all', async () => {
    // Prepare: every bot holds spot USDT and futures equity
    const subAccounts: Record<string, FakeAccountSpec> = {};
    for (let i = 0; i < 120; i++) {
      subAccounts[String(7_000_000_000 + i)] = { spot: { USDT: 1 }, futures: { USDT: i } };
    }
    const f = await fakeWith({ subAccounts });
    const uids = Object.keys(subAccounts);
    // Act
    const balances = await bitgetFor(f).subAccountBalances(uids, 'USDT');
    // Assess
    expect(f.calls()).toBe(4);
    expect(f.calls('v2/spot/account/subaccount-assets')).toBe(3);
    expect(f.calls('v2/mix/account/sub-account-assets')).toBe(1);
    const pages = f.requests.filter((r) => r.path === 'v2/spot/account/subaccount-assets');
    // Cursor ids 1001…1120, newest first: the last ids of the first two pages are 1071 and 1021.
    expect(pages.map((r) => r.query.idLessThan)).toEqual([undefined, '1071', '1021']);
    expect(pages.every((r) => r.query.limit === '50')).toBe(true);
    expect(balances.size).toBe(120);
    expect(balances.get('7000000000')).toEqual(known(money(1)));
    expect(balances.get('7000000119')).toEqual(known(money(120)));
  });

  it('adds a bot’s spot holding to its futures equity', async () => {
    // Prepare
    const f = await fakeWith({
      subAccounts: {
        [BOT_A]: { spot: { USDT: '2.5', BTC: 1 }, futures: { USDT: '150.12345678' } },
        [BOT_B]: { futures: { USDT: 0 } },
      },
    });
    // Act
    const balances = await bitgetFor(f).subAccountBalances([BOT_A, BOT_B], 'USDT');
    // Assess
    expect(balances).toEqual(
      new Map([
        [BOT_A, known(money('152.62345678'))],
        [BOT_B, known(ZERO)],
      ]),
    );
  });

  it('reads a futures bot absent from the futures answer as unknown, not 0 (and a spot bot absent from the spot pages)', async () => {
    // Prepare: BOT_A trades futures but Bitget's futures answer leaves it out; BOT_B trades spot
    // and holds nothing in spot, so the spot pages leave it out
    const f = await fakeWith({ subAccounts: { [BOT_A]: { spot: { USDT: 5 } }, [BOT_B]: {} } });
    const bitget = bitgetFor(f, { accountTypes: new Map([[BOT_B, 'spot']]) });
    // Act
    const balances = await bitget.subAccountBalances([BOT_A, BOT_B], 'USDT');
    // Assess
    expect(balances.get(BOT_A)).toEqual({
      known: false,
      reason: 'absent from Bitget’s futures sub-account assets',
    });
    expect(balances.get(BOT_B)).toEqual({
      known: false,
      reason: 'absent from Bitget’s spot sub-account assets',
    });
  });

  it('makes as many calls for 2 bots as for 120 (the count does not grow per bot)', async () => {
    // Prepare
    const f = await fakeWith();
    // Act
    await bitgetFor(f).subAccountBalances([BOT_A, BOT_B], 'USDT');
    // Assess: one (empty) spot page, one futures call
    expect(f.calls()).toBe(2);
  });

  it('reuses a futures snapshot younger than the endpoint’s 10 s window instead of waiting', async () => {
    // Prepare
    let now = Date.now();
    const f = await fakeWith();
    const bitget = bitgetFor(f, { now: () => now });
    await bitget.subAccountBalances([BOT_A], 'USDT');
    f.setBalance(BOT_A, 'spot', 'USDT', 3);
    // Act
    now += 5_000;
    const again = await bitget.subAccountBalances([BOT_A], 'USDT');
    // Assess: spot read afresh, futures not asked again
    expect(again.get(BOT_A)).toEqual(known(money(3)));
    expect(f.calls('v2/mix/account/sub-account-assets')).toBe(1);
  });

  it('does not reuse a futures snapshot taken before a transfer it sent', async () => {
    // Prepare: a snapshot, then a transfer into the bot's futures account
    let now = Date.now();
    const f = await fakeWith();
    const bitget = bitgetFor(f, { now: () => now, maxRateWaitMs: 0 });
    await bitget.subAccountBalances([BOT_A], 'USDT');
    await bitget.transfer(transferOf('after-snapshot', MASTER, sub(BOT_A), 10));
    // Act: within the 10 s window
    now += 5_000;
    // Assess: asked afresh, not answered from before the money moved (here: refused, rate limited)
    await expect(bitget.subAccountBalances([BOT_A], 'USDT')).rejects.toThrow(RateLimitedError);
  });

  it('never calls the futures endpoint twice within 10 s: RateLimitedError, and Bitget is not asked', async () => {
    // Prepare
    const f = await fakeWith();
    const bitget = bitgetFor(f, { futuresSnapshotMaxAgeMs: 0, maxRateWaitMs: 1_000 });
    await bitget.subAccountBalances([BOT_A], 'USDT');
    // Act & Assess
    await expect(bitget.subAccountBalances([BOT_A], 'USDT')).rejects.toThrow(RateLimitedError);
    expect(f.calls('v2/mix/account/sub-account-assets')).toBe(1);
  });

  it('reads the master’s available spot balance, or its futures one when so configured', async () => {
    // Prepare
    const f = await fakeWith({ master: { spot: { USDT: 1000 }, futures: { USDT: 40 } } });
    // Act & Assess
    expect(await bitgetFor(f).masterBalance('USDT')).toBe(money(1000));
    expect(await bitgetFor(f, { masterAccountType: 'futures' }).masterBalance('USDT')).toBe(
      money(40),
    );
  });

  it('signs every request the way Bitget checks it', async () => {
    // Prepare
    const f = await fakeWith();
    const bitget = bitgetFor(f);
    // Act
    await bitget.subAccountBalances([BOT_A], 'USDT');
    await bitget.masterBalance('USDT');
    await bitget.transfer(transferOf('sig-1', MASTER, sub(BOT_A), 10));
    await bitget.findTransfer('sig-1');
    // Assess
    expect(f.requests.length).toBeGreaterThan(4);
    expect(f.requests.every((r) => r.signed && r.status === 200)).toBe(true);
  });
});

transferContract({
  name: 'Bitget',
  clientId: 'clientOid',
  bot: BOT_A,
  transferPath: TRANSFER,
  start: fakeWith,
  close: (f) => f.close(),
  adapter: (f) => bitgetFor(f),
  inject: (f, path, fault) => f.inject(path, fault),
  botFutures: (f) => f.balance(BOT_A, 'futures', 'USDT'),
  transfers: (f) => f.transfers.length,
});

describe('transfers', () => {
  it('moves master spot → bot futures with our clientOid and the UIDs of both ends', async () => {
    // Prepare
    const f = await fakeWith();
    // Act
    const record = await bitgetFor(f).transfer(transferOf('t-alloc-1', MASTER, sub(BOT_A), 150));
    // Assess
    expect(f.balance(f.masterUid, 'spot', 'USDT')).toBe(money(850));
    expect(f.balance(BOT_A, 'futures', 'USDT')).toBe(money(150));
    expect(f.requests.find((r) => r.path === TRANSFER)?.body).toEqual({
      fromType: 'spot',
      toType: 'usdt_futures',
      amount: '150',
      coin: 'USDT',
      clientOid: 't-alloc-1',
      fromUserId: f.masterUid,
      toUserId: BOT_A,
    });
    expect(record).toMatchObject({ clientOid: 't-alloc-1', amount: money(150) });
  });

  it('moves bot → master (a harvest), and a bot configured for spot uses its spot account', async () => {
    // Prepare
    const f = await fakeWith({
      subAccounts: { [BOT_A]: { futures: { USDT: 200 } }, [BOT_B]: { spot: { USDT: 50 } } },
    });
    const bitget = bitgetFor(f, { accountTypes: new Map([[BOT_B, 'spot']]) });
    // Act
    await bitget.transfer(transferOf('t-harvest', sub(BOT_A), MASTER, '30.5'));
    await bitget.transfer(transferOf('t-spot', sub(BOT_B), MASTER, 20));
    // Assess
    expect(f.balance(BOT_A, 'futures', 'USDT')).toBe(money('169.5'));
    expect(f.balance(BOT_B, 'spot', 'USDT')).toBe(money(30));
    expect(f.balance(f.masterUid, 'spot', 'USDT')).toBe(money('1050.5'));
  });

  it('finds a transfer by clientOid in either direction, with its coin and ends, and nothing for one never sent', async () => {
    // Prepare
    const f = await fakeWith({ subAccounts: { [BOT_A]: { futures: { USDT: 100 } } } });
    const bitget = bitgetFor(f);
    await bitget.transfer(transferOf('t-in', MASTER, sub(BOT_A), 10));
    await bitget.transfer(transferOf('t-out', sub(BOT_A), MASTER, 5));
    // Act & Assess
    expect(await bitget.findTransfer('t-in')).toMatchObject({
      status: 'completed',
      amount: money(10),
      currency: 'USDT',
      from: MASTER,
      to: sub(BOT_A),
    });
    expect(await bitget.findTransfer('t-out')).toMatchObject({
      status: 'completed',
      amount: money(5),
      from: sub(BOT_A),
      to: MASTER,
    });
    expect(await bitget.findTransfer('t-never')).toBeUndefined();
    expect(f.requests.filter((r) => r.path === RECORDS).every((r) => r.query.clientOid)).toBe(true);
  });
});

describe('faults', () => {
  it('reports a 429 as RateLimitedError', async () => {
    // Prepare
    const f = await fakeWith();
    f.inject('v2/spot/account/assets', { kind: 'rate_limit' });
    // Act & Assess
    await expect(bitgetFor(f).masterBalance('USDT')).rejects.toThrow(RateLimitedError);
  });

  it('reports a 5xx on a read as ExchangeUnavailableError', async () => {
    // Prepare
    const f = await fakeWith();
    f.inject('v2/spot/account/subaccount-assets', { kind: 'status', status: 503 });
    // Act & Assess
    await expect(bitgetFor(f).subAccountBalances([BOT_A], 'USDT')).rejects.toThrow(
      ExchangeUnavailableError,
    );
  });

  it('reports a read that timed out as ExchangeUnavailableError (nothing to be ambiguous about)', async () => {
    // Prepare
    const f = await fakeWith();
    f.inject('v2/mix/account/sub-account-assets', { kind: 'hang' });
    // Act & Assess
    await expect(bitgetFor(f).subAccountBalances([BOT_A], 'USDT')).rejects.toThrow(
      ExchangeUnavailableError,
    );
  });

  it.each([
    ['a wrong secret (signature refused)', { secret: 'not-the-secret' }],
    ['a wrong passphrase', { passphrase: 'not-the-passphrase' }],
    ['an unknown key', { apiKey: 'bg_unknown' }],
  ])('reports %s as AuthenticationFailedError', async (_, wrong) => {
    // Prepare
    const f = await fakeWith();
    const k = { ...f.masterKey, ...wrong };
    const bitget = bitgetFor(f, {
      key: async () => new ExchangeKey(k.apiKey, k.secret, k.passphrase),
    });
    // Act & Assess
    await expect(bitget.masterBalance('USDT')).rejects.toThrow(AuthenticationFailedError);
  });

  it('reports a key not bound to this IP (Bitget 40018) as AuthenticationFailedError', async () => {
    // Prepare
    const f = await fakeWith();
    f.inject('v2/spot/account/assets', { kind: 'error', code: '40018', msg: 'Invalid IP' });
    // Act & Assess
    await expect(bitgetFor(f).masterBalance('USDT')).rejects.toThrow(AuthenticationFailedError);
  });

  it('sends nothing when there is no usable key (e.g. the secret still holds REPLACE_ME)', async () => {
    // Prepare: a key provider refusing, as secrets.ts does for a placeholder
    const f = await fakeWith();
    const bitget = bitgetFor(f, {
      key: async () => {
        throw new AuthenticationFailedError('the bitget key is not filled in yet');
      },
    });
    // Act & Assess
    await expect(bitget.masterBalance('USDT')).rejects.toThrow(AuthenticationFailedError);
    await expect(bitget.transfer(transferOf('t-1', MASTER, sub(BOT_A), 1))).rejects.toThrow(
      AuthenticationFailedError,
    );
    expect(f.calls()).toBe(0);
  });
});
