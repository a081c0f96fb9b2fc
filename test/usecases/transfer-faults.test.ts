/**
 * Each fault on its own, deterministically: the synthesized state machine run in-process with the
 * real steps, the embedded store and the paper exchange — which here does not deduplicate
 * clientOids, so a transfer applied twice would show. What must hold every time: the money moves
 * once or not at all, and the journal says which.
 */

import { afterEach, describe, expect, it } from 'vitest';
import { scriptedFaults } from '../../functions/adapters/paper/faults.ts';
import { money } from '../../functions/core/money.ts';
import {
  SETTLE_DELAY_MS,
  STUCK_AFTER_MS,
  SUBMIT_LEASE_MS,
} from '../../functions/core/settlement.ts';
import type { JournalEntry } from '../../functions/core/transfer.ts';
import { auditAgainstPaper } from '../../functions/local/paper-audit.ts';
import { LocalTransferWorkflow } from '../../functions/local/workflow.ts';
import { runStep } from '../../functions/usecases/transfer-steps.ts';
import { specConfig } from '../core/fixtures.ts';
import {
  appliedTimes,
  CYCLE,
  type Harness,
  harness,
  initialised,
  journaled,
  MINUTE,
  stepsOf,
  T0,
  transferDefinition,
  UID,
} from './harness.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const LORENTZIAN = '1h_lorentzian_sol';
const agree = async (x: Harness) => (await auditAgainstPaper(x.store, x.exchange, x.config)).agree;

/** The first cycle's four allocations, run; returns them by bot. */
async function allocate(x: Harness) {
  const result = await x.cycle(x.at(T0));
  const byBot = new Map(result.entries.map((e) => [e.botId, e]));
  const first = byBot.get(LORENTZIAN);
  if (!first) throw new Error('no allocation planned');
  return { entries: result.entries, first };
}

describe('one fault at a time', () => {
  it('an outage longer than the retries leaves the transfer uncertain; reconciliation finds it completed', async () => {
    // Prepare: the first transfer goes through, then every lookup fails for a while.
    const outage = Array.from({ length: 16 }, () => ({
      op: 'find' as const,
      kind: 'unavailable' as const,
    }));
    h = await harness({ faults: scriptedFaults(outage), dedupeClientOid: false, serial: true });
    // Act
    const { first } = await allocate(h);
    const uncertain = await h.store.journal.get(first.id);
    h.at(T0 + 5 * MINUTE);
    const report = await h.reconcile();
    // Assess
    expect(uncertain?.status).toBe('uncertain');
    expect(uncertain?.history.map((c) => c.status)).toContain('uncertain');
    expect(h.alerts.some((a) => a.code === 'transfer_failed' && a.severity === 'critical')).toBe(
      true,
    );
    expect(report.settled).toContainEqual({ id: first.id, from: 'uncertain', to: 'completed' });
    expect((await h.store.journal.get(first.id))?.ledgerApplied).toBe(true);
    expect(appliedTimes(h, first.id)).toBe(1);
    expect(await agree(h)).toBe(true);
  });

  it('a submit that never reached the exchange, then kept failing, is failed only after the settle delay, and gives its money back', async () => {
    // Prepare: lost on the way, then rate limited past every retry.
    const faults = [
      { op: 'transfer' as const, kind: 'timeout_before' as const },
      ...Array.from({ length: 8 }, () => ({
        op: 'transfer' as const,
        kind: 'rate_limit' as const,
      })),
    ];
    h = await harness({ faults: scriptedFaults(faults), dedupeClientOid: false, serial: true });
    const { first } = await allocate(h);
    // Act
    h.at(T0 + 5 * MINUTE);
    const early = await h.reconcile();
    h.at(T0 + 5 * MINUTE + SETTLE_DELAY_MS);
    const late = await h.reconcile();
    // Assess
    expect(early.unresolved).toContainEqual(expect.objectContaining({ id: first.id }));
    expect(late.settled).toContainEqual({ id: first.id, from: 'uncertain', to: 'failed' });
    const entry = await h.store.journal.get(first.id);
    expect(entry?.history.at(-1)?.note).toMatch(/no record on the exchange, no call in flight/);
    expect(appliedTimes(h, first.id)).toBe(0);
    expect((await h.store.claims.holders('main')).has(first.id)).toBe(false);
    // Both news reach the trader: outcome unknown, then failed (within one cooldown).
    const critical = h.alerts.filter((a) => a.code === 'transfer_failed').map((a) => a.message);
    expect(critical).toEqual([
      expect.stringContaining('outcome unknown, reconciliation will settle it'),
      expect.stringContaining('failed, nothing moved'),
    ]);
    expect(await agree(h)).toBe(true);
  });

  it('an execution that dies between submit and record is finished by reconciliation: applied once', async () => {
    // Prepare: the process dies right after the first submit returned.
    let killed = '';
    h = await harness({
      dedupeClientOid: false,
      serial: true,
      reaper: (p) => {
        if (killed || p.state !== 'Submit' || p.when !== 'after') return false;
        killed = p.transferId;
        return true;
      },
    });
    await allocate(h);
    const left = await h.store.journal.get(killed);
    // The next cycle leaves the bot alone: its transfer is still open.
    h.exchange.setSubAccountEquity(UID.lorentzian, money(200));
    const next = await h.cycle(h.at(T0 + CYCLE));
    // Act: quiet that long since the call's lease ended (a call that succeeded keeps it)
    h.at(T0 + SUBMIT_LEASE_MS + STUCK_AFTER_MS);
    const report = await h.reconcile();
    // Assess
    expect(left?.status).toBe('submitted');
    expect(next.entries.filter((e) => e.id === killed || e.botId === left?.botId)).toEqual([]);
    expect(report.settled).toContainEqual({ id: killed, from: 'submitted', to: 'completed' });
    expect([...(await h.store.locks.lockHolders('main')).keys()]).not.toContain(left?.botId);
    expect(appliedTimes(h, killed)).toBe(1);
    expect(await agree(h)).toBe(true);
  });

  it('an execution that dies after verifying, before recording, is applied by the next cycle before it plans', async () => {
    // Prepare
    let killed = '';
    h = await harness({
      serial: true,
      reaper: (p) => {
        if (killed || p.state !== 'Confirm' || p.when !== 'after') return false;
        killed = p.transferId;
        return true;
      },
    });
    await allocate(h);
    const left = await h.store.journal.get(killed);
    // Act
    const next = await h.cycle(h.at(T0 + CYCLE));
    // Assess: completed but not in the books, then applied — and not allocated a second time.
    expect(left).toMatchObject({ status: 'completed', ledgerApplied: false });
    expect((await h.store.journal.get(killed))?.ledgerApplied).toBe(true);
    expect(next.entries.filter((e) => e.kind === 'allocation')).toEqual([]);
    expect(await agree(h)).toBe(true);
  });

  it('an execution that dies before its first step is started again by the next cycle and runs once', async () => {
    // Prepare
    let killed = '';
    h = await harness({
      dedupeClientOid: false,
      serial: true,
      reaper: (p) => {
        if (killed || p.state !== 'Lock' || p.when !== 'before') return false;
        killed = p.transferId;
        return true;
      },
    });
    await allocate(h);
    // Act
    const next = await h.cycle(h.at(T0 + CYCLE));
    // Assess
    expect(next.restarted).toBe(1);
    expect((await h.store.journal.get(killed))?.status).toBe('completed');
    expect(appliedTimes(h, killed)).toBe(1);
    expect(h.workflow.outcomes.get(killed)?.status).toBe('SUCCEEDED');
  });

  it('two executions of one transfer at once (a second process) move the money once', async () => {
    // Prepare: slow transfers, so one call is in flight while the other execution looks.
    const slow = Array.from({ length: 4 }, () => ({
      op: 'transfer' as const,
      kind: 'latency' as const,
      latencyMs: 30,
    }));
    h = await harness({ faults: scriptedFaults(slow), dedupeClientOid: false });
    await initialised(h);
    const planned = await journaled(h, {
      kind: 'allocation',
      botId: LORENTZIAN,
      from: 'reserve:low_frequency',
      to: `bot:${LORENTZIAN}`,
      amount: 150,
    });
    const steps = stepsOf(h);
    const other = new LocalTransferWorkflow(
      transferDefinition(),
      (input) => runStep(steps, input),
      {
        retryIntervalMs: 1,
      },
    );
    // Act
    await Promise.all([h.workflow.run(planned.id), other.run(planned.id)]);
    // Assess
    expect((await h.store.journal.get(planned.id))?.status).toBe('completed');
    expect(appliedTimes(h, planned.id)).toBe(1);
    expect(h.exchange.equityOf(UID.lorentzian)).toBe(money(150));
  });

  it('the same cycle run twice plans the same transfers and moves each once', async () => {
    // Prepare
    h = await harness({ dedupeClientOid: false });
    const first = await h.cycle(h.at(T0));
    // Act
    const again = await h.cycle(h.at(T0 + MINUTE));
    for (const e of first.entries) await h.workflow.start(e);
    await h.workflow.drain();
    // Assess
    expect(again.cycleId).toBe(first.cycleId);
    expect(h.exchange.books().transfers).toHaveLength(4);
    expect(h.exchange.books().transfers.every((t) => t.applied === 1)).toBe(true);
    expect(await agree(h)).toBe(true);
  });
});

describe('the daily transfer limit', () => {
  it('claims a refill’s two legs of the daily limit together: both or neither, never half a refill', async () => {
    // Prepare: both low_frequency bots wiped out. Lorentzian's refill is 112.5 from the pool;
    // swing's is 87.5 from the pool and 25 from the emergency reserve. After the allocations
    // (500) and lorentzian's refill, 97.5 of the 710 a day is left: leg 0 alone would fit.
    const config = specConfig({
      'emergency_reserve.minimum': 100,
      emergency_stop: undefined,
      black_swan_protection: undefined,
      'exchanges.bitget.daily_transfer_limit': 710,
    });
    h = await harness({ config, serial: true });
    await h.cycle(h.at(T0));
    h.exchange.setSubAccountEquity(UID.lorentzian, money(0));
    h.exchange.setSubAccountEquity(UID.swing, money(0));
    // Act
    const result = await h.cycle(h.at(T0 + 15 * MINUTE));
    // Assess
    const swing = await Promise.all(
      result.entries
        .filter((e) => e.botId === '4h_swing_btc')
        .map((e) => h?.store.journal.get(e.id)),
    );
    expect(swing.map((e) => [e?.leg, e?.amount, e?.status])).toEqual([
      [0, money(87.5), 'rejected'],
      [1, money(25), 'rejected'],
    ]);
    expect(swing[0]?.error).toMatch(/112\.5 more \(this refill's legs together\) would pass it/);
    expect(h.exchange.equityOf(UID.swing)).toBe(money(0));
  });

  it('refuses a transfer that would pass the last 24 hours’ total, and counts a rolling day', async () => {
    // Prepare: 300 a day; the first cycle wants 150 + 150 + 100 + 100.
    const config = specConfig({
      'exchanges.bitget.max_transfer': 150,
      'exchanges.bitget.daily_transfer_limit': 300,
    });
    h = await harness({ config, serial: true });
    const statusesOf = async (r: { entries: readonly JournalEntry[] }) =>
      Promise.all(r.entries.map((e) => h?.store.journal.get(e.id)));
    // Act: the first cycle; the first cycle of the next calendar day, 12 h later; a day after
    // the first cycle's quarter hour (a claim counts 24 h from its quarter's end)
    const first = await statusesOf(await h.cycle(h.at(T0)));
    const nextDay = await statusesOf(await h.cycle(h.at(Date.parse('2026-11-21T00:00:00.000Z'))));
    const dayLater = await statusesOf(await h.cycle(h.at(T0 + (24 * 60 + 15) * MINUTE)));
    // Assess
    expect(first.map((e) => e?.status)).toEqual(['completed', 'completed', 'rejected', 'rejected']);
    expect(first[2]?.error).toMatch(
      /daily_transfer_limit 300 on bitget over the last 24 h: 300 already counted, 100 more would pass it/,
    );
    expect(nextDay.map((e) => [e?.botId, e?.status])).toEqual([
      ['5m_scalping_sol', 'rejected'],
      ['15m_momentum_eth', 'rejected'],
    ]);
    expect(dayLater.map((e) => [e?.botId, e?.status])).toEqual([
      ['5m_scalping_sol', 'completed'],
      ['15m_momentum_eth', 'completed'],
    ]);
  });
});
