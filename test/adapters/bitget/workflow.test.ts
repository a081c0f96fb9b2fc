/**
 * The whole path the Lambdas run — cycle, journal, the synthesized guarded-transfer state machine
 * and its steps — with the Bitget adapter (behind its circuit breaker) against the fake Bitget:
 * allocations, a harvest, a refill whose answer is lost, and a guard that catches a master
 * account holding less than the books say. The journal's books must agree with the fake's.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { bitgetOptionsFromConfig } from '../../../functions/adapters/bitget/exchange.ts';
import type { Alert } from '../../../functions/core/alerts.ts';
import { type Money, money } from '../../../functions/core/money.ts';
import type { LocalRuntime } from '../../../functions/local/runtime.ts';
import { specConfig } from '../../core/fixtures.ts';
import { type FakeBitget, startFakeBitget } from '../../helpers/fake-bitget.ts';
import { cycleAt, FIFTEEN_MINUTES } from '../../helpers/runtime.ts';
import { reservesInBooks, runtimeWith, statuses } from '../workflow-support.ts';
import { bitgetFor } from './support.ts';

const BOTS = {
  '1h_lorentzian_sol': '6712345678',
  '4h_swing_btc': '6712345679',
  '5m_scalping_sol': '6712345680',
  '15m_momentum_eth': '6712345681',
} as const;

let fake: FakeBitget | undefined;
let rt: LocalRuntime | undefined;
afterEach(async () => {
  await rt?.close();
  await fake?.close();
  rt = undefined;
  fake = undefined;
});

/**
 * `now`: the clock of the fake and the adapter (a futures snapshot is reused for 10 s); by
 * default one that moves on 15 minutes at each cycle, as a deployment's schedule does.
 */
async function bitgetRuntime(alerts: Alert[] = [], given?: () => number) {
  const config = specConfig();
  const clock = { ms: Date.now() };
  const now = given ?? (() => clock.ms);
  const f = await startFakeBitget({
    now,
    master: { spot: { USDT: 1000 } },
    subAccounts: Object.fromEntries(
      Object.values(BOTS).map((uid) => [uid, { futures: { USDT: 0 } }]),
    ),
  });
  const runtime = await runtimeWith(
    config,
    'bitget',
    bitgetFor(f, { ...bitgetOptionsFromConfig(config), now }),
    alerts,
  );
  if (!given) {
    const cycle = runtime.cycle;
    runtime.cycle = async (at) => {
      clock.ms += FIFTEEN_MINUTES;
      return cycle(at);
    };
  }
  fake = f;
  rt = runtime;
  return { f, runtime };
}

/** Σ reserves in the books, and the fake master's spot USDT: they must be equal. */
async function reservesAndMaster(runtime: LocalRuntime, f: FakeBitget): Promise<[Money, Money]> {
  return [await reservesInBooks(runtime), f.balance(f.masterUid, 'spot', 'USDT')];
}

describe('the transfer workflow on Bitget', () => {
  it('funds every bot from the master’s spot account into its futures account, verified by clientOid', async () => {
    // Prepare
    const { f, runtime } = await bitgetRuntime();
    // Act
    const result = await runtime.cycle(cycleAt(0));
    // Assess
    expect(
      await statuses(
        runtime,
        result.entries.map((e) => e.id),
      ),
    ).toEqual(Array(4).fill('completed'));
    expect(f.transfers.map((t) => t.clientOid).sort()).toEqual(
      result.entries.map((e) => e.id).sort(),
    );
    expect(f.transfers.every((t) => t.fromType === 'spot' && t.toType === 'usdt_futures')).toBe(
      true,
    );
    expect(f.balance(BOTS['1h_lorentzian_sol'], 'futures', 'USDT')).toBe(money(150));
    expect(f.balance(BOTS['5m_scalping_sol'], 'futures', 'USDT')).toBe(money(100));
    const [reserves, master] = await reservesAndMaster(runtime, f);
    expect(reserves).toBe(master);
    const entry = await runtime.store.journal.get(result.entries[0]?.id ?? '');
    expect(entry?.exchangeTransferId).toMatch(/^7\d+$/);
  });

  it('harvests a bot’s profit from its futures account back to the master', async () => {
    // Prepare
    const { f, runtime } = await bitgetRuntime();
    await runtime.cycle(cycleAt(0));
    f.setBalance(BOTS['1h_lorentzian_sol'], 'futures', 'USDT', 200);
    // Act
    const result = await runtime.cycle(cycleAt(1));
    // Assess
    expect(result.entries.map((e) => [e.kind, e.amount])).toEqual([['harvest', money(30)]]);
    expect(await statuses(runtime, [result.entries[0]?.id ?? ''])).toEqual(['completed']);
    expect(f.balance(BOTS['1h_lorentzian_sol'], 'futures', 'USDT')).toBe(money(170));
    const [reserves, master] = await reservesAndMaster(runtime, f);
    expect(reserves).toBe(master);
  });

  it('moves a refill exactly once when Bitget applies it and the answer is lost', async () => {
    // Prepare
    const { f, runtime } = await bitgetRuntime();
    await runtime.cycle(cycleAt(0));
    f.setBalance(BOTS['4h_swing_btc'], 'futures', 'USDT', 30);
    f.inject('v2/spot/wallet/subaccount-transfer', { kind: 'hang', applied: true });
    // Act
    const result = await runtime.cycle(cycleAt(1));
    // Assess
    const refill = result.entries[0];
    expect(refill?.kind).toBe('refill');
    expect(await statuses(runtime, [refill?.id ?? ''])).toEqual(['completed']);
    expect(f.transfers.filter((t) => t.clientOid === refill?.id)).toHaveLength(1);
    expect(f.balance(BOTS['4h_swing_btc'], 'futures', 'USDT')).toBe(money('112.5'));
    // Submitted twice: the retry asked Bitget by clientOid first and found it done.
    const path = runtime.workflow.outcomes.get(refill?.id ?? '')?.path ?? [];
    expect(path.filter((state) => state === 'Submit')).toHaveLength(2);
    const [reserves, master] = await reservesAndMaster(runtime, f);
    expect(reserves).toBe(master);
  });

  it('refuses a refill the master account cannot cover (fresh read), moving nothing', async () => {
    // Prepare: someone took money out of the master account behind Botfolio's back
    const alerts: Alert[] = [];
    const { f, runtime } = await bitgetRuntime(alerts);
    await runtime.cycle(cycleAt(0));
    f.setBalance(BOTS['4h_swing_btc'], 'futures', 'USDT', 30);
    f.setBalance(f.masterUid, 'spot', 'USDT', 10);
    const transfersBefore = f.transfers.length;
    // Act
    const result = await runtime.cycle(cycleAt(1));
    // Assess
    expect(await statuses(runtime, [result.entries[0]?.id ?? ''])).toEqual(['rejected']);
    expect(f.transfers).toHaveLength(transfersBefore);
    expect(alerts.map((a) => a.code)).toContain('transfer_rejected');
  });
});

describe('what Bitget recorded is what the books say', () => {
  it('completes a transfer Bitget recorded with less than asked by its record, leaving no hold', async () => {
    // Prepare: Bitget moves 149.5 of the first allocation's 150, and its record says so
    const { f, runtime } = await bitgetRuntime();
    f.inject('v2/spot/wallet/subaccount-transfer', { kind: 'short', moves: '149.5' });
    // Act
    const result = await runtime.cycle(cycleAt(0));
    // Assess
    const short = f.transfers.find((t) => t.amount === money('149.5'));
    const entry = await runtime.store.journal.get(short?.clientOid ?? '');
    expect(entry).toMatchObject({
      status: 'completed',
      amount: money('149.5'),
      askedAmount: money(150),
      ledgerApplied: true,
    });
    expect(
      await statuses(
        runtime,
        result.entries.map((e) => e.id),
      ),
    ).toEqual(Array(4).fill('completed'));
    expect(await runtime.store.claims.holders('main')).toEqual(new Set());
    const [reserves, master] = await reservesAndMaster(runtime, f);
    expect(reserves).toBe(master);
    expect((await runtime.reconcile()).reserves).toMatchObject({ checked: true, agree: true });
  });
});

describe('a partial answer from Bitget (unknown is not zero)', () => {
  const SWING = BOTS['4h_swing_btc'];
  const LF = BOTS['1h_lorentzian_sol'];

  it('refills no bot the futures answer leaves out, and refills it once the answer is whole again', async () => {
    // Prepare: funded; then the bot really is down to 30, but Bitget's answer leaves it out
    const alerts: Alert[] = [];
    let ms = Date.now();
    const { f, runtime } = await bitgetRuntime(alerts, () => ms);
    await runtime.cycle(cycleAt(0));
    f.setBalance(SWING, 'futures', 'USDT', 30);
    f.corruptFutures(SWING);
    const moved = f.transfers.length;
    // Act: the next cycle comes after the futures endpoint's 10 s window
    ms += 11_000;
    const partial = await runtime.cycle(cycleAt(1));
    const movedOnPartial = f.transfers.length - moved;
    f.restore(SWING);
    ms += 11_000;
    const whole = await runtime.cycle(cycleAt(2));
    // Assess: nothing moved on the partial answer, and the trader was told why
    expect(partial.entries).toEqual([]);
    expect(movedOnPartial).toBe(0);
    const warning = alerts.find((a) => a.code === 'balance_unknown');
    expect(warning?.botId).toBe('4h_swing_btc');
    expect(warning?.message).toContain('absent from Bitget’s futures sub-account assets');
    expect(whole.entries.map((e) => [e.kind, e.botId])).toEqual([['refill', '4h_swing_btc']]);
  });

  it('latches neither halted nor black swan when half the bots are missing, and protects nobody', async () => {
    // Prepare: read as zero, two missing bots would be a 30% drawdown and R = 0.5
    const { f, runtime } = await bitgetRuntime();
    await runtime.cycle(cycleAt(0));
    f.corruptFutures(SWING);
    f.corruptFutures(LF);
    const moved = f.transfers.length;
    // Act
    const result = await runtime.cycle(cycleAt(1));
    // Assess
    expect(result.plan.flags).toEqual({ halted: false, blackSwan: false });
    expect(result.entries).toEqual([]);
    expect(f.transfers).toHaveLength(moved);
    const stored = await runtime.store.portfolio.load('main');
    expect(stored?.flags).toEqual({ halted: false, blackSwan: false });
    expect(stored?.peakEquity).toBe(money(1000));
    // The stored balance of a bot not read stays its last known one (shown as stale).
    expect(stored?.bots.get('4h_swing_btc')?.balance).toBe(money(150));
  });

  it('believes neither a null, an unparseable, a negative nor an implausible equity', async () => {
    // Prepare: each bot's futures equity shown as something that is not its balance
    const alerts: Alert[] = [];
    const { f, runtime } = await bitgetRuntime(alerts);
    await runtime.cycle(cycleAt(0));
    f.corruptFutures(LF, null);
    f.corruptFutures(SWING, 'abc');
    f.corruptFutures(BOTS['5m_scalping_sol'], '-5');
    f.corruptFutures(BOTS['15m_momentum_eth'], '100000000000000000000');
    const moved = f.transfers.length;
    // Act
    const result = await runtime.cycle(cycleAt(1));
    // Assess: no transfer, no new peak, a warning for every bot (one digest naming them)
    expect(result.entries).toEqual([]);
    expect(f.transfers).toHaveLength(moved);
    expect((await runtime.store.portfolio.load('main'))?.peakEquity).toBe(money(1000));
    const unknown = alerts.filter((a) => a.code === 'balance_unknown');
    expect(unknown).toHaveLength(1);
    expect([...(unknown[0]?.bots ?? [])].sort()).toEqual(Object.keys(BOTS).sort());
  });
});
