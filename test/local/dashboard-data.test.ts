/** The dashboard's history: each cycle's equity, with the reserves as they stood then. */
import { describe, expect, it } from 'vitest';
import { type Money, money } from '../../functions/core/money.ts';
import type { BotSnapshot } from '../../functions/core/store-ports.ts';
import type { JournalEntry } from '../../functions/core/transfer.ts';
import { drawdowns, portfolioHistory, sparkline } from '../../functions/local/dashboard-data.ts';

const snap = (botId: string, cycle: number, balance: number): BotSnapshot => ({
  botId,
  cycleId: `c${cycle}`,
  at: `2026-12-02T10:0${cycle}:00.000Z`,
  balance: money(balance),
  capitalBase: money(150),
  contributed: money(150),
  harvested: money(0),
  protected: money(0),
  netContributed: money(150),
  pnl: money(balance - 150),
});

/** A completed entry moving `amount` between two accounts at `at` (only what the history reads). */
const moved = (from: string, to: string, amount: number, at: string, status = 'completed') =>
  ({
    from,
    to,
    amount: money(amount),
    status,
    updatedAt: at,
    history: [{ status, at }],
  }) as unknown as JournalEntry;

describe('portfolioHistory', () => {
  it('adds each cycle’s bot balances to the reserves of then: today’s less what completed since', () => {
    // Cycle 1: a 200, b 150; a harvest of 30 completes after it; cycle 2: a 170, b 140.
    const snapshots = new Map([
      ['a', [snap('a', 1, 200), snap('a', 2, 170)]],
      ['b', [snap('b', 1, 150), snap('b', 2, 140)]],
    ]);
    const reserves = new Map<string, Money>([
      ['emergency', money(200)],
      ['low_frequency', money(230)],
    ]);
    const journal = [
      moved('bot:a', 'reserve:low_frequency', 30, '2026-12-02T10:01:30.000Z'),
      // Not completed: it moved nothing.
      moved('reserve:low_frequency', 'bot:b', 50, '2026-12-02T10:01:40.000Z', 'rejected'),
    ];
    const h = portfolioHistory(snapshots, reserves, journal);
    expect(h).toEqual([
      {
        at: '2026-12-02T10:01:00.000Z',
        equity: 750,
        reserves: { emergency: 200, low_frequency: 200 },
      },
      {
        at: '2026-12-02T10:02:00.000Z',
        equity: 740,
        reserves: { emergency: 200, low_frequency: 230 },
      },
    ]);
  });

  it('counts a bot without a snapshot in a cycle at its last one before', () => {
    const snapshots = new Map([
      ['a', [snap('a', 1, 100), snap('a', 2, 110)]],
      ['b', [snap('b', 1, 50)]],
    ]);
    const h = portfolioHistory(snapshots, new Map(), []);
    expect(h.map((p) => p.equity)).toEqual([150, 160]);
  });
});

describe('drawdowns', () => {
  it('is each point’s fall from the running peak', () => {
    const points = [100, 120, 90].map((equity, i) => ({ at: String(i), equity, reserves: {} }));
    expect(drawdowns(points)).toEqual([0, 0, -0.25]);
  });
});

describe('sparkline', () => {
  it('is the balance and capital base, oldest first', () => {
    expect(sparkline([snap('a', 2, 170), snap('a', 1, 200)])).toEqual({
      at: ['2026-12-02T10:01:00.000Z', '2026-12-02T10:02:00.000Z'],
      balance: [200, 170],
      capitalBase: [150, 150],
    });
  });
});
