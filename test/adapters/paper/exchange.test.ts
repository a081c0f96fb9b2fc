import { describe, expect, it } from 'vitest';
import { PaperExchange } from '../../../functions/adapters/paper/exchange.ts';
import { scriptedFaults } from '../../../functions/adapters/paper/faults.ts';
import { InsufficientFundsError, TransferRejectedError } from '../../../functions/core/errors.ts';
import { type Money, money } from '../../../functions/core/money.ts';
import type { ExchangeAccount, ExchangeTransferRequest } from '../../../functions/core/ports.ts';
import { known } from '../../../functions/core/readings.ts';

const MASTER: ExchangeAccount = { kind: 'master' };
const subAccount = (uid: string): ExchangeAccount => ({ kind: 'sub', uid });

function exchange(): PaperExchange {
  return new PaperExchange({
    currency: 'USDT',
    master: money(1000),
    subAccounts: { A: money(150), B: money('100.5') },
  });
}

function request(overrides: Partial<ExchangeTransferRequest> = {}): ExchangeTransferRequest {
  return {
    clientOid: 'main-c1-botA-harvest-0',
    from: subAccount('A'),
    to: MASTER,
    amount: money('30.12345678'),
    currency: 'USDT',
    ...overrides,
  };
}

async function balances(ex: PaperExchange): Promise<{ master: Money; A?: Money; B?: Money }> {
  const subs = await ex.subAccountBalances(['A', 'B'], 'USDT');
  const of = (uid: string) => {
    const r = subs.get(uid);
    return r?.known ? r.balance : undefined;
  };
  return { master: await ex.masterBalance('USDT'), A: of('A'), B: of('B') };
}

describe('PaperExchange transfers', () => {
  it('moves the exact amount from the master account to a sub-account', async () => {
    const ex = exchange();

    const record = await ex.transfer(
      request({ from: MASTER, to: subAccount('B'), amount: money('82.50000001') }),
    );

    expect(record).toMatchObject({ status: 'completed', amount: money('82.50000001') });
    expect(await balances(ex)).toEqual({
      master: money('917.49999999'),
      A: money(150),
      B: money('183.00000001'),
    });
  });

  it('moves the exact amount from a sub-account to the master account', async () => {
    const ex = exchange();

    await ex.transfer(request());

    expect(await balances(ex)).toEqual({
      master: money('1030.12345678'),
      A: money('119.87654322'),
      B: money('100.5'),
    });
  });

  it('moves nothing and says so when the source does not hold the amount', async () => {
    const ex = exchange();

    await expect(ex.transfer(request({ amount: money('150.00000001') }))).rejects.toThrow(
      InsufficientFundsError,
    );

    expect(await balances(ex)).toEqual({ master: money(1000), A: money(150), B: money('100.5') });
    expect(await ex.findTransfer(request().clientOid)).toBeUndefined();
  });

  it('lets the whole balance go, to the last unit', async () => {
    const ex = exchange();

    await ex.transfer(request({ amount: money(150) }));

    expect((await balances(ex)).A).toBe(money(0));
  });

  it('answers a repeated clientOid with the first record and moves nothing again', async () => {
    const ex = exchange();
    const first = await ex.transfer(request());

    const again = await ex.transfer(request());

    expect(again).toEqual(first);
    expect(await balances(ex)).toEqual({
      master: money('1030.12345678'),
      A: money('119.87654322'),
      B: money('100.5'),
    });
    expect(ex.books().transfers).toHaveLength(1);
    expect(ex.books().transfers[0]?.applied).toBe(1);
  });

  it('returns the first record for a repeated clientOid even once the source is empty', async () => {
    const ex = exchange();
    const first = await ex.transfer(request({ amount: money(150) }));

    await expect(ex.transfer(request({ amount: money(150) }))).resolves.toEqual(first);
  });

  it.each([
    ['another amount', { amount: money(31) }],
    ['another destination', { to: subAccount('B') }],
    ['another source', { from: subAccount('B') }],
  ])('rejects a reused clientOid with %s and moves nothing', async (_, change) => {
    const ex = exchange();
    await ex.transfer(request());
    const before = await balances(ex);

    await expect(ex.transfer(request(change))).rejects.toThrow(
      new TransferRejectedError('clientOid reused with different parameters'),
    );

    expect(await balances(ex)).toEqual(before);
  });

  it('rejects a transfer naming an unknown sub-account, as source or destination', async () => {
    const ex = exchange();

    await expect(ex.transfer(request({ from: subAccount('ZZ') }))).rejects.toThrow(
      /no sub-account ZZ/,
    );
    await expect(ex.transfer(request({ from: MASTER, to: subAccount('YY') }))).rejects.toThrow(
      TransferRejectedError,
    );
    expect(await balances(ex)).toEqual({ master: money(1000), A: money(150), B: money('100.5') });
  });

  it.each([
    ['a zero amount', { amount: money(0) }],
    ['a negative amount', { amount: money(-5) }],
    ['another currency', { currency: 'USDC' }],
    ['the same account at both ends', { to: subAccount('A') }],
  ])('rejects %s', async (_, change) => {
    const ex = exchange();

    await expect(ex.transfer(request(change))).rejects.toThrow(TransferRejectedError);
    expect(ex.books().transfers).toEqual([]);
  });

  it('finds an applied transfer by clientOid, and nothing for one it never applied', async () => {
    const ex = exchange();
    const record = await ex.transfer(request());

    expect(await ex.findTransfer(request().clientOid)).toEqual(record);
    expect(await ex.findTransfer('never-sent')).toBeUndefined();
  });

  it('records what it moved under a short fault, with the asset and both ends, and stays idempotent', async () => {
    // Prepare: the next transfer moves 30 of the 30.12345678 asked
    const ex = new PaperExchange({
      currency: 'USDT',
      master: money(1000),
      subAccounts: { A: money(150) },
      faults: scriptedFaults([{ op: 'transfer', kind: 'short', moves: money(30) }]),
    });
    // Act
    await ex.transfer(request());
    const again = await ex.transfer(request());
    // Assess
    const found = await ex.findTransfer(request().clientOid);
    expect(found).toMatchObject({
      amount: money(30),
      currency: 'USDT',
      from: subAccount('A'),
      to: MASTER,
    });
    expect(again).toEqual(found);
    expect((await balances(ex)).A).toBe(money(120));
    const restored = PaperExchange.fromJSON(JSON.parse(JSON.stringify(ex)));
    expect(restored.books().transfers[0]).toMatchObject({
      amount: money(30),
      asked: request().amount,
    });
  });
});

describe('PaperExchange balances', () => {
  it('reads many sub-accounts in one call', async () => {
    const ex = exchange();
    ex.openSubAccount('C', money(7));

    const result = await ex.subAccountBalances(['A', 'B', 'C'], 'USDT');

    expect(result).toEqual(
      new Map([
        ['A', known(money(150))],
        ['B', known(money('100.5'))],
        ['C', known(money(7))],
      ]),
    );
    expect(ex.calls).toEqual({ balances: 1, master: 0, transfer: 0, find: 0 });
  });

  it('reads a sub-account it does not have as unknown, and the others as usual', async () => {
    const ex = exchange();

    const result = await ex.subAccountBalances(['A', 'ghost'], 'USDT');

    expect(result.get('A')).toEqual(known(money(150)));
    expect(result.get('ghost')).toEqual({
      known: false,
      reason: 'no such sub-account on the paper exchange',
    });
  });

  it('opens a sub-account empty by default', async () => {
    const ex = exchange();

    ex.openSubAccount('new');

    expect((await ex.subAccountBalances(['new'], 'USDT')).get('new')).toEqual(known(money(0)));
  });
});

describe('PaperExchange books', () => {
  it('keeps balance = opening + trading PnL + transfers in − transfers out', async () => {
    const ex = exchange();
    await ex.transfer(request({ amount: money(50) }));
    ex.setSubAccountEquity('A', money(120));
    await ex.transfer(
      request({ clientOid: 'refill', from: MASTER, to: subAccount('A'), amount: money(10) }),
    );

    const books = ex.books();

    expect(books.subAccounts.get('A')).toEqual({
      opening: money(150),
      tradingPnl: money(20),
      balance: money(130),
    });
    expect(books.master.balance).toBe(money(1040));
    expect(books.transfers.map((t) => [t.clientOid, t.applied])).toEqual([
      [request().clientOid, 1],
      ['refill', 1],
    ]);
  });

  it('is a copy: changing it does not change the exchange', () => {
    const ex = exchange();
    const books = ex.books() as { master: { balance: Money } };

    books.master.balance = money(1);

    expect(ex.books().master.balance).toBe(money(1000));
  });
});

describe('PaperExchange persistence', () => {
  it('comes back from JSON with the same balances, records and idempotency', async () => {
    const ex = exchange();
    const record = await ex.transfer(request());
    ex.setSubAccountEquity('B', money('99.99999999'));

    const text = JSON.stringify(ex);
    const restored = PaperExchange.fromJSON(JSON.parse(text));

    expect(restored.books()).toEqual(ex.books());
    expect(await restored.findTransfer(record.clientOid)).toEqual(record);
    await expect(restored.transfer(request())).resolves.toEqual(record);
    expect(restored.books().master.balance).toBe(money('1030.12345678'));
  });

  it('writes money as decimal strings', () => {
    const json = exchange().toJSON();

    expect(json.master.balance).toBe('1000.00000000');
    expect(json.subAccounts.B?.opening).toBe('100.50000000');
  });

  it('refuses saved data with a float amount, naming the path', () => {
    const json = exchange().toJSON();
    const bad = { ...json, master: { ...json.master, balance: 1000.5 } };

    expect(() => PaperExchange.fromJSON(bad)).toThrow(/master\.balance/);
  });

  it('gives new transfers fresh exchange ids after a restore', async () => {
    const ex = exchange();
    const first = await ex.transfer(request());

    const restored = PaperExchange.fromJSON(ex.toJSON());
    const second = await restored.transfer(request({ clientOid: 'next', amount: money(1) }));

    expect(second.exchangeTransferId).not.toBe(first.exchangeTransferId);
  });
});
