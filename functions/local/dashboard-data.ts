/**
 * What the dashboard shows (`botfolio dashboard`), from what the store keeps: the state and the
 * status board (the `status --json` object, reused as it is), the portfolio's equity and reserves
 * over the recent cycles, each bot's balance over them, the journal's newest transfers with their
 * stories, and the alerts. Pure: reading the store is the command's (commands/dashboard.ts).
 *
 * The store keeps each bot's balance per cycle (the performance series) but no series of the
 * reserves: they are the reserves of now with the transfers completed since taken back out, so a
 * cycle's equity is its bots' balances plus the reserves as they stood then.
 */
import { reserveOf } from '../core/accounts.ts';
import type { Config } from '../core/config.ts';
import { type Money, toFloat } from '../core/money.ts';
import type { BotSnapshot } from '../core/store-ports.ts';
import type { JournalEntry } from '../core/transfer.ts';
import { reserveFloor } from '../core/venues.ts';

export interface PortfolioPoint {
  readonly at: string;
  readonly equity: number;
  readonly reserves: Readonly<Record<string, number>>;
}

/** When an entry completed (its `completed` status change), or undefined. */
const completedAt = (e: JournalEntry): string | undefined =>
  e.status === 'completed'
    ? (e.history.findLast((h) => h.status === 'completed')?.at ?? e.updatedAt)
    : undefined;

/**
 * The portfolio cycle by cycle, oldest first: each cycle of the bots' snapshots, its equity (the
 * bots' balances then, a bot without a snapshot that cycle at its last one before) plus the
 * reserves as they stood then (today's, less what completed transfers moved in or out since).
 */
export function portfolioHistory(
  snapshots: ReadonlyMap<string, readonly BotSnapshot[]>,
  reservesNow: ReadonlyMap<string, Money>,
  journal: readonly JournalEntry[],
): PortfolioPoint[] {
  const cycles = new Map<string, string>();
  for (const list of snapshots.values()) {
    for (const s of list) if (!cycles.has(s.cycleId)) cycles.set(s.cycleId, s.at);
  }
  const ordered = [...cycles].sort((a, b) => a[1].localeCompare(b[1]));
  const moves = journal.flatMap((e) => {
    const at = completedAt(e);
    return at === undefined
      ? []
      : [{ at, from: reserveOf(e.from), to: reserveOf(e.to), amount: toFloat(e.amount) }];
  });
  const cursors = [...snapshots.values()].map((list) =>
    [...list].sort((a, b) => a.at.localeCompare(b.at)),
  );
  const index = cursors.map(() => -1);
  return ordered.map(([, at]) => {
    let bots = 0;
    cursors.forEach((list, k) => {
      let i = index[k] as number;
      while (i + 1 < list.length && (list[i + 1] as BotSnapshot).at <= at) i++;
      index[k] = i;
      if (i >= 0) bots += toFloat((list[i] as BotSnapshot).balance);
    });
    const reserves = Object.fromEntries([...reservesNow].map(([r, m]) => [r, toFloat(m)]));
    for (const m of moves) {
      if (m.at <= at) continue;
      if (m.to !== undefined && m.to in reserves) reserves[m.to] = (reserves[m.to] ?? 0) - m.amount;
      if (m.from !== undefined && m.from in reserves)
        reserves[m.from] = (reserves[m.from] ?? 0) + m.amount;
    }
    for (const r of Object.keys(reserves)) reserves[r] = Math.round((reserves[r] ?? 0) * 1e8) / 1e8;
    const equity = bots + Object.values(reserves).reduce((s, x) => s + x, 0);
    return { at, equity: Math.round(equity * 100) / 100, reserves };
  });
}

/** Each point's fall from the running peak of the points (≤ 0). */
export function drawdowns(points: readonly PortfolioPoint[]): number[] {
  let peak = 0;
  return points.map((p) => {
    if (p.equity > peak) peak = p.equity;
    return peak > 0 && p.equity < peak ? Math.round(((p.equity - peak) / peak) * 1e6) / 1e6 : 0;
  });
}

/** A reserve's floor: its emergency part's minimum, else zero (as the status board says). */
export const floorOf = (config: Config, reserve: string): number =>
  toFloat(reserveFloor(config, reserve));

/** A bot's balance and capital base per snapshot, oldest first, for its sparkline. */
export function sparkline(list: readonly BotSnapshot[]): {
  at: string[];
  balance: number[];
  capitalBase: number[];
} {
  const sorted = [...list].sort((a, b) => a.at.localeCompare(b.at));
  return {
    at: sorted.map((s) => s.at),
    balance: sorted.map((s) => toFloat(s.balance)),
    capitalBase: sorted.map((s) => toFloat(s.capitalBase)),
  };
}
