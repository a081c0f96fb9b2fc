/**
 * What the fault campaign checks at the end of a run, once the storm is over and reconciliation
 * has settled everything: the journal against the paper exchange's own books and against the
 * projection, and the guards the workflow must never have broken. Each check only reads; what it
 * finds is counted and said in words, so that a failing run can be replayed and understood.
 */

import type { PaperExchange } from '../../adapters/paper/exchange.ts';
import { botOf } from '../../core/accounts.ts';
import type { Config } from '../../core/config.ts';
import { add, type Money, showMoney, sub, ZERO } from '../../core/money.ts';
import { isTerminal, type JournalEntry, movesMoney } from '../../core/transfer.ts';
import { reserveFloor } from '../../core/venues.ts';
import { rebuildLedger } from '../../usecases/ledger-rebuild.ts';
import { auditAgainstPaper, type PaperAudit } from '../paper-audit.ts';
import type { LocalRuntime } from '../runtime.ts';

/** What the checks found wrong in one run. */
export interface Findings {
  /** clientOids the exchange applied more than once. */
  readonly duplicates: number;
  /** Transfers with no final status after the final reconciliation. */
  readonly lost: number;
  /** Accounts where the journal and the exchange's books (or the projection) differ at all. */
  readonly mismatch: number;
  /** Completed transfers whose deltas never reached the ledger. */
  readonly unapplied: number;
  /** Transfers the exchange applied that the journal does not show completed. */
  readonly unjournaled: number;
  /** Broken guards: a reserve below its floor, a day over its limit, a lock or hold left behind. */
  readonly violations: number;
  /** What went wrong, in words (empty when the run is clean). */
  readonly problems: readonly string[];
}

/** A run at its end, as the checks see it. */
export interface RunEnd {
  readonly rt: Pick<LocalRuntime, 'store'> & { readonly exchange: Pick<PaperExchange, 'books'> };
  readonly config: Config;
  /** The run's whole journal, every status. */
  readonly all: readonly JournalEntry[];
  /** How many times reconciliation raised `reconciliation_mismatch` during the run. */
  readonly mismatchAlerts: number;
  /**
   * The journal of each store the run used, when it used several (lost books, a new portfolio
   * id): the exchange is audited against all of them, the books against the last.
   */
  readonly eras?: readonly (readonly JournalEntry[])[];
}

/** Checks a finished run: nothing doubled, lost, unapplied or off, no guard broken. */
export async function checkInvariants({
  rt,
  config,
  all,
  mismatchAlerts,
  eras,
}: RunEnd): Promise<Findings> {
  const problems: string[] = [];
  const pid = config.portfolioId;
  const lost = all.filter((e) => !isTerminal(e.status));
  for (const e of lost) problems.push(`lost: ${e.id} (${e.kind} ${e.botId}) left ${e.status}`);
  const unapplied = await rt.store.journal.completedUnapplied(pid);
  for (const e of unapplied) problems.push(`unapplied: ${e.id} completed, not in the ledger`);

  const audit = eras
    ? auditAcrossEras(all, rt.exchange)
    : await auditAgainstPaper(rt.store, rt.exchange, config);
  problems.push(...audit.mismatches);
  const mismatched = new Set(audit.mismatched);
  const rebuild = await rebuildLedger({ config, ...rt.store }, { replace: false });
  for (const d of rebuild.differences) {
    mismatched.add((d.account && botOf(d.account)) ?? 'master');
    problems.push(`projection ${d.field} is ${d.projection}, the journal says ${d.journal}`);
  }
  if (mismatchAlerts > 0) {
    problems.push(`reconciliation raised reconciliation_mismatch ${mismatchAlerts} time(s)`);
  }

  const violations = await guardViolations(rt.store, config, eras ?? [all]);
  problems.push(...violations);
  return {
    duplicates: audit.duplicates.length,
    lost: lost.length,
    mismatch: mismatched.size,
    unapplied: unapplied.length,
    unjournaled: audit.unjournaled.length,
    violations: violations.length,
    problems,
  };
}

/** The guards the workflow must keep whatever happened: reserve floors, daily limits, no leftovers. */
async function guardViolations(
  store: LocalRuntime['store'],
  config: Config,
  eras: readonly (readonly JournalEntry[])[],
): Promise<string[]> {
  const out: string[] = [];
  const pid = config.portfolioId;
  const state = await store.portfolio.load(pid);
  for (const [name, amount] of state?.reserves ?? []) {
    const floor = reserveFloor(config, name);
    if (amount < floor)
      out.push(`reserve:${name} at ${showMoney(amount)}, below ${showMoney(floor)}`);
  }
  // Each store counts its own day: books lost lose the day's count with them.
  for (const all of eras) out.push(...overDailyLimit(config, all));
  const locks = await store.locks.lockHolders(pid);
  for (const [bot, owner] of locks) out.push(`lock of ${bot} left held by ${owner}`);
  for (const id of await store.claims.holders(pid)) out.push(`reserve hold left by ${id}`);
  for (const [bot, plan] of await store.plans.plans(pid)) {
    out.push(`plan of ${bot} left held by cycle ${plan.cycleId}`);
  }
  const watermark = await store.ledger.watermark(pid);
  for (const id of watermark.applying) out.push(`apply of ${id} left half done`);
  return out;
}

/**
 * Every 24 hours' worth of completed transfers of an exchange, by when each was validated (its
 * claim on the limit), within the exchange's daily_transfer_limit (a rolling day, DESIGN.md §4).
 * Book-only operations move no money and claim no share of it.
 */
function overDailyLimit(config: Config, all: readonly JournalEntry[]): string[] {
  const out: string[] = [];
  const claimedAt = (e: JournalEntry) =>
    Date.parse(e.history.find((h) => h.status === 'validated')?.at ?? e.createdAt);
  for (const [exchange, settings] of config.exchanges) {
    const done = all
      .filter((e) => e.status === 'completed' && movesMoney(e) && e.exchange === exchange)
      .sort((a, b) => claimedAt(a) - claimedAt(b));
    let total: Money = ZERO;
    let first = 0;
    for (const e of done) {
      total = add(total, e.amount);
      while (claimedAt(e) - claimedAt(done[first] ?? e) >= 86_400_000) {
        total = sub(total, done[first]?.amount ?? ZERO);
        first += 1;
      }
      if (total > settings.dailyTransferLimit) {
        out.push(
          `${exchange}: ${showMoney(total)} moved in the 24 h to ${new Date(claimedAt(e)).toISOString()}, over the daily limit ${showMoney(settings.dailyTransferLimit)}`,
        );
        break;
      }
    }
  }
  return out;
}

/**
 * The exchange against every journal the run used: each account's net transfers on the exchange
 * (the master, each sub-account) against the completed transfers that name it as an end, and
 * every applied clientOid completed exactly once in some journal. Book-only operations move no
 * money and are left out; the books themselves are the last store's rebuild check.
 */
function auditAcrossEras(
  all: readonly JournalEntry[],
  exchange: Pick<PaperExchange, 'books'>,
): Pick<PaperAudit, 'mismatched' | 'mismatches' | 'duplicates' | 'unjournaled'> {
  const books = exchange.books();
  const net = new Map<string, Money>();
  const mismatches: string[] = [];
  const completed = all.filter((e) => e.status === 'completed' && movesMoney(e));
  for (const e of completed) {
    if (!e.ends) {
      mismatches.push(`${e.id}: completed without its accounts recorded`);
      continue;
    }
    net.set(e.ends.from, sub(net.get(e.ends.from) ?? ZERO, e.amount));
    net.set(e.ends.to, add(net.get(e.ends.to) ?? ZERO, e.amount));
  }
  const netOf = (a: { balance: Money; opening: Money; tradingPnl: Money }) =>
    sub(sub(a.balance, a.opening), a.tradingPnl);
  const mismatched: string[] = [];
  const accounts: [string, { balance: Money; opening: Money; tradingPnl: Money }][] = [
    ['master', books.master],
    ...books.subAccounts,
  ];
  for (const [uid, a] of accounts) {
    const journal = net.get(uid) ?? ZERO;
    const other = netOf(a);
    if (journal === other) continue;
    mismatched.push(uid);
    mismatches.push(
      `${uid}: net transfers on the exchange ${showMoney(other)}, the journals ${showMoney(journal)} (off by ${showMoney(sub(other, journal))})`,
    );
  }
  const duplicates = books.transfers.filter((t) => t.applied > 1).map((t) => t.clientOid);
  for (const oid of duplicates) mismatches.push(`clientOid ${oid} applied more than once`);
  const done = new Set(completed.map((e) => e.clientOid));
  const unjournaled = books.transfers
    .filter((t) => t.applied > 0 && !done.has(t.clientOid))
    .map((t) => t.clientOid);
  for (const oid of unjournaled) {
    mismatches.push(`clientOid ${oid} applied by the exchange, not completed in any journal`);
  }
  return { mismatched, mismatches, duplicates, unjournaled };
}
