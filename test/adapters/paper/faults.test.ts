import { describe, expect, it } from 'vitest';
import { PaperExchange } from '../../../functions/adapters/paper/exchange.ts';
import {
  type FaultOp,
  type FaultPlan,
  randomFaults,
  scriptedFaults,
} from '../../../functions/adapters/paper/faults.ts';
import {
  AmbiguousOutcomeError,
  AuthenticationFailedError,
  ExchangeUnavailableError,
  InsufficientFundsError,
  RateLimitedError,
} from '../../../functions/core/errors.ts';
import { money } from '../../../functions/core/money.ts';
import type { ExchangeTransferRequest } from '../../../functions/core/ports.ts';
import { known } from '../../../functions/core/readings.ts';

const HARVEST: ExchangeTransferRequest = {
  clientOid: 'main-c7-botA-harvest-0',
  from: { kind: 'sub', uid: 'A' },
  to: { kind: 'master' },
  amount: money(30),
  currency: 'USDT',
};

function exchange(faults: FaultPlan): PaperExchange {
  return new PaperExchange({
    currency: 'USDT',
    master: money(1000),
    subAccounts: { A: money(200) },
    faults,
  });
}

describe('injected transfer faults', () => {
  it.each([
    ['rate_limit', RateLimitedError],
    ['unavailable', ExchangeUnavailableError],
    ['timeout_before', AmbiguousOutcomeError],
    ['insufficient', InsufficientFundsError],
    ['auth', AuthenticationFailedError],
  ] as const)('%s throws %s and moves nothing', async (kind, error) => {
    const ex = exchange(scriptedFaults([{ op: 'transfer', kind }]));

    await expect(ex.transfer(HARVEST)).rejects.toThrow(error);

    expect(await ex.findTransfer(HARVEST.clientOid)).toBeUndefined();
    expect(ex.books().master.balance).toBe(money(1000));
    expect(ex.books().subAccounts.get('A')?.balance).toBe(money(200));
  });

  it('timeout_after applies the transfer, then loses the answer', async () => {
    const ex = exchange(scriptedFaults([{ op: 'transfer', kind: 'timeout_after' }]));

    await expect(ex.transfer(HARVEST)).rejects.toThrow(AmbiguousOutcomeError);

    expect(await ex.findTransfer(HARVEST.clientOid)).toMatchObject({ status: 'completed' });
    expect(ex.books().master.balance).toBe(money(1030));
    expect(ex.books().subAccounts.get('A')?.balance).toBe(money(170));
  });

  it('timeout_after loses even a refusal: ambiguous to the caller, nothing moved', async () => {
    const ex = exchange(scriptedFaults([{ op: 'transfer', kind: 'timeout_after' }]));

    await expect(ex.transfer({ ...HARVEST, amount: money(201) })).rejects.toThrow(
      AmbiguousOutcomeError,
    );

    expect(await ex.findTransfer(HARVEST.clientOid)).toBeUndefined();
    expect(ex.books().subAccounts.get('A')?.balance).toBe(money(200));
  });

  it('a resubmit after timeout_after gets the first record and moves nothing again', async () => {
    const ex = exchange(scriptedFaults([{ op: 'transfer', kind: 'timeout_after' }]));
    await ex.transfer(HARVEST).catch(() => undefined);

    const record = await ex.transfer(HARVEST);

    expect(record.amount).toBe(money(30));
    expect(ex.books().master.balance).toBe(money(1030));
    expect(ex.books().transfers.map((t) => t.applied)).toEqual([1]);
  });

  it('a transfer refused by a fault can be submitted again with the same clientOid', async () => {
    const ex = exchange(scriptedFaults([{ op: 'transfer', kind: 'rate_limit' }]));
    await ex.transfer(HARVEST).catch(() => undefined);

    await ex.transfer(HARVEST);

    expect(ex.books().master.balance).toBe(money(1030));
  });

  it('latency delays the call and then lets it through', async () => {
    const ex = exchange(scriptedFaults([{ op: 'transfer', kind: 'latency', latencyMs: 40 }]));
    const started = performance.now();

    await ex.transfer(HARVEST);

    expect(performance.now() - started).toBeGreaterThanOrEqual(35);
    expect(ex.books().master.balance).toBe(money(1030));
  });
});

describe('injected read faults', () => {
  it.each([
    ['balances', (ex: PaperExchange) => ex.subAccountBalances(['A'], 'USDT')],
    ['master', (ex: PaperExchange) => ex.masterBalance('USDT')],
    ['find', (ex: PaperExchange) => ex.findTransfer('x')],
  ] as const)('%s: a timeout is an outage, not an ambiguous outcome', async (op, read) => {
    const ex = exchange(scriptedFaults([{ op, kind: 'timeout_after' }]));

    await expect(read(ex)).rejects.toThrow(ExchangeUnavailableError);
  });

  it('rate limits the batched balance read', async () => {
    const ex = exchange(scriptedFaults([{ op: 'balances', kind: 'rate_limit' }]));

    await expect(ex.subAccountBalances(['A'], 'USDT')).rejects.toThrow(RateLimitedError);
    await expect(ex.subAccountBalances(['A'], 'USDT')).resolves.toEqual(
      new Map([['A', known(money(200))]]),
    );
  });

  it('counts faulted calls', async () => {
    const ex = exchange(scriptedFaults([{ op: 'master', kind: 'unavailable' }]));

    await ex.masterBalance('USDT').catch(() => undefined);
    await ex.masterBalance('USDT');

    expect(ex.calls.master).toBe(2);
  });
});

describe('scriptedFaults', () => {
  it('keeps one queue per operation, and is clean once a queue is empty', () => {
    const plan = scriptedFaults([
      { op: 'transfer', kind: 'ok' },
      { op: 'find', kind: 'unavailable' },
      { op: 'transfer', kind: 'timeout_after' },
    ]);

    expect(plan('find', { call: 1 })).toEqual({ kind: 'unavailable' });
    expect(plan('transfer', { call: 1 })).toBeUndefined();
    expect(plan('transfer', { call: 2 })).toEqual({ kind: 'timeout_after' });
    expect(plan.remaining()).toBe(0);
    expect(plan('transfer', { call: 3 })).toBeUndefined();
  });
});

describe('randomFaults', () => {
  const OPS: FaultOp[] = ['balances', 'transfer', 'find', 'master', 'transfer', 'transfer'];
  const rates = { rate_limit: 0.1, unavailable: 0.1, timeout_before: 0.1, timeout_after: 0.1 };

  function run(seed: number): unknown[] {
    const plan = randomFaults({ seed, rates, latencyMs: { min: 0, max: 50 } });
    return Array.from({ length: 200 }, (_, i) =>
      plan(OPS[i % OPS.length] ?? 'transfer', { call: i }),
    );
  }

  it('gives the same faults for the same seed', () => {
    expect(run(11)).toEqual(run(11));
  });

  it('gives other faults for another seed', () => {
    expect(run(11)).not.toEqual(run(12));
  });

  it('draws each kind at roughly its rate', () => {
    const plan = randomFaults({ seed: 3, rates: { rate_limit: 0.2, timeout_after: 0.1 } });

    const kinds = Array.from({ length: 5000 }, () => plan('transfer', { call: 0 })?.kind);

    const share = (k: string) => kinds.filter((x) => x === k).length / kinds.length;
    expect(share('rate_limit')).toBeCloseTo(0.2, 1);
    expect(share('timeout_after')).toBeCloseTo(0.1, 1);
    expect(share('unavailable')).toBe(0);
  });

  it('gives no faults to operations left out', () => {
    const plan = randomFaults({ seed: 1, rates: { unavailable: 1 }, ops: ['transfer'] });

    expect(plan('balances', { call: 1 })).toBeUndefined();
    expect(plan('transfer', { call: 1 })).toEqual({ kind: 'unavailable' });
  });

  it('never draws insufficient funds for a read', () => {
    const plan = randomFaults({ seed: 1, rates: { insufficient: 1 } });

    expect(plan('master', { call: 1 })).toBeUndefined();
    expect(plan('transfer', { call: 1 })).toEqual({ kind: 'insufficient' });
  });

  it('refuses rates that sum to more than 1', () => {
    expect(() => randomFaults({ seed: 1, rates: { rate_limit: 0.6, auth: 0.5 } })).toThrow(
      /sum to/,
    );
  });

  it('drives an exchange to the same books for the same seed', async () => {
    async function campaign(seed: number) {
      const ex = exchange(randomFaults({ seed, rates: { timeout_after: 0.3, unavailable: 0.3 } }));
      const outcomes: string[] = [];
      for (let i = 0; i < 30; i++) {
        const req = { ...HARVEST, clientOid: `t${i}`, amount: money(1) };
        outcomes.push(
          await ex.transfer(req).then(
            () => 'ok',
            (e: Error) => e.name,
          ),
        );
      }
      return { outcomes, books: ex.books() };
    }

    const first = await campaign(5);

    expect(await campaign(5)).toEqual(first);
    expect(new Set(first.outcomes)).toEqual(
      new Set(['ok', 'AmbiguousOutcomeError', 'ExchangeUnavailableError']),
    );
  });
});
