/**
 * Fixtures for the storage tests: journal entries, a portfolio to start from, and the books a
 * sequence of completed entries must produce according to `ledgerDeltas` (the core's word, not
 * the store's).
 */
import { randomUUID } from 'node:crypto';
import { ledgerDeltas } from '../../functions/core/ledger.ts';
import { type Money, money } from '../../functions/core/money.ts';
import type { PortfolioState } from '../../functions/core/state.ts';
import type { Journal } from '../../functions/core/store-ports.ts';
import {
  type JournalEntry,
  type PlannedTransfer,
  plannedEntry,
} from '../../functions/core/transfer.ts';

/** A portfolio id no other test uses (tests share one set of tables). */
export const freshPortfolio = (): string => `p-${randomUUID().slice(0, 12)}`;

export const LF_BOT = 'lf.bot-1';
export const HF_BOT = 'hf_bot-2';

export function entry(
  portfolioId: string,
  t: Partial<PlannedTransfer> & { cycleId?: string; now?: string } = {},
): JournalEntry {
  const botId = t.botId ?? LF_BOT;
  return plannedEntry(
    {
      kind: t.kind ?? 'allocation',
      botId,
      from: t.from ?? 'reserve:low_frequency',
      to: t.to ?? `bot:${botId}`,
      amount: t.amount ?? money(150),
      reason: t.reason ?? 'fund the bot',
      leg: t.leg ?? 0,
    },
    {
      portfolioId,
      cycleId: t.cycleId ?? 'c-1',
      exchange: 'bitget',
      now: t.now ?? '2026-11-20T12:00:00.000Z',
    },
  );
}

/** Writes the entry and walks it to `completed` along the legal edges. */
export async function completed(journal: Journal, e: JournalEntry): Promise<JournalEntry> {
  await journal.putPlanned([e]);
  await journal.transition(e.id, ['planned'], 'validated');
  await journal.transition(e.id, ['validated'], 'submitted');
  const done = await journal.transition(e.id, ['submitted'], 'completed');
  if (!done) throw new Error(`could not complete ${e.id}`);
  return done;
}

/** The spec's portfolio after funding one high-frequency bot. */
export function startingState(): PortfolioState {
  return {
    asOf: '2026-11-20T12:00:00.000Z',
    peakEquity: money(1000),
    flags: { halted: false, blackSwan: false },
    reserves: new Map<string, Money>([
      ['emergency', money(200)],
      ['low_frequency', money(500)],
      ['high_frequency', money(200)],
    ]),
    bots: new Map([
      [
        HF_BOT,
        {
          balance: money(120),
          capitalBase: money(100),
          contributed: money(100),
          harvested: money(0),
          protected: money(0),
          refills: 0,
          refillBlocked: false,
          inFlight: false,
        },
      ],
    ]),
  };
}

const BOT_FIELDS = [
  'balance',
  'capitalBase',
  'contributed',
  'harvested',
  'protected',
  'refills',
] as const;

/** The ledger fields of a state, flat: `reserve:<name>` and `bot:<id>:<field>` (BotState's names) → integer. */
export function flatLedger(state: PortfolioState): Record<string, bigint> {
  const flat: Record<string, bigint> = {};
  for (const [name, amount] of state.reserves) flat[`reserve:${name}`] = amount;
  for (const [id, b] of state.bots) {
    const values = [
      b.balance,
      b.capitalBase,
      b.contributed,
      b.harvested,
      b.protected,
      BigInt(b.refills),
    ];
    BOT_FIELDS.forEach((field, i) => {
      flat[`bot:${id}:${field}`] = values[i] ?? 0n;
    });
  }
  return flat;
}

/** The books `start` must turn into once each entry's `ledgerDeltas` are applied exactly once. */
export function ledgerAfter(
  start: PortfolioState,
  entries: readonly JournalEntry[],
): Record<string, bigint> {
  const flat = flatLedger(start);
  for (const e of entries) {
    for (const d of ledgerDeltas(e)) {
      if (d.target.kind === 'capital' || d.target.kind === 'peak') continue;
      const key =
        d.target.kind === 'reserve'
          ? `reserve:${d.target.name}`
          : `bot:${d.target.botId}:${d.target.field}`;
      if (d.target.kind === 'bot' && flat[`bot:${d.target.botId}:balance`] === undefined) {
        for (const field of BOT_FIELDS) flat[`bot:${d.target.botId}:${field}`] = 0n;
      }
      flat[key] = (flat[key] ?? 0n) + d.delta;
    }
  }
  return flat;
}

/** A clock the test moves by hand. */
export function manualClock(start = Date.parse('2026-11-20T12:00:00.000Z')) {
  let ms = start;
  return {
    now: () => new Date(ms),
    advance: (by: number) => {
      ms += by;
    },
  };
}
