/**
 * The `botfolio plan --json` object (DESIGN.md §6, a contract): a plan in the contract's field
 * names, with amounts as 8-decimal strings and the peak equity as a number. Extensions beyond the
 * contract's sample (added fields only): `equity`, `refill_blocked` (blocks the cycle sets or
 * lifts), `last_rebalance` (when the allocation strategy last ran, this plan included),
 * `bot_status` (each bot's health the plan was made on, DESIGN.md §11) and each transfer's
 * `exchange` (where it moves: both its ends are on it, DESIGN.md §5).
 */
import type { AlertCode, Severity } from './alerts.ts';
import type { Config } from './config.ts';
import type { HealthStatus } from './health.ts';
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
    /** The exchange it moves on: its bot's (money never moves between exchanges). */
    readonly exchange: string;
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
  /**
   * Each configured bot's health: `running`, `stale`, `stopped`, `error`, or `not_monitored` (no
   * health source: managed as without one). Money goes into a monitored bot only while `running`.
   */
  readonly bot_status: Readonly<
    Record<
      string,
      {
        readonly status: HealthStatus;
        readonly reason: string;
        /** When it was last heard from (ISO), null if never or not monitored. */
        readonly last_seen: string | null;
      }
    >
  >;
}

/** The contract object of a plan made on `config`, ready for `JSON.stringify`. */
export function planToJson(plan: Plan, config: Pick<Config, 'bots'>): PlanJson {
  const exchangeOf = new Map(config.bots.map((b) => [b.botId, b.exchange]));
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
      exchange: exchangeOf.get(t.botId) ?? 'unknown',
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
    bot_status: Object.fromEntries(
      [...plan.health].map(([botId, h]) => [
        botId,
        { status: h.status, reason: h.reason, last_seen: h.lastSeen ?? null },
      ]),
    ),
  };
}
