/**
 * Reconciliation (DESIGN.md §4): what the transfer workflow could not finish, settled from the
 * journal and the exchange's records — scheduled in the stack, and `botfolio reconcile` locally.
 *
 * - `planned`: started again (a repeated start is harmless) while its plan is fresh; once older
 *   than PLANNED_EXPIRY_MS it is `rejected` — nothing moved, and the next cycle plans again on
 *   fresh balances.
 * - `validated`: nothing was sent (the move to `submitted` claims the first call). Untouched for
 *   longer than the machine's timeout, its workflow is over: `rejected`.
 * - `uncertain`, and `submitted` untouched for longer than the machine's timeout: looked up by
 *   clientOid. Found completed → `completed` and applied. No record → `failed`, but only when no
 *   call can be in flight (its lease ended), SETTLE_DELAY_MS have passed since the last change, and
 *   no call was claimed since we looked (a conditional write). The rule: an exchange keeps a
 *   transfer's record once it has applied it, a call cannot land after its lease (a signed request
 *   expires first), and a `failed` entry is never submitted again — so no record then means
 *   nothing moved, and nothing ever will.
 * - `completed` entries the ledger never applied (a step died in between) are applied; holds and
 *   locks left by transfers that ended are released.
 * - The books are checked against the exchange: Σ reserves must equal the master accounts'
 *   balance once nothing is in flight; any difference raises `reconciliation_mismatch`.
 */
import { alert } from '../core/alerts.ts';
import type { Config } from '../core/config.ts';
import { type Money, showMoney, sub, sum, ZERO } from '../core/money.ts';
import type { Exchange, LedgerBook, LedgerMarks, WorkflowStarter } from '../core/ports.ts';
import { withCompleted } from '../core/simulate.ts';
import { initialState } from '../core/state.ts';
import { isTerminal, type JournalEntry, OPEN_STATUSES } from '../core/transfer.ts';
import { WORKFLOW_TIMEOUT_MINUTES } from '../core/workflow.ts';
import { holdOf, sourceReserve } from './transfer-guards.ts';
import { announce, type TransferStepDeps, transferBook } from './transfer-steps.ts';

const MINUTE = 60_000;
/** A `planned` entry older than this is not started any more: its plan is stale. */
export const PLANNED_EXPIRY_MS = (WORKFLOW_TIMEOUT_MINUTES + 5) * MINUTE;
/** A `validated` or `submitted` entry untouched for this long has no execution left. */
export const STUCK_AFTER_MS = (WORKFLOW_TIMEOUT_MINUTES + 5) * MINUTE;
/**
 * How long an uncertain transfer with no record on the exchange waits before it is `failed`:
 * longer than a call's lease and than an exchange takes to show a transfer it applied.
 */
export const SETTLE_DELAY_MS = 10 * MINUTE;

export interface ReconcileDeps extends TransferStepDeps {
  readonly workflow: WorkflowStarter;
}

export interface BooksVersusExchange {
  /** False when the check could not be made now (`reason` says why). */
  readonly checked: boolean;
  readonly reason?: string;
  readonly reserves?: Money;
  readonly master?: Money;
  readonly agree?: boolean;
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
  readonly books: BooksVersusExchange;
  /** The projection's watermark after the run. */
  readonly watermark: LedgerMarks;
}

export async function reconcile(deps: ReconcileDeps): Promise<ReconcileReport> {
  const { config, journal, state } = deps;
  const pid = config.portfolioId;
  const book = transferBook(deps);
  const now = deps.now();
  const age = (iso: string) => now.getTime() - Date.parse(iso);
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
    await state.unlockBot(pid, after.botId, after.id);
  };
  const expired = (e: JournalEntry, why: string) =>
    book.endWithoutMoving(e, 'rejected', {
      error: why,
      note: `settled by reconciliation: ${why}; nothing moved`,
    });

  for (const e of await journal.byStatus(pid, OPEN_STATUSES)) {
    // Since the last change, or the end of the last call's lease if later.
    const quiet = age(
      e.submitLeaseUntil && e.submitLeaseUntil > e.updatedAt ? e.submitLeaseUntil : e.updatedAt,
    );
    if (e.status === 'planned') {
      if (age(e.createdAt) < PLANNED_EXPIRY_MS) {
        await deps.workflow.start(e);
        restarted.push(e.id);
      } else {
        await finish(e, await expired(e, `planned at ${e.createdAt} and not run in time`));
      }
    } else if (e.status === 'validated') {
      if (quiet >= STUCK_AFTER_MS) {
        await finish(e, await expired(e, 'its workflow ended before submitting'));
      } else unresolved.push({ id: e.id, status: e.status, why: 'its workflow may be running' });
    } else if (e.status === 'submitted' && quiet < STUCK_AFTER_MS) {
      unresolved.push({ id: e.id, status: e.status, why: 'its workflow may be running' });
    } else {
      const why =
        e.status === 'submitted'
          ? 'its workflow ended without an outcome'
          : (e.error ?? 'outcome unknown');
      const after = await book.settleByLookup(
        e,
        why,
        quiet >= SETTLE_DELAY_MS ? 'failed' : 'uncertain',
        {
          failed:
            'settled by reconciliation: no record on the exchange, no call in flight: nothing moved',
          uncertain: 'outcome unknown: reconciliation will look again',
        },
      );
      await finish(e, after);
    }
  }

  const applied: string[] = [];
  for (const e of await journal.completedUnapplied(pid)) {
    await state.applyCompleted(e);
    applied.push(e.id);
  }

  const holdsReleased: string[] = [];
  for (const id of (await state.ledgerMarks(pid)).holding) {
    const e = await journal.get(id);
    const reserve = e && sourceReserve(e);
    if (e && reserve && (e.status === 'rejected' || e.status === 'failed')) {
      await state.releaseReserve(pid, holdOf(e, reserve));
      holdsReleased.push(id);
    }
  }

  const locksReleased: string[] = [];
  for (const [botId, owner] of await state.lockHolders(pid)) {
    const e = await journal.get(owner);
    if (!e || isTerminal(e.status)) {
      await state.unlockBot(pid, botId, owner);
      locksReleased.push(botId);
    }
  }

  const books = await booksVersusExchange(deps);
  if (books.checked && !books.agree) {
    await deps.alerter.send(
      alert(
        'reconciliation_mismatch',
        `the books hold ${showMoney(books.reserves ?? ZERO)} ${config.currency} in reserves, the master accounts ${showMoney(books.master ?? ZERO)}: a transfer was lost, doubled or recorded wrong`,
      ),
      { portfolioId: pid },
    );
  }
  return {
    at: now.toISOString(),
    restarted,
    settled,
    applied,
    unresolved,
    locksReleased,
    holdsReleased,
    books,
    watermark: await state.ledgerMarks(pid),
  };
}

/** The exchanges the config's bots use, each adapter once. */
function adaptersOf(config: Config, exchanges: ReadonlyMap<string, Exchange>): Exchange[] {
  const names = new Set(config.bots.map((b) => b.exchange));
  return [...new Set([...names].flatMap((n) => exchanges.get(n) ?? []))];
}

/**
 * Σ reserves against the master accounts' balance, once nothing in flight can explain a
 * difference (every reserve sits in a master account; bots' sub-accounts also move by trading,
 * so only the master is checked here). Money moves only during a call claimed in the journal, and
 * the entry stays submitted, uncertain or unapplied until the ledger has it: so if nothing is in
 * flight before and after the master is read, and no entry was applied meanwhile, the two views
 * are of the same moment — otherwise the check waits for the next run.
 */
async function booksVersusExchange(deps: ReconcileDeps): Promise<BooksVersusExchange> {
  const { config, journal, state } = deps;
  const pid = config.portfolioId;
  const inFlight = async () =>
    (await journal.byStatus(pid, ['submitted', 'uncertain'])).length +
    (await journal.completedUnapplied(pid)).length;
  const before = await state.ledgerMarks(pid);
  const books = await state.load(pid);
  if (!books) return { checked: false, reason: 'the portfolio has no state yet' };
  const moving = await inFlight();
  if (moving > 0) {
    return { checked: false, reason: `${moving} transfer(s) in flight or not yet applied` };
  }
  let master: Money;
  try {
    const balances = await Promise.all(
      adaptersOf(config, deps.exchanges).map((x) => x.masterBalance(config.currency)),
    );
    master = sum(balances);
  } catch (error) {
    return { checked: false, reason: `master balance unavailable: ${String(error)}` };
  }
  const after = await state.ledgerMarks(pid);
  if ((await inFlight()) > 0 || after.applied !== before.applied || after.applying.size > 0) {
    return { checked: false, reason: 'transfers moved while the books were being read' };
  }
  const reserves = sum(books.reserves.values());
  return { checked: true, reserves, master, agree: reserves === master };
}

/** The ledger book the journal says: the config's opening layout plus every given entry's deltas. */
export function projectLedger(config: Config, completed: readonly JournalEntry[]): LedgerBook {
  // The same fold the backtests use (core/simulate.ts); a bot's balance is the exchange's, not
  // the journal's, so it is left out.
  const books = withCompleted(initialState(config, ''), completed);
  return {
    reserves: new Map(books.reserves),
    bots: new Map(
      [...books.bots].map(
        ([id, { capitalBase, contributed, harvested, protected: p, refills }]) => [
          id,
          { capitalBase, contributed, harvested, protected: p, refills },
        ],
      ),
    ),
  };
}

export interface LedgerDifference {
  /** `reserve:<name>` or `bot:<id>:<field>`. */
  readonly field: string;
  /** The value in the projection (state item), and the journal's. */
  readonly projection: string;
  readonly journal: string;
}

export interface RebuildReport {
  /** Completed entries the journal holds (all applied). */
  readonly entries: number;
  readonly differences: readonly LedgerDifference[];
  /** The projection was replaced by the journal's book. */
  readonly replaced: boolean;
  readonly watermark: LedgerMarks;
}

const REBUILD_ATTEMPTS = 8;

/**
 * Recomputes the ledger from the journal and compares it with the projection; with `replace`,
 * writes the journal's book over the projection, conditioned on no entry being applied meanwhile.
 * Completed entries not applied yet are applied first, so the two count the same entries.
 */
export async function rebuildLedger(
  deps: Pick<TransferStepDeps, 'config' | 'journal' | 'state'>,
  opts: { replace: boolean },
): Promise<RebuildReport> {
  const { config, journal, state } = deps;
  const pid = config.portfolioId;
  for (let attempt = 1; ; attempt++) {
    for (const e of await journal.completedUnapplied(pid)) await state.applyCompleted(e);
    const marks = await state.ledgerMarks(pid);
    for (const id of marks.applying) {
      const e = await journal.get(id);
      if (e) await state.applyCompleted(e);
    }
    if (marks.applying.size > 0) continue;
    const completed = (await journal.byStatus(pid, ['completed'])).filter((e) => e.ledgerApplied);
    const current = await state.load(pid);
    if (!current) throw new Error(`portfolio ${pid} has no state to rebuild`);
    const after = await state.ledgerMarks(pid);
    if (after.applied !== marks.applied || after.applying.size > 0) {
      if (attempt >= REBUILD_ATTEMPTS) throw new Error('the ledger kept moving during the rebuild');
      continue;
    }
    const ledger = projectLedger(config, completed);
    const differences = compareLedger(current, ledger);
    if (BigInt(completed.length) !== marks.applied) {
      differences.push({
        field: 'watermark (entries applied)',
        projection: String(marks.applied),
        journal: String(completed.length),
      });
    }
    let replaced = false;
    if (opts.replace && differences.length > 0) {
      replaced = await state.replaceLedger(pid, ledger, marks);
      if (!replaced) {
        if (attempt >= REBUILD_ATTEMPTS)
          throw new Error('the ledger kept moving during the rebuild');
        continue;
      }
    }
    return { entries: completed.length, differences, replaced, watermark: marks };
  }
}

function compareLedger(
  current: {
    reserves: ReadonlyMap<string, Money>;
    bots: ReadonlyMap<string, LedgerBook['bots'] extends ReadonlyMap<string, infer B> ? B : never>;
  },
  journal: LedgerBook,
): LedgerDifference[] {
  const out: LedgerDifference[] = [];
  const differ = (field: string, a: bigint | number, b: bigint | number) => {
    if (BigInt(a) !== BigInt(b)) {
      const show = (v: bigint | number) =>
        typeof v === 'number' ? String(v) : showMoney(v as Money);
      out.push({ field, projection: show(a), journal: show(b) });
    }
  };
  for (const name of new Set([...current.reserves.keys(), ...journal.reserves.keys()])) {
    differ(`reserve:${name}`, current.reserves.get(name) ?? 0n, journal.reserves.get(name) ?? 0n);
  }
  const zero = { capitalBase: 0n, contributed: 0n, harvested: 0n, protected: 0n, refills: 0 };
  for (const id of new Set([...current.bots.keys(), ...journal.bots.keys()])) {
    const a = current.bots.get(id) ?? zero;
    const b = journal.bots.get(id) ?? zero;
    differ(`bot:${id}:capital_base`, a.capitalBase, b.capitalBase);
    differ(`bot:${id}:contributed`, a.contributed, b.contributed);
    differ(`bot:${id}:harvested`, a.harvested, b.harvested);
    differ(`bot:${id}:protected`, a.protected, b.protected);
    differ(`bot:${id}:refills`, a.refills, b.refills);
  }
  return out;
}

/** Net money moved into each ledger account by the given completed entries. */
export function netTransfers(completed: readonly JournalEntry[]): Map<string, Money> {
  const net = new Map<string, Money>();
  for (const e of completed) {
    net.set(e.from, sub(net.get(e.from) ?? (0n as Money), e.amount));
    net.set(e.to, ((net.get(e.to) ?? 0n) + e.amount) as Money);
  }
  return net;
}
