/**
 * The `botfolio plan --json` object (DESIGN.md §6, a contract): a plan in the contract's field
 * names, with amounts as 8-decimal strings and the peak equity as a number. Extensions beyond the
 * contract's sample (added fields only): `equity`, `refill_blocked` (blocks the cycle sets or
 * lifts) and `last_rebalance` (when the allocation strategy last ran, this plan included).
 */
import type { AlertCode, Severity } from './alerts.ts';
import { formatMoney, showMoney } from './money.ts';
import type { Mode, Plan } from './policy.ts';
import type { TransferKind } from './transfer.ts';

export interface PlanJson {
  readonly mode: Mode;
  readonly flags: { readonly halted: boolean; readonly black_swan: boolean };
  readonly peak_equity: number;
  /** Σ bot balances + Σ reserves now, as a number like the peak. */
  readonly equity: number | null;
  readonly transfers: readonly {
    readonly kind: TransferKind;
    readonly bot_id: string;
    readonly from: string;
    readonly to: string;
    /** "30.00000000" */
    readonly amount: string;
    readonly reason: string;
  }[];
  readonly alerts: readonly {
    readonly severity: Severity;
    readonly code: AlertCode;
    /** null for an alert about the whole portfolio (e.g. `pot_below_minimum`). */
    readonly bot_id: string | null;
    readonly message: string;
  }[];
  readonly refill_blocked: readonly {
    readonly bot_id: string;
    readonly refill_blocked: boolean;
    readonly reason: string;
  }[];
  readonly last_rebalance: string | null;
}

/** The contract object of a plan, ready for `JSON.stringify`. */
export function planToJson(plan: Plan): PlanJson {
  return {
    mode: plan.mode,
    flags: { halted: plan.flags.halted, black_swan: plan.flags.blackSwan },
    // A number, as the contract says; exact for every amount below 2^53 / 10^8 (90 million).
    peak_equity: Number(showMoney(plan.peakEquity)),
    // null on a partial reading: a bot's balance is unknown this cycle.
    equity: plan.equity === undefined ? null : Number(showMoney(plan.equity)),
    transfers: plan.transfers.map((t) => ({
      kind: t.kind,
      bot_id: t.botId,
      from: t.from,
      to: t.to,
      amount: formatMoney(t.amount),
      reason: t.reason,
    })),
    alerts: plan.alerts.map((a) => ({
      severity: a.severity,
      code: a.code,
      bot_id: a.botId ?? null,
      message: a.message,
    })),
    refill_blocked: plan.refillBlocks.map((c) => ({
      bot_id: c.botId,
      refill_blocked: c.blocked,
      reason: c.reason,
    })),
    last_rebalance: plan.lastRebalance ?? null,
  };
}
