/**
 * Reconciliation (DESIGN.md §4): what the transfer workflow could not finish, settled from the
 * journal and the exchange's records — scheduled in the stack, and `botfolio reconcile` locally.
 * Each open entry gets what `reconcileDecision` (core/settlement.ts) says: started again, expired,
 * left to its running workflow, or settled by a lookup by clientOid. Completed entries the ledger
 * never applied (a step died in between) are applied; holds and locks left by transfers that
 * ended are released; and Σ reserves is checked against the master accounts' balance once
 * nothing is in flight — any difference raises `reconciliation_mismatch`. Every bot's sub-account
 * is read too: an unbooked one holding money raises `unexpected_balance` (reconcile-subaccounts.ts).
 */
import { alert } from '../core/alerts.ts';
import { type Money, showMoney, sub, sum } from '../core/money.ts';
import type { WorkflowStarter } from '../core/ports.ts';
import { reconcileDecision } from '../core/settlement.ts';
import type { LedgerWatermark } from '../core/store-ports.ts';
import { isTerminal, type JournalEntry, OPEN_STATUSES } from '../core/transfer.ts';
import { releaseEndedPlans } from './bot-plans.ts';
import { masterAccounts, masterName } from './master-accounts.ts';
import { checkSubAccounts, type SubAccountCheck } from './reconcile-subaccounts.ts';
import { announce } from './transfer-alerts.ts';
import { holdOf, sourceReserve } from './transfer-guards.ts';
import { type TransferDeps, transferSettlement } from './transfer-settlement.ts';

export interface ReconcileDeps extends TransferDeps {
  readonly workflow: WorkflowStarter;
}

/** Σ reserves against the master accounts' balance, when it could be checked. */

export interface ReservesVersusMaster {
  /** False when the check could not be made now (`reason` says why). */
  readonly checked: boolean;
  readonly reason?: string;
  /** Σ of every reserve's books (over every master account). */
  readonly reserves?: Money;
  /** Σ of every master account's balance. */
  readonly master?: Money;
  /** Every master account holds exactly its reserves' books. */
  readonly agree?: boolean;
  /**
   * Each master account against the books of its own reserves (DESIGN.md §5, venues); present
   * only when the config's exchanges have more than one master account.
   */
  readonly masters?: readonly MasterVersusBooks[];
}

/** One exchange's master account against the books of the reserves in it. */
export interface MasterVersusBooks {
  readonly exchanges: readonly string[];
  readonly reserves: Money;
  readonly master: Money;
  readonly agree: boolean;
}

export interface ReconcileReport {
  readonly at: string;
  /** Entries started again. */
  readonly restarted: readonly string[];
  /** Entries this run brought to a final status. */
  readonly settled: readonly { id: string; from: string; to: string }[];
  /** Completed entries the ledger had not applied, applied now. */
  readonly applied: readonly string[];
  /** Open entries left as they are, and why. */
  readonly unresolved: readonly { id: string; status: string; why: string }[];
  /** Bots whose lock, held by a transfer that had ended, was released. */
  readonly locksReleased: readonly string[];
  /** Transfers whose reserve hold, left after they ended without moving money, was released. */
  readonly holdsReleased: readonly string[];
  /** Bots whose plan, over but still holding them, was released. */
  readonly plansReleased: readonly string[];
  readonly reserves: ReservesVersusMaster;
  /**
   * Every bot's sub-account as read now (reconcile-subaccounts.ts): a booked bot's balance
   * against its capital base is its PnL; an unbooked one holding money is drift.
   */
  readonly subAccounts: readonly SubAccountCheck[];
  /** The projection's watermark after the run. */
  readonly watermark: LedgerWatermark;
  /** Transfers holding reserve money after the run (in flight). */
  readonly holding: ReadonlySet<string>;
}

export async function reconcile(deps: ReconcileDeps): Promise<ReconcileReport> {
  const { config, journal, ledger, claims, locks } = deps;
  const pid = config.portfolioId;
  const settlement = transferSettlement(deps);
  const now = deps.now();
  const restarted: string[] = [];
  const settled: { id: string; from: string; to: string }[] = [];
  const unresolved: { id: string; status: string; why: string }[] = [];

  const finish = async (before: JournalEntry, after: JournalEntry) => {
    if (!isTerminal(after.status)) {
      unresolved.push({ id: after.id, status: after.status, why: 'outcome still unknown' });
      return;
    }
    if (after.status !== before.status) {
      settled.push({ id: after.id, from: before.status, to: after.status });
      await announce(deps, after);
    }
    await locks.unlockBot(pid, after.botId, after.id);
  };

  const open = await journal.byStatus(pid, OPEN_STATUSES);
  // In the order they were planned, a decision's legs first to last (the index orders by id).
  open.sort(
    (a, b) =>
      a.createdAt.localeCompare(b.createdAt) || a.botId.localeCompare(b.botId) || a.leg - b.leg,
  );
  for (const e of open) {
    const decision = reconcileDecision(e, now);
    switch (decision.action) {
      case 'restart':
        await deps.workflow.start(e);
        restarted.push(e.id);
        break;
      case 'expire': {
        const after = await settlement.endWithoutMoving(e, 'rejected', {
          error: decision.why,
          note: `settled by reconciliation: ${decision.why}; nothing moved`,
        });
        await finish(e, after);
        break;
      }
      case 'wait':
        unresolved.push({ id: e.id, status: e.status, why: decision.why });
        break;
      case 'lookup': {
        const after = await settlement.settleByLookup(e, decision.why, decision.whenNoRecord, {
          failed:
            'settled by reconciliation: no record on the exchange, no call in flight: nothing moved',
          uncertain: 'outcome unknown: reconciliation will look again',
        });
        await finish(e, after);
        break;
      }
    }
  }

  const applied: string[] = [];
  for (const e of await journal.completedUnapplied(pid)) {
    await ledger.applyCompleted(e);
    applied.push(e.id);
  }

  const holdsReleased: string[] = [];
  for (const id of await claims.holders(pid)) {
    const e = await journal.get(id);
    const reserve = e && sourceReserve(e);
    if (e && reserve && (e.status === 'rejected' || e.status === 'failed')) {
      await claims.releaseReserve(pid, holdOf(e, reserve));
      holdsReleased.push(id);
    }
  }

  const locksReleased: string[] = [];
  for (const [botId, owner] of await locks.lockHolders(pid)) {
    const e = await journal.get(owner);
    if (!e || isTerminal(e.status)) {
      await locks.unlockBot(pid, botId, owner);
      locksReleased.push(botId);
    }
  }

  const plansReleased = await releaseEndedPlans(deps, pid, now);

  const reserves = await reservesVersusMaster(deps);
  await settleReserveHold(deps, reserves, now);
  const subAccounts = await checkSubAccounts(deps);
  await deps.alerter.flush?.(pid);
  return {
    at: now.toISOString(),
    restarted,
    settled,
    applied,
    unresolved,
    locksReleased,
    holdsReleased,
    plansReleased,
    reserves,
    subAccounts,
    watermark: await ledger.watermark(pid),
    holding: await claims.holders(pid),
  };
}

/**
 * Reconciliation both ways (DESIGN.md §10). The master holds less than the books:
 * `reconciliation_mismatch`, critical, and the reserves are held — no transfer out of them runs —
 * until a reconciliation agrees again (an operator's `withdraw` books what the trader took out).
 * It holds more: `unbooked_surplus`, a warning (an undeclared deposit: `deposit` books it). Agreeing
 * lifts the hold.
 */
async function settleReserveHold(
  deps: ReconcileDeps,
  reserves: ReservesVersusMaster,
  now: Date,
): Promise<void> {
  const { config } = deps;
  const pid = config.portfolioId;
  if (!reserves.checked || reserves.reserves === undefined || reserves.master === undefined) return;
  const cur = config.currency;
  // One master (a single exchange): the whole books against it, said as always.
  const each: { where: string; reserves: Money; master: Money }[] = reserves.masters
    ? reserves.masters.map((m) => ({
        where: `${masterName(m)} holds`,
        reserves: m.reserves,
        master: m.master,
      }))
    : [{ where: 'the master accounts hold', reserves: reserves.reserves, master: reserves.master }];
  const state = await deps.portfolio.load(pid);
  const short = each.filter((m) => m.master < m.reserves);
  if (short.length > 0) {
    const whats = short.map(
      (m) =>
        `${m.where} ${showMoney(m.master)} ${cur}, the reserves' books ${showMoney(m.reserves)}`,
    );
    const why = `${whats.join('; ')}: a transfer was lost, doubled or recorded wrong, or money was taken out (\`botfolio withdraw AMOUNT --from RESERVE\` books it)`;
    if (!state?.reserveHold)
      await deps.portfolio.setReserveHold(pid, { at: now.toISOString(), why });
    await deps.alerter.send(
      alert('reconciliation_mismatch', `${why}; no transfer out of a reserve until settled`),
      { portfolioId: pid },
    );
    return;
  }
  if (state?.reserveHold) await deps.portfolio.setReserveHold(pid, undefined);
  for (const m of each) {
    if (m.master <= m.reserves) continue;
    const more = showMoney(sub(m.master, m.reserves));
    await deps.alerter.send(
      alert(
        'unbooked_surplus',
        `${m.where} ${showMoney(m.master)} ${cur}, ${more} more than the reserves' books ${showMoney(m.reserves)}: an undeclared deposit? \`botfolio deposit ${more} --to RESERVE\` books it`,
      ),
      { portfolioId: pid },
    );
  }
}

/**
 * Σ reserves against the master accounts' balance, once nothing in flight can explain a
 * difference (every reserve sits in a master account; bots' sub-accounts also move by trading,
 * so only the master is checked here). Money moves only during a call claimed in the journal, and
 * the entry stays submitted, uncertain or unapplied until the ledger has it: so if nothing is in
 * flight before and after the master is read, and no entry was applied meanwhile, the two views
 * are of the same moment — otherwise the check waits for the next run.
 */
async function reservesVersusMaster(deps: ReconcileDeps): Promise<ReservesVersusMaster> {
  const { config, journal, ledger } = deps;
  const pid = config.portfolioId;
  const inFlight = async () =>
    (await journal.byStatus(pid, ['submitted', 'uncertain'])).length +
    (await journal.completedUnapplied(pid)).length;
  const before = await ledger.watermark(pid);
  const state = await deps.portfolio.load(pid);
  if (!state) return { checked: false, reason: 'the portfolio has no state yet' };
  const moving = await inFlight();
  if (moving > 0) {
    return { checked: false, reason: `${moving} transfer(s) in flight or not yet applied` };
  }
  let masters: MasterVersusBooks[];
  try {
    const accounts = masterAccounts(config, deps.exchanges, state.reserves);
    masters = await Promise.all(
      accounts.map(async (m) => {
        const master = await m.adapter.masterBalance(config.currency);
        return { exchanges: m.exchanges, reserves: m.books, master, agree: master === m.books };
      }),
    );
  } catch (error) {
    return { checked: false, reason: `master balance unavailable: ${String(error)}` };
  }
  const after = await ledger.watermark(pid);
  if ((await inFlight()) > 0 || after.applied !== before.applied || after.applying.size > 0) {
    return { checked: false, reason: 'transfers moved while the books were being read' };
  }
  const reserves = sum(state.reserves.values());
  const master = sum(masters.map((m) => m.master));
  return {
    checked: true,
    reserves,
    master,
    agree: masters.every((m) => m.agree),
    ...(masters.length > 1 && { masters }),
  };
}
