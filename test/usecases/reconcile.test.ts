/**
 * Reconciliation and the ledger rebuild: what the workflow left open is settled from the journal
 * and the exchange's records, and the books are checked against the exchange and the journal.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { scriptedFaults } from '../../functions/adapters/paper/faults.ts';
import { money } from '../../functions/core/money.ts';
import { PLANNED_EXPIRY_MS, STUCK_AFTER_MS } from '../../functions/core/settlement.ts';
import { rebuildLedger } from '../../functions/usecases/ledger-rebuild.ts';
import type { ReconcileReport } from '../../functions/usecases/reconcile.ts';
import { specConfig } from '../core/fixtures.ts';
import {
  CYCLE,
  type Harness,
  harness,
  initialised,
  journaled,
  stepsOf,
  T0,
  UID,
} from './harness.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const LORENTZIAN = '1h_lorentzian_sol';
const allocation = {
  kind: 'allocation' as const,
  botId: LORENTZIAN,
  from: 'reserve:low_frequency' as const,
  to: `bot:${LORENTZIAN}` as const,
  amount: 150,
};

describe('reconciliation', () => {
  it('starts a planned transfer whose workflow never started', async () => {
    // Prepare: a cycle died after journaling, before starting the workflow.
    h = await harness();
    await initialised(h);
    const planned = await journaled(h, allocation);
    // Act
    h.at(T0 + 5 * 60_000);
    const report = await h.reconcile();
    // Assess
    expect(report.restarted).toEqual([planned.id]);
    expect((await h.store.journal.get(planned.id))?.status).toBe('completed');
    expect(h.exchange.equityOf(UID.lorentzian)).toBe(money(150));
  });

  it('rejects a planned transfer too old to run: its plan is stale, nothing moved', async () => {
    // Prepare
    h = await harness();
    await initialised(h);
    const planned = await journaled(h, allocation);
    // Act
    h.at(T0 + PLANNED_EXPIRY_MS);
    const report = await h.reconcile();
    // Assess
    const entry = await h.store.journal.get(planned.id);
    expect(report.settled).toEqual([{ id: planned.id, from: 'planned', to: 'rejected' }]);
    expect(entry?.history.at(-1)?.note).toMatch(
      /^settled by reconciliation: planned at .* and not run in time; nothing moved$/,
    );
    expect(h.exchange.books().transfers).toHaveLength(0);
  });

  it('rejects a validated transfer whose workflow ended before submitting, and gives its money back', async () => {
    // Prepare: guards passed and the reserve money is held, then the workflow was lost.
    h = await harness();
    await initialised(h);
    const planned = await journaled(h, allocation);
    await stepsOf(h).validate(planned.id);
    const held = await h.store.claims.holders('main');
    // Act
    h.at(T0 + 60_000);
    const early = await h.reconcile();
    h.at(T0 + STUCK_AFTER_MS);
    const late = await h.reconcile();
    // Assess
    expect(held.has(planned.id)).toBe(true);
    expect(early.unresolved).toEqual([
      { id: planned.id, status: 'validated', why: 'its workflow may be running' },
    ]);
    expect(late.settled).toEqual([{ id: planned.id, from: 'validated', to: 'rejected' }]);
    expect((await h.store.claims.holders('main')).size).toBe(0);
  });

  it('applies a completed transfer the ledger missed, and moves the watermark', async () => {
    // Prepare
    let killed = '';
    h = await harness({
      serial: true,
      reaper: (p) => {
        if (killed || p.state !== 'Apply' || p.when !== 'before') return false;
        killed = p.transferId;
        return true;
      },
    });
    await h.cycle(h.at(T0));
    const before = await h.store.ledger.watermark('main');
    // Act
    const report = await h.reconcile();
    // Assess
    expect(report.applied).toEqual([killed]);
    expect(before.applied).toBe(3n);
    expect(report.watermark.applied).toBe(4n);
    expect(report.watermark.lastApplied?.id).toBe(killed);
    expect(report.reserves).toMatchObject({ checked: true, agree: true });
  });

  it('releases a lock its transfer left behind when it ended', async () => {
    // Prepare
    h = await harness();
    await h.cycle(h.at(T0));
    const [done] = await h.store.journal.byStatus('main', ['completed']);
    if (!done) throw new Error('nothing completed');
    await h.store.locks.lockBot('main', done.botId, done.id, 60 * 60_000);
    // Act
    const report = await h.reconcile();
    // Assess
    expect(report.locksReleased).toEqual([done.botId]);
    expect((await h.store.locks.lockHolders('main')).size).toBe(0);
  });

  it('raises reconciliation_mismatch when the master account holds what the books do not', async () => {
    // Prepare: money left the master account without any journal entry.
    h = await harness();
    await h.cycle(h.at(T0));
    await h.exchange.transfer({
      clientOid: 'not-ours',
      from: { kind: 'master' },
      to: { kind: 'sub', uid: UID.momentum },
      amount: money(5),
      currency: 'USDT',
    });
    // Act
    const report = await h.reconcile();
    // Assess
    expect(report.reserves).toMatchObject({ checked: true, agree: false, reserves: money(500) });
    expect(report.reserves.master).toBe(money(495));
    expect(h.alerts).toContainEqual(
      expect.objectContaining({ code: 'reconciliation_mismatch', severity: 'critical' }),
    );
  });
});

describe('the ledger rebuilt from the journal', () => {
  it('finds no difference after a clean run', async () => {
    // Prepare
    h = await harness();
    await h.cycle(h.at(T0));
    h.exchange.setSubAccountEquity(UID.lorentzian, money(200));
    await h.cycle(h.at(T0 + CYCLE));
    // Act
    const report = await rebuildLedger({ config: h.config, ...h.store }, { replace: false });
    // Assess
    expect(report).toMatchObject({ entries: 5, differences: [], replaced: false });
  });

  it('shows what a damaged projection gets wrong, and puts it right', async () => {
    // Prepare: the projection is overwritten with a wrong ledger.
    h = await harness({ config: specConfig() });
    await h.cycle(h.at(T0));
    const deps = { config: h.config, ...h.store };
    const watermark = await h.store.ledger.watermark('main');
    const state = await h.store.portfolio.load('main');
    if (!state) throw new Error('no state');
    await h.store.ledger.replace(
      'main',
      {
        reserves: new Map(
          [...state.reserves].map(([k, v]) => [k, k === 'emergency' ? money(150) : v]),
        ),
        bots: new Map(
          [...state.bots].map(([id, b]) => [
            id,
            { ...b, harvested: id === LORENTZIAN ? money(7) : b.harvested },
          ]),
        ),
      },
      watermark,
    );
    // Act
    const seen = await rebuildLedger(deps, { replace: false });
    const fixed = await rebuildLedger(deps, { replace: true });
    const after = await rebuildLedger(deps, { replace: false });
    // Assess
    expect(seen.differences).toEqual([
      {
        field: 'reserve:emergency',
        account: 'reserve:emergency',
        projection: '150',
        journal: '200',
      },
      {
        field: `bot:${LORENTZIAN}:harvested`,
        account: `bot:${LORENTZIAN}`,
        projection: '7',
        journal: '0',
      },
    ]);
    expect(fixed.replaced).toBe(true);
    expect(after.differences).toEqual([]);
    expect((await h.store.portfolio.load('main'))?.reserves.get('emergency')).toBe(money(200));
  });
});

describe("reconciliation of the bots' sub-accounts", () => {
  const checkOf = (report: ReconcileReport, botId: string) =>
    report.subAccounts.find((c) => c.botId === botId);

  it("reads a booked bot's balance against its capital base as its PnL, not a mismatch", async () => {
    // Prepare: every bot funded, then Lorentzian's trading made 30
    h = await harness();
    await h.cycle(h.at(T0));
    h.exchange.setSubAccountEquity(UID.lorentzian, money(180));
    // Act
    const report = await h.reconcile();
    // Assess
    expect(checkOf(report, LORENTZIAN)).toMatchObject({
      books: 'booked',
      account: UID.lorentzian,
      balance: money(180),
      capitalBase: money(150),
      pnl: money(30),
      drift: false,
    });
    expect(report.reserves).toMatchObject({ checked: true, agree: true });
    expect(h.alerts.map((a) => a.code)).not.toContain('unexpected_balance');
    expect(h.alerts.map((a) => a.code)).not.toContain('reconciliation_mismatch');
  });

  it('raises unexpected_balance, naming adopt, for an unbooked bot whose sub-account received money', async () => {
    // Prepare: no bot funded yet; money lands in Momentum's sub-account, dust in Scalping's
    h = await harness();
    await initialised(h);
    h.exchange.setSubAccountEquity(UID.momentum, money(50));
    h.exchange.setSubAccountEquity(UID.scalping, money('0.5'));
    // Act
    const report = await h.reconcile();
    // Assess
    expect(checkOf(report, '15m_momentum_eth')).toMatchObject({
      books: 'unbooked',
      balance: money(50),
      drift: true,
    });
    expect(checkOf(report, '5m_scalping_sol')).toMatchObject({
      balance: money('0.5'),
      drift: false,
    });
    const raised = h.alerts.filter((a) => a.code === 'unexpected_balance');
    expect(raised.map((a) => a.botId)).toEqual(['15m_momentum_eth']);
    expect(raised[0]?.message).toContain('`botfolio adopt 15m_momentum_eth`');
  });

  it('keeps a sub-account the answer leaves out unknown, never zero, and judges nothing on it', async () => {
    // Prepare: Momentum holds money, but the balance answer leaves its account out
    h = await harness();
    await initialised(h);
    h.exchange.setSubAccountEquity(UID.momentum, money(50));
    h.exchange.setFaults(
      scriptedFaults([{ op: 'balances', kind: 'partial', accounts: { [UID.momentum]: 'absent' } }]),
    );
    // Act
    const report = await h.reconcile();
    // Assess
    expect(checkOf(report, '15m_momentum_eth')).toMatchObject({ balance: null, drift: false });
    expect(checkOf(report, '15m_momentum_eth')).toHaveProperty('unknownWhy');
    expect(h.alerts.map((a) => a.code)).not.toContain('unexpected_balance');
  });

  it('leaves every sub-account unknown when the exchange fails, and still reconciles', async () => {
    // Prepare
    h = await harness();
    await h.cycle(h.at(T0));
    h.exchange.setFaults(scriptedFaults([{ op: 'balances', kind: 'unavailable' }]));
    // Act
    const report = await h.reconcile();
    // Assess
    expect(report.subAccounts).toHaveLength(4);
    expect(report.subAccounts.every((c) => c.balance === null && c.unknownWhy)).toBe(true);
    expect(report.subAccounts.some((c) => 'pnl' in c)).toBe(false);
    expect(report.reserves).toMatchObject({ checked: true, agree: true });
  });

  it('does not judge an unbooked bot a transfer is funding', async () => {
    // Prepare: an allocation to Lorentzian validated, its workflow still running (reconciliation
    // waits for it), and money on its sub-account before the books have it
    h = await harness();
    await initialised(h);
    const planned = await journaled(h, allocation);
    await stepsOf(h).validate(planned.id);
    h.exchange.setSubAccountEquity(UID.lorentzian, money(150));
    // Act
    h.at(T0 + 60_000);
    const report = await h.reconcile();
    // Assess
    expect(report.unresolved.map((u) => u.id)).toEqual([planned.id]);
    expect(checkOf(report, LORENTZIAN)).toMatchObject({
      books: 'unbooked',
      balance: money(150),
      inFlight: true,
      drift: false,
    });
    expect(h.alerts.filter((a) => a.code === 'unexpected_balance')).toEqual([]);
  });
});
