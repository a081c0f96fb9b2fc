/**
 * The cycle persists what the policy decides beyond transfers — mode flags, refill blocks, when the
 * strategy last ran — and gives the policy the bots' history (local composition, real store).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { scriptedFaults } from '../../functions/adapters/paper/faults.ts';
import { money } from '../../functions/core/money.ts';
import { specConfig } from '../core/fixtures.ts';
import { cycleAt, type TestRuntime, testRuntime } from '../helpers/runtime.ts';

let rt: TestRuntime | undefined;
afterEach(async () => {
  await rt?.close();
  rt = undefined;
});

const UIDS = {
  '1h_lorentzian_sol': '6712345678',
  '4h_swing_btc': '6712345679',
  '5m_scalping_sol': '6712345680',
  '15m_momentum_eth': '6712345681',
} as const;

function setEquities(r: TestRuntime, equities: Record<keyof typeof UIDS, number>) {
  for (const [bot, equity] of Object.entries(equities)) {
    r.exchange.setSubAccountEquity(UIDS[bot as keyof typeof UIDS], money(equity));
  }
}

/** Σ B = 60 + 60 + 80 + 100 = 300 = 0.6 × 500: black swan's trigger. */
function crash(r: TestRuntime) {
  setEquities(r, {
    '1h_lorentzian_sol': 60,
    '4h_swing_btc': 60,
    '5m_scalping_sol': 80,
    '15m_momentum_eth': 100,
  });
}

describe('a cycle and the modes', () => {
  it('enters black swan once: protects every bot, blocks their refills, and keeps the flag', async () => {
    rt = await testRuntime();
    await rt.cycle(cycleAt(0));
    // Σ B = 60 + 60 + 80 + 100 = 300 = 0.6 × 500.
    crash(rt);
    const entry = await rt.cycle(cycleAt(1));
    expect(entry.plan.mode).toBe('black_swan');
    expect(entry.entries.map((e) => [e.kind, e.botId, e.amount])).toEqual([
      ['protect', '1h_lorentzian_sol', money(12)],
      ['protect', '4h_swing_btc', money(12)],
      ['protect', '5m_scalping_sol', money(16)],
      ['protect', '15m_momentum_eth', money(20)],
    ]);
    const state = await rt.store.portfolio.load('main');
    expect(state?.flags).toEqual({ halted: false, blackSwan: true });
    expect(state?.reserves.get('emergency')).toBe(money(260));
    expect([...(state?.bots.values() ?? [])].map((b) => b.refillBlocked)).toEqual([
      true,
      true,
      true,
      true,
    ]);
    expect(rt.alerts.map((a) => a.code)).toContain('black_swan_entered');

    const next = await rt.cycle(cycleAt(2));
    expect(next.entries).toEqual([]);
    expect(next.plan.flags.blackSwan).toBe(true);
  });

  it('protects again on the next cycle a bot whose protect failed, and each bot once an episode', async () => {
    // Prepare: the four allocations go through; the first protect is refused by the exchange
    const ok = { op: 'transfer', kind: 'ok' } as const;
    rt = await testRuntime({
      faults: scriptedFaults([ok, ok, ok, ok, { op: 'transfer', kind: 'insufficient' }]),
    });
    await rt.cycle(cycleAt(0));
    crash(rt);
    // Act
    const entry = await rt.cycle(cycleAt(1));
    const second = await rt.cycle(cycleAt(2));
    const third = await rt.cycle(cycleAt(3));
    // Assess: the failed one is planned again, and then nobody is
    const statuses = await Promise.all(
      entry.entries.map(async (e) => (await rt?.store.journal.get(e.id))?.status),
    );
    expect(statuses).toEqual(['failed', 'completed', 'completed', 'completed']);
    expect(second.entries.map((e) => [e.kind, e.botId])).toEqual([
      ['protect', '1h_lorentzian_sol'],
    ]);
    expect(third.entries).toEqual([]);
    const state = await rt.store.portfolio.load('main');
    expect([...(state?.protectedThisEpisode ?? [])].sort()).toEqual(Object.keys(UIDS).sort());
  });

  it('forgets who was protected once the episode is over', async () => {
    rt = await testRuntime();
    await rt.cycle(cycleAt(0));
    crash(rt);
    await rt.cycle(cycleAt(1));
    // R back at 0.8 or more: the episode ends
    setEquities(rt, {
      '1h_lorentzian_sol': 150,
      '4h_swing_btc': 150,
      '5m_scalping_sol': 100,
      '15m_momentum_eth': 100,
    });
    const exit = await rt.cycle(cycleAt(2));
    expect(exit.plan.flags.blackSwan).toBe(false);
    expect((await rt.store.portfolio.load('main'))?.protectedThisEpisode).toBeUndefined();
  });

  it('latches halted in the store and sends the critical alert once', async () => {
    rt = await testRuntime();
    await rt.cycle(cycleAt(0));
    // E = 500 reserves + 250 = 750 = 0.75 × 1000 (and R = 0.5: black swan too).
    setEquities(rt, {
      '1h_lorentzian_sol': 75,
      '4h_swing_btc': 75,
      '5m_scalping_sol': 50,
      '15m_momentum_eth': 50,
    });
    await rt.cycle(cycleAt(1));
    expect((await rt.store.portfolio.load('main'))?.flags).toEqual({
      halted: true,
      blackSwan: true,
    });
    setEquities(rt, {
      '1h_lorentzian_sol': 150,
      '4h_swing_btc': 150,
      '5m_scalping_sol': 100,
      '15m_momentum_eth': 100,
    });
    const recovered = await rt.cycle(cycleAt(2));
    expect(recovered.plan.flags).toEqual({ halted: true, blackSwan: false });
    expect(rt.alerts.filter((a) => a.code === 'halted')).toHaveLength(1);
  });

  it('records when the strategy ran, and rebalances again only an interval later', async () => {
    rt = await testRuntime({ config: specConfig({ 'allocation.strategy': 'equal_weight' }) });
    await rt.cycle(cycleAt(0));
    expect((await rt.store.portfolio.load('main'))?.lastRebalance).toBe(cycleAt(0).toISOString());
    // After funding, high_frequency's bases are 100 of a 105 target: within 10%.
    const later = await rt.cycle(cycleAt(1));
    expect(later.plan.lastRebalance).toBe(cycleAt(0).toISOString());
  });

  it("reads each bot's history: a −5% cycle after 21 flat ones is an unusual loss", async () => {
    rt = await testRuntime();
    for (let i = 0; i <= 21; i++) await rt.cycle(cycleAt(i));
    rt.exchange.setSubAccountEquity(UIDS['5m_scalping_sol'], money(95));
    const result = await rt.cycle(cycleAt(22));
    expect(result.plan.alerts.map((a) => `${a.code} ${a.botId}`)).toEqual([
      'unusual_loss 5m_scalping_sol',
    ]);
  });
});
