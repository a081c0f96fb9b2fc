/**
 * The portfolio's life (DESIGN.md §10), each scenario of issue 10 as a trader meets it, on a data
 * folder with the paper exchange: books lost, a renamed or moved bot, a changed total capital, a
 * rebuild after a pool rename, money taken out and put in, a bot retired with its money swept.
 * Each one moved wrong money (or left the books wrong) before.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Alert } from '../../functions/core/alerts.ts';
import type { Config } from '../../functions/core/config.ts';
import { money, sum } from '../../functions/core/money.ts';
import { TRANSFER_STATUSES } from '../../functions/core/transfer.ts';
import { type LocalRuntime, startLocalRuntime } from '../../functions/local/runtime.ts';
import { rebuildLedger } from '../../functions/usecases/ledger-rebuild.ts';
import {
  OperationRefusedError,
  type OperationRequest,
  runOperation,
} from '../../functions/usecases/operations.ts';
import { specConfig } from '../core/fixtures.ts';
import { transferDefinition } from './harness.ts';

const T0 = Date.parse('2026-11-20T12:00:00Z');
const CYCLE = 15 * 60_000;
const dirs: string[] = [];
const open: LocalRuntime[] = [];
afterEach(async () => {
  for (const rt of open.splice(0)) await rt.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

interface Run extends LocalRuntime {
  readonly alerts: Alert[];
}

let clock = T0;
async function runtime(dir: string, config: Config = specConfig()): Promise<Run> {
  const alerts: Alert[] = [];
  const rt = await startLocalRuntime({
    config,
    dataDir: dir,
    definition: transferDefinition(),
    retryIntervalMs: 0,
    now: () => new Date(clock),
    onAlert: (a) => alerts.push(a),
  });
  open.push(rt);
  return Object.assign(rt, { alerts });
}

/** Closes the runtime (its paper exchange saved), as a process ending would. */
async function stop(rt: LocalRuntime) {
  open.splice(open.indexOf(rt), 1);
  await rt.close();
}

const folder = () => {
  const d = mkdtempSync(join(tmpdir(), 'botfolio-life-'));
  dirs.push(d);
  return d;
};

async function cycle(rt: Run, n: number) {
  clock = T0 + n * CYCLE;
  return rt.cycle(new Date(clock));
}

const operate = (rt: Run, request: OperationRequest, dryRun = false) =>
  runOperation(
    {
      config: rt.config,
      ...rt.store,
      exchanges: rt.exchanges,
      workflow: rt.workflow,
      now: () => new Date(clock),
    },
    request,
    { reason: 'test', by: 'tester', dryRun },
  );

const journal = (rt: LocalRuntime) => rt.store.journal.byStatus('main', TRANSFER_STATUSES);
const codes = (alerts: readonly Alert[]) => alerts.map((a) => a.code);

describe('the portfolio’s life', () => {
  it('funds no bot twice when the books are lost: the bots wait for adopt, then the books agree', async () => {
    const dir = folder();
    const first = await runtime(dir);
    await cycle(first, 0);
    expect(first.exchange.books().master.balance).toBe(money(500));
    await stop(first);
    rmSync(join(dir, 'dynamo'), { recursive: true }); // the books are lost, the exchange is not

    const second = await runtime(dir);
    const after = await cycle(second, 1);
    // Act/assert: nothing allocated again, the master untouched, every bot named
    expect(after.entries).toEqual([]);
    expect(second.exchange.books().master.balance).toBe(money(500));
    expect(after.plan.alerts.filter((a) => a.code === 'unexpected_balance')).toHaveLength(4);
    expect(codes(after.plan.alerts)).toContain('reconciliation_mismatch');

    for (const [botId, capital] of [
      ['1h_lorentzian_sol', 150],
      ['4h_swing_btc', 150],
      ['5m_scalping_sol', 100],
      ['15m_momentum_eth', 100],
    ] as const) {
      await operate(second, {
        kind: 'adoption',
        botId,
        fromReserve: true,
        capital: money(capital),
      });
    }
    const next = await cycle(second, 2);
    expect(codes(next.plan.alerts)).not.toContain('reconciliation_mismatch');
    expect(codes(next.plan.alerts)).not.toContain('unexpected_balance');
    const state = await second.store.portfolio.load('main');
    expect(sum(state?.reserves.values() ?? [])).toBe(money(500));
    expect(state?.opening?.verifiedAt).toBeDefined();
    expect(second.exchange.books().master.balance).toBe(money(500));
  });

  it('never funds a renamed bot a second time, and says which operations settle it', async () => {
    const dir = folder();
    const first = await runtime(dir);
    await cycle(first, 0);
    await stop(first);
    const renamed = specConfig({ 'bots[0].bot_id': 'lorentzian_v2' });
    const second = await runtime(dir, renamed);
    const result = await cycle(second, 1);
    // The old name's money still counts, read at its booked sub-account
    expect(result.state.bots.get('1h_lorentzian_sol')?.balance).toBe(
      second.exchange.equityOf('6712345678'),
    );
    expect(result.entries.filter((e) => e.kind === 'allocation')).toEqual([]);
    const drift = result.plan.alerts.filter((a) => a.code === 'config_drift');
    expect(drift.map((a) => a.botId).sort()).toEqual(['1h_lorentzian_sol', 'lorentzian_v2']);
    expect(drift.find((a) => a.botId === 'lorentzian_v2')?.message).toContain(
      'botfolio retire 1h_lorentzian_sol',
    );
    // Settled: the old name retired where it is, the new one adopted with what it holds
    await operate(second, { kind: 'retirement', botId: '1h_lorentzian_sol', sweep: false });
    await operate(second, { kind: 'adoption', botId: 'lorentzian_v2', fromReserve: false });
    const settled = await cycle(second, 2);
    expect(codes(settled.plan.alerts)).not.toContain('config_drift');
    expect(settled.entries.filter((e) => e.kind === 'allocation')).toEqual([]);
  });

  it('leaves a bot whose account changed alone (no refill of the empty new account), and a sweep settles it', async () => {
    const dir = folder();
    const first = await runtime(dir);
    await cycle(first, 0);
    await stop(first);
    const moved = specConfig({ 'bots[3].account': '6712349999' });
    const second = await runtime(dir, moved);
    const result = await cycle(second, 1);
    expect(result.entries.filter((e) => e.botId === '15m_momentum_eth')).toEqual([]);
    // Read where its books say it sits, not as the empty new account (equity stays whole)
    expect(result.state.bots.get('15m_momentum_eth')?.balance).toBe(
      second.exchange.equityOf('6712345681'),
    );
    expect(result.equity).toBeDefined();
    expect(
      result.plan.alerts.find((a) => a.code === 'config_drift' && a.botId === '15m_momentum_eth')
        ?.message,
    ).toContain('retire 15m_momentum_eth --sweep');

    const oldBalance = second.exchange.books().subAccounts.get('6712345681')?.balance;
    const swept = await operate(second, {
      kind: 'retirement',
      botId: '15m_momentum_eth',
      sweep: true,
    });
    await second.workflow.drain();
    const entry = await second.store.journal.get(swept.entry.id);
    expect(entry?.status).toBe('completed');
    expect(second.exchange.books().subAccounts.get('6712345681')?.balance).toBe(money(0));
    const books = await second.store.portfolio.load('main');
    expect(books?.bots.has('15m_momentum_eth')).toBe(false);
    expect(books?.reserves.get('high_frequency')).toBe(money(100) + (oldBalance ?? 0n));
    // The next cycle funds it at its new account, once
    const next = await cycle(second, 2);
    expect(next.entries.filter((e) => e.kind === 'allocation').map((e) => e.ends?.to)).toEqual([
      '6712349999',
    ]);
  });

  it('rebuilds a bot funded again by a late run of an older slot after its retirement: the journal is folded in completion order', async () => {
    const dir = folder();
    const first = await runtime(dir);
    await cycle(first, 0);
    await stop(first);
    const second = await runtime(dir, specConfig({ 'bots[3].account': '6712349999' }));
    await cycle(second, 1);
    clock = T0 + 1.5 * CYCLE;
    await operate(second, { kind: 'retirement', botId: '15m_momentum_eth', sweep: true });
    await second.workflow.drain();
    // Slot 1 run again late (a retried invocation): it reads the books as they are now
    clock = T0 + 2 * CYCLE;
    const late = await second.cycle(new Date(T0 + CYCLE));
    const allocation = late.entries.find((e) => e.botId === '15m_momentum_eth');
    expect(allocation?.kind).toBe('allocation');
    await second.workflow.drain();
    const entries = await journal(second);
    const retirement = entries.find((e) => e.kind === 'retirement');
    // The journal's creation order has the allocation first: the late run keeps its slot's time
    expect(allocation && retirement && allocation.createdAt < retirement.createdAt).toBe(true);
    const report = await rebuildLedger(
      { config: second.config, ...second.store },
      { replace: false },
    );
    expect(report.differences).toEqual([]);
    const books = await second.store.portfolio.load('main');
    expect(books?.bots.get('15m_momentum_eth')?.binding?.account).toBe('6712349999');
  });

  it('rebuilds the books from the recorded opening, not from a changed config', async () => {
    const dir = folder();
    const first = await runtime(dir);
    await cycle(first, 0);
    const before = await first.store.portfolio.load('main');
    await stop(first);
    const raised = specConfig({ total_capital: 2000 });
    const second = await runtime(dir, raised);
    const report = await rebuildLedger({ config: raised, ...second.store }, { replace: true });
    expect(report.openingRecorded).toBe(true);
    expect(report.differences).toEqual([]);
    const after = await second.store.portfolio.load('main');
    expect(after?.reserves).toEqual(before?.reserves);
    // And the raised capital is drift: no reserve gives money on it
    const result = await cycle(second, 1);
    expect(codes(result.plan.alerts)).toContain('config_drift');
    expect(
      result.plan.alerts.some(
        (a) => a.code === 'config_drift' && a.message.includes('total_capital'),
      ),
    ).toBe(true);
  });

  it('books a withdrawal first (no refill can spend it) and a deposit only when the money is there', async () => {
    const dir = folder();
    const rt = await runtime(dir);
    await cycle(rt, 0);
    // Bad input is refused, nothing written
    await expect(
      operate(rt, { kind: 'withdrawal', amount: money(10_000), from: 'reserve:emergency' }),
    ).rejects.toThrow(OperationRefusedError);
    await expect(
      operate(rt, { kind: 'deposit', amount: money(50), to: 'reserve:emergency' }),
    ).rejects.toThrow(/only 0 more than the books/);
    const entries = (await journal(rt)).length;

    const out = await operate(rt, {
      kind: 'withdrawal',
      amount: money(80),
      from: 'reserve:low_frequency',
    });
    expect(out.entry.status).toBe('completed');
    rt.exchange.traderMovesMaster(money(-80));
    const state = await rt.store.portfolio.load('main');
    expect(state?.reserves.get('low_frequency')).toBe(money(120));
    expect((await journal(rt)).length).toBe(entries + 1);
    // The trader adds 300 to the master: a deposit books it
    rt.exchange.traderMovesMaster(money(300));
    await operate(rt, { kind: 'deposit', amount: money(300), to: 'reserve:emergency' });
    expect((await rt.store.portfolio.load('main'))?.reserves.get('emergency')).toBe(money(500));
  });

  it('reconciles a renamed bot at its booked sub-account: the old name holds it, the new name is no drift', async () => {
    // Prepare: every bot funded, then 1h_lorentzian_sol renamed in the config; its trading made 20
    const dir = folder();
    const first = await runtime(dir);
    await cycle(first, 0);
    await stop(first);
    const second = await runtime(dir, specConfig({ 'bots[0].bot_id': 'lorentzian_v2' }));
    second.exchange.setSubAccountEquity('6712345678', money(170));
    // Act
    const report = await second.reconcile();
    // Assess
    expect(report.subAccounts.find((c) => c.botId === '1h_lorentzian_sol')).toMatchObject({
      books: 'not_in_config',
      account: '6712345678',
      balance: money(170),
      capitalBase: money(150),
      pnl: money(20),
      drift: false,
    });
    expect(report.subAccounts.find((c) => c.botId === 'lorentzian_v2')).toMatchObject({
      books: 'unbooked',
      account: '6712345678',
      bookedTo: '1h_lorentzian_sol',
      drift: false,
    });
    expect(codes(second.alerts)).not.toContain('unexpected_balance');
    expect(report.reserves).toMatchObject({ checked: true, agree: true });
  });

  it('reconciles a retired bot still in the config, its money left in its sub-account, as drift to adopt', async () => {
    // Prepare: 4h_swing_btc retired where it is (its money stays in its sub-account)
    const dir = folder();
    const rt = await runtime(dir);
    await cycle(rt, 0);
    await operate(rt, { kind: 'retirement', botId: '4h_swing_btc', sweep: false });
    // Act
    const report = await rt.reconcile();
    // Assess
    const swing = report.subAccounts.find((c) => c.botId === '4h_swing_btc');
    expect(swing).toMatchObject({ books: 'unbooked', account: '6712345679', drift: true });
    expect(swing?.balance).toBe(rt.exchange.equityOf('6712345679'));
    const raised = rt.alerts.filter((a) => a.code === 'unexpected_balance');
    expect(raised.map((a) => a.botId)).toEqual(['4h_swing_btc']);
    expect(raised[0]?.message).toContain('botfolio adopt 4h_swing_btc');
  });
});
