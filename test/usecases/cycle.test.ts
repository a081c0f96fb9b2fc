/** The monitoring cycle on the local composition: what it plans, journals, runs, and never repeats. */
import { afterEach, describe, expect, it } from 'vitest';
import { money } from '../../functions/core/money.ts';
import { plannedEntry, TRANSFER_STATUSES } from '../../functions/core/transfer.ts';
import { auditAgainstPaper } from '../../functions/local/paper-audit.ts';
import { cycleIdFor } from '../../functions/usecases/cycle.ts';
import { cycleAt, FIFTEEN_MINUTES, T0, type TestRuntime, testRuntime } from '../helpers/runtime.ts';

let rt: TestRuntime | undefined;
afterEach(async () => {
  await rt?.close();
  rt = undefined;
});

const journal = async (r: TestRuntime) => r.store.journal.byStatus('main', TRANSFER_STATUSES);
const LORENTZIAN = '6712345678'; // 1h_lorentzian_sol, low_frequency, capital base 150
const MOMENTUM = '6712345681'; // 15m_momentum_eth, high_frequency, capital base 100

describe('a monitoring cycle', () => {
  it('names a cycle after its schedule slot, so a retry has the same id', () => {
    expect(cycleIdFor(new Date('2026-11-20T12:07:31Z'), FIFTEEN_MINUTES)).toBe(
      '20261120T1200Z-15m',
    );
    expect(cycleIdFor(new Date('2026-11-20T12:15:00Z'), FIFTEEN_MINUTES)).toBe(
      '20261120T1215Z-15m',
    );
  });

  it('names the interval too, so a changed check_interval never reuses an old slot’s ids', () => {
    const at = new Date('2026-11-20T12:00:00Z');
    expect(cycleIdFor(at, FIFTEEN_MINUTES)).not.toBe(cycleIdFor(at, 60 * 60_000));
    expect(cycleIdFor(at, 60 * 60_000)).toBe('20261120T1200Z-1h');
  });

  it('never drops a planned transfer quietly when its id exists with other content', async () => {
    // Prepare: the journal holds this slot's refill id with another amount, ended (a retried
    // cycle whose bot moved since its first run)
    rt = await testRuntime();
    await rt.cycle(cycleAt(0));
    rt.exchange.setSubAccountEquity(MOMENTUM, money(20));
    const first = plannedEntry(
      {
        kind: 'refill',
        botId: '15m_momentum_eth',
        from: 'reserve:high_frequency',
        to: 'bot:15m_momentum_eth',
        amount: money(10),
        reason: 'an earlier run',
        leg: 0,
      },
      {
        portfolioId: 'main',
        cycleId: cycleIdFor(cycleAt(1), FIFTEEN_MINUTES),
        exchange: 'bitget',
        now: cycleAt(1).toISOString(),
      },
    );
    await rt.store.journal.putPlanned([first]);
    await rt.store.journal.transition(first.id, ['planned'], 'rejected', { error: 'earlier run' });
    // Act
    const result = await rt.cycle(cycleAt(1));
    // Assess: this plan's 55 is not what the journal holds: dropped, and the operator told
    expect(result.entries.filter((e) => e.id === first.id)).toEqual([]);
    const collision = rt.alerts.find((a) => a.code === 'transfer_id_collision');
    expect(collision?.severity).toBe('critical');
    expect(collision?.message).toContain(`transfer ${first.id} (refill of 55`);
    expect((await rt.store.journal.get(first.id))?.amount).toBe(money(10));
  });

  it('funds every bot from its pool reserve on the first cycle', async () => {
    rt = await testRuntime();
    const result = await rt.cycle(cycleAt(0));
    expect(result.entries.map((e) => [e.kind, e.botId, e.amount])).toEqual([
      ['allocation', '1h_lorentzian_sol', money(150)],
      ['allocation', '4h_swing_btc', money(150)],
      ['allocation', '5m_scalping_sol', money(100)],
      ['allocation', '15m_momentum_eth', money(100)],
    ]);
    const state = await rt.store.portfolio.load('main');
    expect(state?.bots.get('4h_swing_btc')?.capitalBase).toBe(money(150));
    expect(rt.exchange.equityOf(MOMENTUM)).toBe(money(100));
    expect((await auditAgainstPaper(rt.store, rt.exchange, rt.config)).agree).toBe(true);
  });

  it('run again for the same slot writes nothing new and moves nothing', async () => {
    rt = await testRuntime();
    await rt.cycle(cycleAt(0));
    const before = (await journal(rt)).length;
    const again = await rt.cycle(new Date(cycleAt(0).getTime() + 60_000));
    expect(again.cycleId).toBe(cycleIdFor(cycleAt(0), FIFTEEN_MINUTES));
    expect((await journal(rt)).length).toBe(before);
    expect(rt.exchange.books().transfers).toHaveLength(4);
  });

  it('harvests 60% of the excess of a low-frequency bot at 200 on a capital base of 150', async () => {
    rt = await testRuntime();
    await rt.cycle(cycleAt(0));
    rt.exchange.setSubAccountEquity(LORENTZIAN, money(200));
    const result = await rt.cycle(cycleAt(1));
    expect(result.entries.map((e) => [e.kind, e.amount, e.to])).toEqual([
      ['harvest', money(30), 'reserve:low_frequency'],
    ]);
    const state = await rt.store.portfolio.load('main');
    expect(state?.reserves.get('low_frequency')).toBe(money(230));
    expect(state?.bots.get('1h_lorentzian_sol')?.harvested).toBe(money(30));
    expect(rt.exchange.equityOf(LORENTZIAN)).toBe(money(170));
    expect((await auditAgainstPaper(rt.store, rt.exchange, rt.config)).agree).toBe(true);
  });

  it('refills a high-frequency bot at 20 back to 75% of its capital base from the pool reserve', async () => {
    rt = await testRuntime();
    await rt.cycle(cycleAt(0));
    rt.exchange.setSubAccountEquity(MOMENTUM, money(20));
    const result = await rt.cycle(cycleAt(1));
    expect(result.entries.map((e) => [e.kind, e.amount, e.from])).toEqual([
      ['refill', money(55), 'reserve:high_frequency'],
    ]);
    const bot = (await rt.store.portfolio.load('main'))?.bots.get('15m_momentum_eth');
    expect(bot?.refills).toBe(1);
    expect(bot?.contributed).toBe(money(155));
    expect(rt.exchange.equityOf(MOMENTUM)).toBe(money(75));
  });

  it('starts again a planned transfer whose workflow never started', async () => {
    rt = await testRuntime();
    await rt.cycle(cycleAt(0));
    rt.exchange.setSubAccountEquity(LORENTZIAN, money(200));
    // A cycle that died after journaling its harvest, before starting it:
    const orphan = plannedEntry(
      {
        kind: 'harvest',
        botId: '1h_lorentzian_sol',
        from: 'bot:1h_lorentzian_sol',
        to: 'reserve:low_frequency',
        amount: money(30),
        reason: 'test',
        leg: 0,
      },
      {
        portfolioId: 'main',
        cycleId: cycleIdFor(cycleAt(1), FIFTEEN_MINUTES),
        exchange: 'bitget',
        now: cycleAt(1).toISOString(),
      },
    );
    await rt.store.journal.putPlanned([orphan]);
    const next = await rt.cycle(cycleAt(2));
    expect(next.restarted).toBe(1);
    expect(next.entries.filter((e) => e.botId === '1h_lorentzian_sol')).toEqual([]);
    expect((await rt.store.journal.get(orphan.id))?.status).toBe('completed');
    expect(rt.exchange.equityOf(LORENTZIAN)).toBe(money(170));
  });

  it('emits equity, reserves and the deployed ratio for the dashboard', async () => {
    rt = await testRuntime();
    await rt.cycle(cycleAt(0));
    rt.exchange.setSubAccountEquity(MOMENTUM, money(50));
    rt.metricsEmitted.length = 0;
    await rt.cycle(cycleAt(1));
    // Equity 950: reserves 500 + bots 150 + 150 + 100 + 50; deployed 450 of 500.
    expect(rt.metricsEmitted[0]).toEqual({ Equity: 950, ReserveTotal: 500, DeployedRatio: 0.9 });
  });

  it('counts a completed harvest and its amount', async () => {
    rt = await testRuntime();
    await rt.cycle(cycleAt(0));
    rt.exchange.setSubAccountEquity(LORENTZIAN, money(200));
    rt.metricsEmitted.length = 0;
    await rt.cycle(cycleAt(1));
    expect(rt.metricsEmitted).toContainEqual({ TransfersCompleted: 1, HarvestedAmount: 30 });
  });
});

describe('what a planned transfer records', () => {
  it('records both ends’ exchange accounts and the balance its plan was made on', async () => {
    rt = await testRuntime();
    await rt.cycle(cycleAt(0));
    rt.exchange.setSubAccountEquity(LORENTZIAN, money(200));
    const result = await rt.cycle(cycleAt(1));
    const stored = await rt.store.journal.get(result.entries[0]?.id ?? '');
    expect(stored?.ends).toEqual({ from: LORENTZIAN, to: 'master' });
    // Read at the runtime's clock, not at the slot's time: a late cycle's reading is young.
    expect(stored?.reading).toEqual({ balance: money(200), at: T0.toISOString() });
  });
});

describe('overlapping cycles (one plan per bot)', () => {
  it('never sends the same refill and harvest twice when two slots’ cycles run at once', async () => {
    // Prepare: one bot down at 20 (refill), one up at 200 (harvest)
    rt = await testRuntime();
    await rt.cycle(cycleAt(0));
    rt.exchange.setSubAccountEquity(MOMENTUM, money(20));
    rt.exchange.setSubAccountEquity(LORENTZIAN, money(200));
    const moved = rt.exchange.books().transfers.length;
    // Act: a slow cycle and the next slot's, on one store, at the same time
    const [slow, next] = await Promise.all([rt.cycle(cycleAt(1)), rt.cycle(cycleAt(2))]);
    // Assess: each bot moved once, by one of the two cycles
    const kinds = [...slow.entries, ...next.entries].map((e) => [e.kind, e.botId]).sort();
    expect(kinds).toEqual([
      ['harvest', '1h_lorentzian_sol'],
      ['refill', '15m_momentum_eth'],
    ]);
    expect(rt.exchange.books().transfers).toHaveLength(moved + 2);
    expect(rt.exchange.equityOf(MOMENTUM)).toBe(money(75));
    expect(rt.exchange.equityOf(LORENTZIAN)).toBe(money(170));
    expect((await auditAgainstPaper(rt.store, rt.exchange, rt.config)).agree).toBe(true);
    // Both plans ended: no bot stays claimed
    expect(await rt.store.plans.plans('main')).toEqual(new Map());
  });

  it('lets a later cycle plan for a bot whose plan ended without its release', async () => {
    // Prepare: an earlier cycle's plan still holds the bot, though its transfer completed
    rt = await testRuntime();
    const first = await rt.cycle(cycleAt(0));
    const allocation = first.entries.find((e) => e.botId === '15m_momentum_eth');
    await rt.store.plans.claimBot('main', '15m_momentum_eth', {
      cycleId: first.cycleId,
      transferIds: [allocation?.id ?? ''],
      at: cycleAt(0).toISOString(),
    });
    rt.exchange.setSubAccountEquity(MOMENTUM, money(20));
    // Act
    const next = await rt.cycle(cycleAt(1));
    // Assess
    expect(next.entries.map((e) => [e.kind, e.botId])).toEqual([['refill', '15m_momentum_eth']]);
  });

  it('takes over a claim whose transfers never reached the journal once it is old (its cycle died)', async () => {
    // Prepare: a cycle claimed the bot 11 minutes ago and died before journaling
    rt = await testRuntime();
    await rt.cycle(cycleAt(0));
    await rt.store.plans.claimBot('main', '1h_lorentzian_sol', {
      cycleId: 'died',
      transferIds: ['never-journaled'],
      at: new Date(T0.getTime() - 11 * 60_000).toISOString(), // the runtime's clock is T0
    });
    rt.exchange.setSubAccountEquity(LORENTZIAN, money(200));
    // Act
    const next = await rt.cycle(cycleAt(1));
    // Assess
    expect(next.entries.map((e) => [e.kind, e.botId])).toEqual([['harvest', '1h_lorentzian_sol']]);
  });

  it('lets a retried run of a slot claim its bot again only for the same transfers', async () => {
    // Prepare: a run of the slot claimed the bot for a refill
    rt = await testRuntime();
    const plan = (transferIds: string[]) => ({
      cycleId: '20260105T2330Z-15m',
      transferIds,
      at: T0.toISOString(),
    });
    await rt.store.plans.claimBot('main', '4h_swing_btc', plan(['refill-id']));
    // Act: a retry deciding the same, and a run of the same slot that read a black swan
    const same = await rt.store.plans.claimBot('main', '4h_swing_btc', plan(['refill-id']));
    const other = await rt.store.plans.claimBot('main', '4h_swing_btc', plan(['protect-id']));
    // Assess: the refill's plan holds the bot; the protect waits for the next cycle
    expect([same, other]).toEqual([true, false]);
    expect((await rt.store.plans.planOf('main', '4h_swing_btc'))?.transferIds).toEqual([
      'refill-id',
    ]);
  });

  it('leaves a bot alone while another cycle’s plan for it is still running', async () => {
    // Prepare: a plan of another cycle holds the bot, its transfer still open (planned)
    rt = await testRuntime();
    await rt.cycle(cycleAt(0));
    const open = plannedEntry(
      {
        kind: 'harvest',
        botId: '1h_lorentzian_sol',
        from: 'bot:1h_lorentzian_sol',
        to: 'reserve:low_frequency',
        amount: money(1),
        reason: 'test',
        leg: 0,
      },
      { portfolioId: 'main', cycleId: 'other', exchange: 'bitget', now: cycleAt(0).toISOString() },
    );
    await rt.store.plans.claimBot('main', '1h_lorentzian_sol', {
      cycleId: 'other',
      transferIds: [open.id],
      at: T0.toISOString(),
    });
    rt.exchange.setSubAccountEquity(LORENTZIAN, money(200));
    // Act: its transfer was never journaled and the claim is young: it may be being written
    const next = await rt.cycle(cycleAt(1));
    // Assess: its harvest was decided, not journaled, and the bot is named as held
    expect(next.entries).toEqual([]);
    expect(next.plan.transfers.map((t) => [t.kind, t.botId])).toEqual([
      ['harvest', '1h_lorentzian_sol'],
    ]);
    expect(next.held).toEqual(['1h_lorentzian_sol']);
  });
});
