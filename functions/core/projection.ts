/**
 * The ledger as the journal says it (DESIGN.md §4: the books can always be rebuilt from the
 * journal): the opening layout plus every completed entry's deltas, compared field by field with
 * the projection a store keeps, and each account's net transfers (what an exchange's own books
 * must show).
 */
import { botAccount, type LedgerAccount, reserveAccount } from './accounts.ts';
import { type Money, showMoney, sub, ZERO } from './money.ts';
import { withCompleted } from './simulate.ts';
import { initialState, type Opening } from './state.ts';
import type { BotLedger, Ledger } from './store-ports.ts';
import { type JournalEntry, movesMoney } from './transfer.ts';

/**
 * The ledger the journal says: the recorded opening layout (never today's config: DESIGN.md §10)
 * plus every given entry's deltas.
 */
export function projectLedger(opening: Opening, completed: readonly JournalEntry[]): Ledger {
  // The same fold the backtests use (core/simulate.ts); a bot's balance is the exchange's, not
  // the journal's, so it is left out. Folded in the order the entries completed: a retirement
  // closes a bot's books and an allocation opens them, so the two do not commute, and the
  // journal's own order (by creation) puts a late run of an older cycle slot before a retirement
  // its allocation was planned after.
  const state = withCompleted(initialState(undefined, '', opening), inCompletionOrder(completed));
  return {
    reserves: new Map(state.reserves),
    ...(state.capital && { capital: new Map(state.capital) }),
    bots: new Map(
      [...state.bots].map(
        ([id, { capitalBase, contributed, harvested, protected: p, refills, binding }]) => [
          id,
          {
            capitalBase,
            contributed,
            harvested,
            protected: p,
            refills,
            ...(binding && { binding }),
          },
        ],
      ),
    ),
  };
}

/** When an entry completed (its last `completed` status), for the fold's order. */
const completedAt = (e: JournalEntry): string =>
  e.history.findLast((h) => h.status === 'completed')?.at ?? e.createdAt;

/**
 * Completed entries in the order they completed (ties by creation, then id). Every entry whose
 * effects depend on another's was planned on books where that one was applied, after it had
 * completed, so this order is the books' own where it matters.
 */
export function inCompletionOrder(completed: readonly JournalEntry[]): JournalEntry[] {
  return [...completed].sort(
    (a, b) =>
      completedAt(a).localeCompare(completedAt(b)) ||
      a.createdAt.localeCompare(b.createdAt) ||
      a.id.localeCompare(b.id),
  );
}

export interface LedgerDifference {
  /** `reserve:<name>` or `bot:<id>:<field>`, as shown to the operator. */
  readonly field: string;
  /** The account whose ledger differs (absent for the watermark). */
  readonly account?: LedgerAccount;
  /** The value in the projection (state item), and the journal's. */
  readonly projection: string;
  readonly journal: string;
}

/** Every field where the projection and the journal's ledger differ. */
export function compareLedgers(current: Ledger, journal: Ledger): LedgerDifference[] {
  const out: LedgerDifference[] = [];
  const differ = (
    account: LedgerAccount,
    field: string | undefined,
    a: bigint | number,
    b: bigint | number,
  ) => {
    if (BigInt(a) !== BigInt(b)) {
      const show = (v: bigint | number) =>
        typeof v === 'number' ? String(v) : showMoney(v as Money);
      const name = field === undefined ? account : `${account}:${field}`;
      out.push({ field: name, account, projection: show(a), journal: show(b) });
    }
  };
  for (const name of new Set([...current.reserves.keys(), ...journal.reserves.keys()])) {
    differ(
      reserveAccount(name),
      undefined,
      current.reserves.get(name) ?? 0n,
      journal.reserves.get(name) ?? 0n,
    );
  }
  for (const name of new Set([
    ...(current.capital?.keys() ?? []),
    ...(journal.capital?.keys() ?? []),
  ])) {
    if (!current.capital || !journal.capital) break;
    const a = current.capital.get(name) ?? 0n;
    const b = journal.capital.get(name) ?? 0n;
    if (a !== b) {
      out.push({
        field: `capital:${name}`,
        account: reserveAccount(name),
        projection: showMoney(a as Money),
        journal: showMoney(b as Money),
      });
    }
  }
  const zero: BotLedger = {
    capitalBase: ZERO,
    contributed: ZERO,
    harvested: ZERO,
    protected: ZERO,
    refills: 0,
  };
  for (const id of new Set([...current.bots.keys(), ...journal.bots.keys()])) {
    const a = current.bots.get(id) ?? zero;
    const b = journal.bots.get(id) ?? zero;
    const bot = botAccount(id);
    differ(bot, 'capital_base', a.capitalBase, b.capitalBase);
    differ(bot, 'contributed', a.contributed, b.contributed);
    differ(bot, 'harvested', a.harvested, b.harvested);
    differ(bot, 'protected', a.protected, b.protected);
    differ(bot, 'refills', a.refills, b.refills);
  }
  return out;
}

/** Net money moved on the exchange into each ledger account by the given completed entries. */
export function netTransfers(completed: readonly JournalEntry[]): Map<string, Money> {
  const net = new Map<string, Money>();
  for (const e of completed) {
    if (!movesMoney(e)) continue;
    net.set(e.from, sub(net.get(e.from) ?? (0n as Money), e.amount));
    net.set(e.to, ((net.get(e.to) ?? 0n) + e.amount) as Money);
  }
  return net;
}
