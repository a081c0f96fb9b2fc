/**
 * The whole path the Lambdas run — cycle, journal, the synthesized guarded-transfer state machine
 * and its steps — with the Binance adapter (behind its circuit breaker) against the fake Binance:
 * allocations, a harvest (sent by the bot's sub-account, so found only by asking as its sender),
 * a refill whose answer is lost, and a short transfer completed by Binance's record. The
 * journal's books must agree with the fake's.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { binanceOptionsFromConfig } from '../../../functions/adapters/binance/exchange.ts';
import { money } from '../../../functions/core/money.ts';
import { type FakeBinance, startFakeBinance, TRANSFER_PATH } from '../../helpers/fake-binance.ts';
import { cycleAt } from '../../helpers/runtime.ts';
import { closeOpened, onFake, reservesAndMaster, statuses } from '../workflow-support.ts';
import { BINANCE_EMAILS, binanceFor } from './support.ts';

const [LORENTZIAN, SWING] = BINANCE_EMAILS as [string, string, string, string];

afterEach(closeOpened);

const binanceRuntime = () =>
  onFake('binance', BINANCE_EMAILS, startFakeBinance, (f, config, now) =>
    binanceFor(f, { ...binanceOptionsFromConfig(config), masterEmail: f.masterEmail, now }),
  );

/** The fake master's spot USDT. */
const masterOf = (f: FakeBinance) => f.balance(f.masterEmail, 'spot', 'USDT');

describe('the transfer workflow on Binance', () => {
  it('funds every bot from the master’s spot into its USDⓈ-M futures, verified by clientTranId', async () => {
    // Prepare
    const { f, runtime } = await binanceRuntime();
    // Act
    const result = await runtime.cycle(cycleAt(0));
    // Assess
    const ids = result.entries.map((e) => e.id);
    expect(await statuses(runtime, ids)).toEqual(Array(4).fill('completed'));
    expect(f.transfers.map((t) => t.clientTranId).sort()).toEqual([...ids].sort());
    expect(f.balance(LORENTZIAN, 'futures', 'USDT')).toBe(money(150));
    const [reserves, master] = await reservesAndMaster(runtime, masterOf(f));
    expect(reserves).toBe(master);
  });

  it('harvests a bot’s profit back to the master, confirmed by asking as the bot (its sender)', async () => {
    // Prepare
    const { f, runtime } = await binanceRuntime();
    await runtime.cycle(cycleAt(0));
    f.setBalance(LORENTZIAN, 'futures', 'USDT', 200);
    // Act
    const result = await runtime.cycle(cycleAt(1));
    // Assess
    expect(result.entries.map((e) => [e.kind, e.amount])).toEqual([['harvest', money(30)]]);
    expect(await statuses(runtime, [result.entries[0]?.id ?? ''])).toEqual(['completed']);
    const lookups = f.requests.filter(
      (r) => r.path === 'sapi/v1/sub-account/universalTransfer' && r.query.fromEmail === LORENTZIAN,
    );
    expect(lookups.length).toBeGreaterThan(0);
    const [reserves, master] = await reservesAndMaster(runtime, masterOf(f));
    expect(reserves).toBe(master);
  });

  it('moves a refill exactly once when Binance applies it and the answer is lost', async () => {
    // Prepare
    const { f, runtime } = await binanceRuntime();
    await runtime.cycle(cycleAt(0));
    f.setBalance(SWING, 'futures', 'USDT', 30);
    f.inject(TRANSFER_PATH, { kind: 'reset', applied: true });
    // Act
    const result = await runtime.cycle(cycleAt(1));
    // Assess
    const refill = result.entries[0];
    expect(refill?.kind).toBe('refill');
    expect(await statuses(runtime, [refill?.id ?? ''])).toEqual(['completed']);
    expect(f.transfers.filter((t) => t.clientTranId === refill?.id)).toHaveLength(1);
    const [reserves, master] = await reservesAndMaster(runtime, masterOf(f));
    expect(reserves).toBe(master);
  });

  it('completes a transfer Binance recorded with less than asked by its record', async () => {
    // Prepare: Binance moves 149.5 of the first allocation's 150, and its history says so
    const { f, runtime } = await binanceRuntime();
    f.inject(TRANSFER_PATH, { kind: 'short', moves: '149.5' });
    // Act
    await runtime.cycle(cycleAt(0));
    // Assess
    const short = f.transfers.find((t) => t.amount === money('149.5'));
    const entry = await runtime.store.journal.get(short?.clientTranId ?? '');
    expect(entry).toMatchObject({
      status: 'completed',
      amount: money('149.5'),
      askedAmount: money(150),
    });
    const [reserves, master] = await reservesAndMaster(runtime, masterOf(f));
    expect(reserves).toBe(master);
  });
});
