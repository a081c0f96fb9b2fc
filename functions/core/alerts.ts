/** Alert codes and severities (DESIGN.md §3). */
import { TRANSFER_KINDS } from './transfer.ts';

export const ALERT_SEVERITY = {
  black_swan_entered: 'critical',
  halted: 'critical',
  transfer_failed: 'critical',
  reconciliation_mismatch: 'critical',
  auth_failed: 'critical',
  pot_below_minimum: 'warning',
  refill_unfunded: 'warning',
  allocation_unfunded: 'warning',
  refill_limit_reached: 'warning',
  unusual_loss: 'warning',
  performance_degraded: 'warning',
  exchange_unavailable: 'warning',
  transfer_rejected: 'warning',
  transfer_id_collision: 'critical',
  account_changed: 'critical',
  unexpected_record: 'critical',
  rebalance_skipped: 'warning',
  transfer_not_worth_fee: 'warning',
  balance_unknown: 'warning',
  config_drift: 'warning',
  unexpected_balance: 'warning',
  unbooked_surplus: 'warning',
  no_bots_running: 'critical',
  bot_stale: 'warning',
  bot_error_rate: 'warning',
  bot_restarted: 'info',
  adoption: 'info',
  deposit: 'info',
  withdrawal: 'info',
  retirement: 'info',
  move: 'info',
  harvest: 'info',
  refill: 'info',
  protect: 'info',
  allocation: 'info',
  rebalance: 'info',
  black_swan_exited: 'info',
} as const;

export type AlertCode = keyof typeof ALERT_SEVERITY;
export type Severity = 'info' | 'warning' | 'critical';

export interface Alert {
  readonly severity: Severity;
  readonly code: AlertCode;
  readonly botId?: string;
  readonly message: string;
}

export function alert(code: AlertCode, message: string, botId?: string): Alert {
  return botId === undefined
    ? { severity: ALERT_SEVERITY[code], code, message }
    : { severity: ALERT_SEVERITY[code], code, botId, message };
}

/**
 * An info alert that only announces a planned transfer (`harvest`, `refill`…): whoever shows the
 * transfer itself leaves it out, and the workflow reports each transfer when it ends.
 */
export const announcesTransfer = (a: Alert): boolean =>
  a.severity === 'info' && (TRANSFER_KINDS as readonly string[]).includes(a.code);
