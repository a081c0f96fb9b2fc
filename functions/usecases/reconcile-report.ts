/**
 * A reconciliation's report in its JSON form (`botfolio reconcile --json`): what the reconcile
 * function returns, and what the CLI prints, locally or from a deployed stack (`--stack`).
 * Amounts are decimal strings.
 */
import { formatMoney, type Money } from '../core/money.ts';
import type { ReconcileReport } from './reconcile.ts';

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
  };
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
  return {
    at: r.at,
    restarted: r.restarted,
    settled: r.settled,
    applied: r.applied,
    unresolved: r.unresolved,
    locksReleased: r.locksReleased,
    holdsReleased: r.holdsReleased,
    plansReleased: r.plansReleased,
    books: { ...reserves, reserves: amount(reserves.reserves), master: amount(reserves.master) },
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
