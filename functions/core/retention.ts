/**
 * How long a bot's performance snapshots are kept (DESIGN.md §7; issue 16: the performance table
 * grew forever, about 3 GB a month at 1,000 bots every 5 minutes). Every snapshot is kept at full
 * resolution for `FULL_RESOLUTION_DAYS`, longer than anything a decision reads at that resolution
 * (the history alerts' window, a 30-day history-based rebalance). The day's close — the snapshot
 * of a UTC day's last cycle slot — is kept `DAILY_CLOSE_DAYS`, longer than the longest
 * `risk.correlation_window` (365 days of daily returns) and enough for a year's chart. In AWS the
 * table's TTL drops a snapshot after its `expires_at`; locally the runtime prunes once a day.
 */
import { DAY_MS } from './duration.ts';

export const FULL_RESOLUTION_DAYS = 35;
export const DAILY_CLOSE_DAYS = 400;

/** True when `at` is its UTC day's last cycle slot: the next slot falls on another day. */
export function isDailyClose(at: string, checkIntervalMs: number): boolean {
  const t = Date.parse(at);
  return Math.floor(t / DAY_MS) !== Math.floor((t + checkIntervalMs) / DAY_MS);
}

/** When a snapshot taken at `at` may be dropped: epoch seconds, as DynamoDB's TTL reads them. */
export function snapshotExpiry(at: string, checkIntervalMs: number): number {
  const days = isDailyClose(at, checkIntervalMs) ? DAILY_CLOSE_DAYS : FULL_RESOLUTION_DAYS;
  return Math.floor((Date.parse(at) + days * DAY_MS) / 1000);
}
