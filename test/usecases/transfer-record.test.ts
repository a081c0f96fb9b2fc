/**
 * What the exchange says is the ledger (DESIGN.md §4): a transfer is completed with the amount the
 * exchange's record shows — by the confirm step and by reconciliation's lookup alike — while the
 * claims end by what they hold; a record that is not the transfer asked is left to an operator.
 * The synthesized state machine in-process, the embedded store, the paper exchange.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type ScriptedFault, scriptedFaults } from '../../functions/adapters/paper/faults.ts';
import { money, ZERO } from '../../functions/core/money.ts';
import { auditAgainstPaper } from '../../functions/local/paper-audit.ts';
import { type Harness, harness, MINUTE, T0, UID } from './harness.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const LORENTZIAN = '1h_lorentzian_sol';

/** The first cycle's allocations, run one at a time (Lorentzian's first) with `faults`. */
async function allocateWith(faults: ScriptedFault[]) {
  const x = await harness({ faults: scriptedFaults(faults), serial: true });
  h = x;
  const result = await x.cycle(x.at(T0));
  const first = result.entries.find((e) => e.botId === LORENTZIAN);
  if (!first) throw new Error('no allocation planned');
  return { x, first };
}

const short = (moves: string): ScriptedFault => ({
  op: 'transfer',
  kind: 'short',
  moves: money(moves),
});

describe('an exchange that moved another amount than asked', () => {
  it('completes the transfer with the recorded amount, the asked one kept, and leaves no hold', async () => {
    // Prepare: the exchange moves 149.5 of the 150 allocation
    const { x, first } = await allocateWith([short('149.5')]);
    // Act
    const entry = await x.store.journal.get(first.id);
    const report = await x.reconcile();
    // Assess
    expect(entry).toMatchObject({
      status: 'completed',
      amount: money('149.5'),
      askedAmount: money(150),
      ledgerApplied: true,
    });
    expect(entry?.history.at(-1)?.note).toBe(
      'verified on the exchange: the exchange recorded 149.5 of the 150 asked',
    );
    expect(x.exchange.equityOf(UID.lorentzian)).toBe(money('149.5'));
    const state = await x.store.portfolio.load('main');
    expect(state?.reserves.get('low_frequency')).toBe(money('200.5'));
    expect(state?.bots.get(LORENTZIAN)).toMatchObject({
      capitalBase: money('149.5'),
      contributed: money('149.5'),
    });
    expect(await x.store.claims.holders('main')).toEqual(new Set());
    // No residue of the hold: the reserve's whole 200.5 can be held again.
    const probe = { transferId: 'probe', reserve: 'low_frequency', amount: money('200.5') };
    expect(await x.store.claims.holdReserve('main', probe, ZERO)).toEqual({ held: true });
    expect((await auditAgainstPaper(x.store, x.exchange, x.config)).agree).toBe(true);
    expect(report.reserves).toMatchObject({ checked: true, agree: true });
  });

  it('keeps the daily limit counting what was claimed at validate', async () => {
    // Prepare
    const { x } = await allocateWith([short('149.5')]);
    // Act: a further claim of 1 sees every share of the day counted once, by what it claimed
    const daily = await x.store.claims.claimDaily(
      'main',
      [{ exchange: 'bitget', transferId: 'probe', amount: money(1), at: x.now().toISOString() }],
      money(10_000),
    );
    // Assess: the four allocations' 500 (150 of it the short one's claim) and the probe
    expect(daily).toEqual({ claimed: true, used: money(501) });
  });

  it('settles an uncertain transfer by the recorded amount when reconciliation finds it', async () => {
    // Prepare: moved short, then every lookup fails for a while: the workflow leaves it uncertain
    const outage = Array.from(
      { length: 16 },
      (): ScriptedFault => ({
        op: 'find',
        kind: 'unavailable',
      }),
    );
    const { x, first } = await allocateWith([short('120'), ...outage]);
    const uncertain = await x.store.journal.get(first.id);
    // Act
    x.at(T0 + 5 * MINUTE);
    const report = await x.reconcile();
    // Assess
    expect(uncertain?.status).toBe('uncertain');
    expect(report.settled).toContainEqual({ id: first.id, from: 'uncertain', to: 'completed' });
    expect(await x.store.journal.get(first.id)).toMatchObject({
      amount: money(120),
      askedAmount: money(150),
      ledgerApplied: true,
    });
    expect((await x.store.portfolio.load('main'))?.reserves.get('low_frequency')).toBe(money(230));
    expect(await x.store.claims.holders('main')).toEqual(new Set());
    expect((await auditAgainstPaper(x.store, x.exchange, x.config)).agree).toBe(true);
    expect(report.reserves).toMatchObject({ checked: true, agree: true });
  });

  it('books nothing of a record showing more than asked: uncertain, and a critical alert', async () => {
    // Prepare: the exchange moves 151 for a 150 allocation
    const { x, first } = await allocateWith([short('151')]);
    // Act
    const entry = await x.store.journal.get(first.id);
    x.at(T0 + 15 * MINUTE);
    const report = await x.reconcile();
    // Assess
    expect(entry).toMatchObject({ status: 'uncertain', amount: money(150), ledgerApplied: false });
    expect(entry?.error).toBe(
      "the exchange's record is not the transfer asked: it moved 151, more than the 150 asked",
    );
    const critical = x.alerts.find((a) => a.code === 'unexpected_record');
    expect(critical).toMatchObject({ severity: 'critical', botId: LORENTZIAN });
    expect(critical?.message).toMatch(/nothing booked: it stays uncertain/);
    expect(report.unresolved).toContainEqual(expect.objectContaining({ id: first.id }));
    expect((await x.store.portfolio.load('main'))?.bots.has(LORENTZIAN)).toBe(false);
    // Its hold stays: the money may have left the reserve.
    expect((await x.store.claims.holders('main')).has(first.id)).toBe(true);
  });
});
