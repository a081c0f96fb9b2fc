/** Alert codes and severities (DESIGN.md §3). */
import { TRANSFER_KINDS } from './transfer.ts';

export const ALERT_SEVERITY = {
  black_swan_entered: 'critical',
  halted: 'critical',
  transfer_failed: 'critical',
  reconciliation_mismatch: 'critical',
  auth_failed: 'critical',
  pot_below_minimum: 'warning',
  reserve_imbalance: 'warning',
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
  bots_correlated: 'warning',
  exposure_high: 'warning',
  bot_leverage_high: 'warning',
  no_bots_running: 'critical',
  bot_stale: 'warning',
  bot_error_rate: 'warning',
  allocation_drift: 'warning',
  bot_restarted: 'info',
  adoption: 'info',
  deposit: 'info',
  withdrawal: 'info',
  retirement: 'info',
  move: 'info',
  pause_bots: 'info',
  harvest: 'info',
  refill: 'info',
  protect: 'info',
  allocation: 'info',
  rebalance: 'info',
  black_swan_exited: 'info',
} as const;

export type AlertCode = keyof typeof ALERT_SEVERITY;
/** Severities from the least to the most urgent: a channel's floor keeps this order. */
export const SEVERITIES = ['info', 'warning', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** True when `severity` is at or above `floor` (`warning` passes a `warning` floor, `info` does not). */
export const atOrAbove = (severity: Severity, floor: Severity): boolean =>
  SEVERITIES.indexOf(severity) >= SEVERITIES.indexOf(floor);

export interface Alert {
  readonly severity: Severity;
  readonly code: AlertCode;
  readonly botId?: string;
  /** The pool an alert about a whole pool is about (`bots_correlated`): its cooldown is per pool. */
  readonly pool?: string;
  readonly message: string;
  /** A digest's bots (`digestAlerts`): one message for them all, `botId` unset. */
  readonly bots?: readonly string[];
}

export function alert(code: AlertCode, message: string, botId?: string): Alert {
  return botId === undefined
    ? { severity: ALERT_SEVERITY[code], code, message }
    : { severity: ALERT_SEVERITY[code], code, botId, message };
}

/** An alert about one pool as a whole: the same (code, pool) is not re-sent within the cooldown. */
export function poolAlert(code: AlertCode, message: string, pool: string): Alert {
  return { severity: ALERT_SEVERITY[code], code, pool, message };
}

/**
 * An info alert that only announces a planned transfer (`harvest`, `refill`…): whoever shows the
 * transfer itself leaves it out, and the workflow reports each transfer when it ends.
 */
export const announcesTransfer = (a: Alert): boolean =>
  a.severity === 'info' && (TRANSFER_KINDS as readonly string[]).includes(a.code);

/** How many of a digest's bots have their own message quoted, and how many are named at most. */
const DIGEST_QUOTED = 10;
const DIGEST_NAMED = 50;

/**
 * A cycle's alerts as the trader gets them (DESIGN.md §3, issue 16): the warnings and infos about
 * single bots that share a code become one digest naming the bots and quoting the first few
 * messages — one message per (code, severity), however large the fleet. A code only one bot
 * raised keeps its own alert; critical alerts, and those about the portfolio or a pool, stay as
 * they are (few, and each one is acted on). Order: each group where its first alert was.
 */
export function digestAlerts(alerts: readonly Alert[]): Alert[] {
  const groups = new Map<string, Alert[]>();
  const out: (Alert | Alert[])[] = [];
  for (const a of alerts) {
    if (a.severity === 'critical' || a.botId === undefined) {
      out.push(a);
      continue;
    }
    const key = `${a.code}#${a.severity}`;
    const group = groups.get(key);
    if (group) group.push(a);
    else {
      const fresh = [a];
      groups.set(key, fresh);
      out.push(fresh);
    }
  }
  return out.map((g) => (!Array.isArray(g) ? g : g.length === 1 ? (g[0] as Alert) : digestOf(g)));
}

function digestOf(group: readonly Alert[]): Alert {
  const [first] = group;
  if (!first) throw new RangeError('digestOf: an empty group');
  const bots = group.map((a) => a.botId ?? '-');
  const named =
    bots.length > DIGEST_NAMED
      ? `${bots.slice(0, DIGEST_NAMED).join(', ')} and ${bots.length - DIGEST_NAMED} more`
      : bots.join(', ');
  const rest = group.length - DIGEST_QUOTED;
  return {
    severity: first.severity,
    code: first.code,
    bots,
    message: [
      `${bots.length} bots: ${named}`,
      ...group.slice(0, DIGEST_QUOTED).map((a) => `- ${a.message}`),
      ...(rest > 0 ? [`- and ${rest} more bots of the same (botfolio status lists each)`] : []),
    ].join('\n'),
  };
}
