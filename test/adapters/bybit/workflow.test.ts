/**
 * The whole path the Lambdas run — cycle, journal, the synthesized guarded-transfer state machine
 * and its steps — with the Bybit adapter (behind its circuit breaker) against the fake Bybit:
 * allocations by universal transfer (our id as the transferId UUID), a harvest back to the
 * master, a refill whose answer is lost after Bybit applied it (found in the records by its
 * transferId), and a transfer Bybit recorded with less than asked. The journal's books must agree
 * with the fake's.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  BybitExchange,
  bybitOptionsFromConfig,
  transferUuid,
} from '../../../functions/adapters/bybit/exchange.ts';
import { ExchangeKey } from '../../../functions/adapters/secrets.ts';
import { money } from '../../../functions/core/money.ts';
import { BYBIT_TRANSFER_PATH, type FakeBybit, startFakeBybit } from '../../helpers/fake-bybit.ts';
import { cycleAt } from '../../helpers/runtime.ts';
import { closeOpened, onFake, reservesAndMaster, statuses } from '../workflow-support.ts';

const ACCOUNTS = ['200000001', '200000002', '200000003', '200000004'] as [
  string,
  string,
  string,
  string,
];
const [LORENTZIAN, SWING] = ACCOUNTS;
const RECORDS_PATH = 'asset/transfer/query-universal-transfer-list';

afterEach(closeOpened);

const bybitRuntime = () =>
  onFake(
    'bybit',
    ACCOUNTS,
    startFakeBybit,
    (f, config, now) =>
      new BybitExchange({
        key: async () => new ExchangeKey(f.masterKey.apiKey, f.masterKey.secret),
        apiUrl: f.url,
        // No fault here hangs; a loaded machine must not make a read time out (the bot unknown).
        timeoutMs: 2_000,
        now,
        ...bybitOptionsFromConfig(config),
      }),
  );

/** The fake master's FUND USDT. */
const masterOf = (f: FakeBybit) => f.balance(f.masterUid, 'spot', 'USDT');

describe('the transfer workflow on Bybit', () => {
  it('funds every bot from the master’s FUND into its UNIFIED account, verified by transferId', async () => {
    // Prepare
    const { f, runtime } = await bybitRuntime();
    // Act
    const result = await runtime.cycle(cycleAt(0));
    // Assess
    const ids = result.entries.map((e) => e.id);
    expect(await statuses(runtime, ids)).toEqual(Array(4).fill('completed'));
    expect(f.transfers.map((t) => t.transferId).sort()).toEqual(ids.map(transferUuid).sort());
    expect(
      f.transfers.every(
        (t) =>
          t.fromMemberId === f.masterUid &&
          t.fromAccountType === 'FUND' &&
          t.toAccountType === 'UNIFIED',
      ),
    ).toBe(true);
    expect(f.balance(LORENTZIAN, 'futures', 'USDT')).toBe(money(150));
    const [reserves, master] = await reservesAndMaster(runtime, masterOf(f));
    expect(reserves).toBe(master);
  });

  it('harvests a bot’s profit back to the master, confirmed by its record', async () => {
    // Prepare
    const { f, runtime } = await bybitRuntime();
    await runtime.cycle(cycleAt(0));
    f.setBalance(LORENTZIAN, 'futures', 'USDT', 200);
    // Act
    const result = await runtime.cycle(cycleAt(1));
    // Assess
    const harvest = result.entries[0];
    expect(result.entries.map((e) => [e.kind, e.amount])).toEqual([['harvest', money(30)]]);
    expect(await statuses(runtime, [harvest?.id ?? ''])).toEqual(['completed']);
    const record = f.transfers.find((t) => t.transferId === transferUuid(harvest?.id ?? ''));
    expect(record).toMatchObject({ fromMemberId: LORENTZIAN, toMemberId: f.masterUid });
    expect(f.balance(LORENTZIAN, 'futures', 'USDT')).toBe(money(170));
    const [reserves, master] = await reservesAndMaster(runtime, masterOf(f));
    expect(reserves).toBe(master);
  });

  it('moves a refill exactly once when Bybit applies it and the answer is lost, found by transferId', async () => {
    // Prepare
    const { f, runtime } = await bybitRuntime();
    await runtime.cycle(cycleAt(0));
    f.setBalance(SWING, 'futures', 'USDT', 30);
    f.inject(BYBIT_TRANSFER_PATH, { kind: 'reset', applied: true });
    // Act
    const result = await runtime.cycle(cycleAt(1));
    // Assess
    const refill = result.entries[0];
    const uuid = transferUuid(refill?.id ?? '');
    expect(refill?.kind).toBe('refill');
    expect(await statuses(runtime, [refill?.id ?? ''])).toEqual(['completed']);
    expect(f.transfers.filter((t) => t.transferId === uuid)).toHaveLength(1);
    expect(f.balance(SWING, 'futures', 'USDT')).toBe(money('112.5'));
    // The retry looked the transfer up by its transferId and sent nothing again: four
    // allocations and the refill's one call.
    const asked = f.requests.filter((r) => r.path === RECORDS_PATH && r.query.transferId === uuid);
    expect(asked.length).toBeGreaterThan(0);
    expect(f.calls(BYBIT_TRANSFER_PATH)).toBe(5);
    const [reserves, master] = await reservesAndMaster(runtime, masterOf(f));
    expect(reserves).toBe(master);
  });

  it('completes a transfer Bybit recorded with less than asked by its record', async () => {
    // Prepare: Bybit moves 149.5 of the first allocation's 150, and its record says so
    const { f, runtime } = await bybitRuntime();
    f.inject(BYBIT_TRANSFER_PATH, { kind: 'short', moves: '149.5' });
    // Act
    const result = await runtime.cycle(cycleAt(0));
    // Assess
    const short = f.transfers.find((t) => t.amount === money('149.5'));
    const entry = result.entries.find((e) => transferUuid(e.id) === short?.transferId);
    expect(await runtime.store.journal.get(entry?.id ?? '')).toMatchObject({
      status: 'completed',
      amount: money('149.5'),
      askedAmount: money(150),
    });
    const [reserves, master] = await reservesAndMaster(runtime, masterOf(f));
    expect(reserves).toBe(master);
  });
});
