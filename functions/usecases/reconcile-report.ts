/**
 * A reconciliation's report in its JSON form (`botfolio reconcile --json`): what the reconcile
 * function returns, and what the CLI prints, locally or from a deployed stack (`--stack`).
 * Amounts are decimal strings.
 */
import { formatMoney, type Money } from '../core/money.ts';
import type { ReconcileReport } from './reconcile.ts';
import type { SubAccountBooks } from './reconcile-subaccounts.ts';

/** One bot's sub-account as reconciliation read it (reconcile-subaccounts.ts). */
export interface SubAccountJson {
  readonly botId: string;
  readonly exchange: string;
  readonly account: string;
  /** `booked`, `unbooked` (configured, no books) or `not_in_config` (books the config dropped). */
  readonly books: SubAccountBooks;
  /** The balance read, or null when unknown (`unknownWhy`) — never zero for unknown. */
  readonly balance: string | null;
  readonly unknownWhy?: string;
  /** An unbooked bot's account booked to another bot (a rename): that bot's money. */
  readonly bookedTo?: string;
  /** Booked bots: the capital base, and balance − capital base (its PnL, not a mismatch). */
  readonly capitalBase?: string;
  readonly pnl?: string;
  /** Not judged: a transfer for the bot was in flight. */
  readonly inFlight: boolean;
  /** Unbooked and holding `min_transfer` or more: money the books do not have. */
  readonly drift: boolean;
}

export interface ReconcileJson {
  readonly at: string;
  readonly restarted: readonly string[];
  readonly settled: ReconcileReport['settled'];
  readonly applied: readonly string[];
  readonly unresolved: ReconcileReport['unresolved'];
  readonly locksReleased: readonly string[];
  readonly holdsReleased: readonly string[];
  readonly plansReleased: readonly string[];
  readonly books: {
    readonly checked: boolean;
    readonly reason?: string;
    readonly reserves?: string;
    readonly master?: string;
    readonly agree?: boolean;
    /** Each master account against its reserves' books; only with several master accounts. */
    readonly masters?: readonly {
      readonly exchanges: readonly string[];
      readonly reserves: string;
      readonly master: string;
      readonly agree: boolean;
    }[];
  };
  /** Every bot's sub-account; absent from a stack deployed before sub-accounts were checked. */
  readonly subAccounts?: readonly SubAccountJson[];
  readonly watermark: {
    readonly applied: number;
    readonly lastApplied: { readonly id: string; readonly at: string } | null;
    readonly applying: readonly string[];
    readonly holding: readonly string[];
  };
}

export function reconcileReportJson(r: ReconcileReport): ReconcileJson {
  const amount = (m: Money | undefined) => (m === undefined ? undefined : formatMoney(m));
  const { reserves, holding } = r;
  const { masters, ...totals } = reserves;
  return {
    at: r.at,
    restarted: r.restarted,
    settled: r.settled,
    applied: r.applied,
    unresolved: r.unresolved,
    locksReleased: r.locksReleased,
    holdsReleased: r.holdsReleased,
    plansReleased: r.plansReleased,
    books: {
      ...totals,
      reserves: amount(reserves.reserves),
      master: amount(reserves.master),
      ...(masters && {
        masters: masters.map((m) => ({
          exchanges: m.exchanges,
          reserves: formatMoney(m.reserves),
          master: formatMoney(m.master),
          agree: m.agree,
        })),
      }),
    },
    subAccounts: r.subAccounts.map((c) => ({
      botId: c.botId,
      exchange: c.exchange,
      account: c.account,
      books: c.books,
      balance: c.balance === null ? null : formatMoney(c.balance),
      ...(c.unknownWhy !== undefined && { unknownWhy: c.unknownWhy }),
      ...(c.bookedTo !== undefined && { bookedTo: c.bookedTo }),
      ...(c.capitalBase !== undefined && { capitalBase: formatMoney(c.capitalBase) }),
      ...(c.pnl !== undefined && { pnl: formatMoney(c.pnl) }),
      inFlight: c.inFlight,
      drift: c.drift,
    })),
    watermark: {
      applied: Number(r.watermark.applied),
      lastApplied: r.watermark.lastApplied ?? null,
      applying: [...r.watermark.applying],
      holding: [...holding],
    },
  };
}

/** The books do not agree with the exchange (the command's exit 1, the function's error log). */
export const booksDisagree = (r: ReconcileJson): boolean => r.books.checked && !r.books.agree;
