/**
 * The whole path the Lambdas run — cycle, journal, the synthesized guarded-transfer state machine
 * and its steps — with the OKX adapter (behind its circuit breaker) against the fake OKX:
 * allocations within OKX's two transfers per 2 s, a harvest (type 2, out of the sub-account), a
 * refill whose answer is lost after OKX applied it (settled by its state, asked by clientId), and
 * a transfer OKX recorded with less than asked. The journal's books must agree with the fake's.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { OkxExchange, okxOptionsFromConfig } from '../../../functions/adapters/okx/exchange.ts';
import { ExchangeKey } from '../../../functions/adapters/secrets.ts';
import { money } from '../../../functions/core/money.ts';
import { type FakeOkx, OKX_TRANSFER_PATH, startFakeOkx } from '../../helpers/fake-okx.ts';
import { cycleAt } from '../../helpers/runtime.ts';
import { closeOpened, onFake, reservesAndMaster, statuses } from '../workflow-support.ts';

const ACCOUNTS = ['botLorentzianSol', 'botSwingBtc', 'botScalpingSol', 'botMomentumEth'] as [
  string,
  string,
  string,
  string,
];
const [LORENTZIAN, SWING] = ACCOUNTS;

afterEach(closeOpened);

const okxRuntime = () =>
  onFake(
    'okx',
    ACCOUNTS,
    startFakeOkx,
    (f, config, now) =>
      new OkxExchange({
        key: async () =>
          new ExchangeKey(f.masterKey.apiKey, f.masterKey.secret, f.masterKey.passphrase),
        apiUrl: f.url,
        // No fault here hangs; a loaded machine must not make a read time out (the bot unknown).
        timeoutMs: 2_000,
        now,
        ...okxOptionsFromConfig(config),
      }),
  );

/** The fake master's funding USDT. */
const masterOf = (f: FakeOkx) => f.balance(f.master, 'spot', 'USDT');

describe('the transfer workflow on OKX', () => {
  it('funds every bot from the master’s funding into its trading account, verified by clientId', async () => {
    // Prepare
    const { f, runtime } = await okxRuntime();
    // Act
    const result = await runtime.cycle(cycleAt(0));
    // Assess
    const ids = result.entries.map((e) => e.id);
    expect(await statuses(runtime, ids)).toEqual(Array(4).fill('completed'));
    expect(f.transfers.map((t) => t.clientId).sort()).toEqual([...ids].sort());
    expect(f.transfers.every((t) => t.type === '1' && t.from === '6' && t.to === '18')).toBe(true);
    expect(f.balance(LORENTZIAN, 'futures', 'USDT')).toBe(money(150));
    const [reserves, master] = await reservesAndMaster(runtime, masterOf(f));
    expect(reserves).toBe(master);
  });

  it('harvests a bot’s profit back to the master (type 2), confirmed by its state', async () => {
    // Prepare
    const { f, runtime } = await okxRuntime();
    await runtime.cycle(cycleAt(0));
    f.setBalance(LORENTZIAN, 'futures', 'USDT', 200);
    // Act
    const result = await runtime.cycle(cycleAt(1));
    // Assess
    const harvest = result.entries[0];
    expect(result.entries.map((e) => [e.kind, e.amount])).toEqual([['harvest', money(30)]]);
    expect(await statuses(runtime, [harvest?.id ?? ''])).toEqual(['completed']);
    expect(f.transfers.find((t) => t.clientId === harvest?.id)?.type).toBe('2');
    expect(f.balance(LORENTZIAN, 'futures', 'USDT')).toBe(money(170));
    const [reserves, master] = await reservesAndMaster(runtime, masterOf(f));
    expect(reserves).toBe(master);
  });

  it('moves a refill exactly once when OKX applies it and the answer is lost, found by clientId', async () => {
    // Prepare
    const { f, runtime } = await okxRuntime();
    await runtime.cycle(cycleAt(0));
    f.setBalance(SWING, 'futures', 'USDT', 30);
    f.inject(OKX_TRANSFER_PATH, { kind: 'reset', applied: true });
    // Act
    const result = await runtime.cycle(cycleAt(1));
    // Assess
    const refill = result.entries[0];
    expect(refill?.kind).toBe('refill');
    expect(await statuses(runtime, [refill?.id ?? ''])).toEqual(['completed']);
    expect(f.transfers.filter((t) => t.clientId === refill?.id)).toHaveLength(1);
    expect(f.balance(SWING, 'futures', 'USDT')).toBe(money('112.5'));
    // The retry asked OKX for the transfer's state by its clientId and sent nothing again: four
    // allocations and the refill's one call.
    const asked = f.requests.filter(
      (r) => r.path === 'asset/transfer-state' && r.query.clientId === refill?.id,
    );
    expect(asked.length).toBeGreaterThan(0);
    expect(f.calls(OKX_TRANSFER_PATH)).toBe(5);
    const [reserves, master] = await reservesAndMaster(runtime, masterOf(f));
    expect(reserves).toBe(master);
  });

  it('completes a transfer OKX recorded with less than asked by its record', async () => {
    // Prepare: OKX moves 149.5 of the first allocation's 150, and its state says so
    const { f, runtime } = await okxRuntime();
    f.inject(OKX_TRANSFER_PATH, { kind: 'short', moves: '149.5' });
    // Act
    await runtime.cycle(cycleAt(0));
    // Assess
    const short = f.transfers.find((t) => t.amount === money('149.5'));
    const entry = await runtime.store.journal.get(short?.clientId ?? '');
    expect(entry).toMatchObject({
      status: 'completed',
      amount: money('149.5'),
      askedAmount: money(150),
    });
    const [reserves, master] = await reservesAndMaster(runtime, masterOf(f));
    expect(reserves).toBe(master);
  });
});
