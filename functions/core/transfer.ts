/**
 * Transfers and their journal entries (DESIGN.md §4). A transfer's id is derived from what it is
 * (portfolio, cycle, bot, kind, leg), so a retried cycle plans the same ids and writes nothing new;
 * the id is also the exchange clientOid and the workflow's execution name. A status only moves
 * along the edges of `NEXT`, and `transition` is the one function that produces a next status.
 */
import { createHash } from 'node:crypto';
import { type LedgerAccount, parseAccount } from './accounts.ts';
import type { Money } from './money.ts';
import type { PauseAnswer } from './pause.ts';

export const TRANSFER_KINDS = ['allocation', 'harvest', 'refill', 'rebalance', 'protect'] as const;
export type TransferKind = (typeof TRANSFER_KINDS)[number];

/**
 * An operator's capital operations (DESIGN.md §10), journaled beside the policy's transfers: only
 * a retirement's sweep moves money (through the same workflow); the others change the books alone
 * — and `pause_bots`, the coordinated stop of DESIGN.md §11 (core/pause.ts), changes neither: it
 * records what each bot answered when asked to pause.
 */
export const OPERATION_KINDS = [
  'adoption',
  'deposit',
  'withdrawal',
  'retirement',
  'move',
  'pause_bots',
] as const;
export type OperationKind = (typeof OPERATION_KINDS)[number];

/** What a journal entry can be: a policy's transfer or an operator's operation. */
export const ENTRY_KINDS = [...TRANSFER_KINDS, ...OPERATION_KINDS] as const;
export type EntryKind = (typeof ENTRY_KINDS)[number];

export const isOperation = (kind: EntryKind): kind is OperationKind =>
  (OPERATION_KINDS as readonly string[]).includes(kind);

/**
 * The entry moved money on the exchange: a policy's transfer, or a retirement's sweep. The other
 * operations change the books alone (the money was there, or left, by the trader's hand).
 */
export const movesMoney = (e: { readonly kind: EntryKind; readonly to: string }): boolean =>
  !isOperation(e.kind) || (e.kind === 'retirement' && e.to.startsWith('reserve:'));

/** Where a bot's books say it sits: set when it is funded or adopted (DESIGN.md §10). */
export interface BotBinding {
  /** The bot's sub-account (its UID or email on the exchange). */
  readonly account: string;
  readonly pool: string;
  readonly exchange: string;
}

/**
 * What the books said when an operator's operation was made, so its ledger deltas follow from the
 * entry alone (a rebuild replays them without the state of the day).
 */
export interface OperationFacts {
  /** Who made it, as far as the machine knows (the OS user). */
  readonly by: string;
  /** Where the bot sits: an adoption's, and a retirement's as booked. */
  readonly binding?: BotBinding;
  /** A retirement's bot's capital base as booked. */
  readonly capitalBase?: Money;
  /** A coordinated stop's (`pause_bots`): what each bot answered, in the config's order. */
  readonly pauses?: readonly PauseAnswer[];
}

/** One money movement the policy wants; `leg` tells apart two transfers of one decision. */
export interface PlannedTransfer {
  readonly kind: TransferKind;
  readonly botId: string;
  readonly from: LedgerAccount;
  readonly to: LedgerAccount;
  readonly amount: Money;
  readonly reason: string;
  readonly leg: number;
}

/** Moves money toward a bot's risk: refused while halted (DESIGN.md §3). */
export function addsRisk(t: { readonly kind: EntryKind; readonly to: LedgerAccount }): boolean {
  return (
    t.kind === 'allocation' ||
    t.kind === 'refill' ||
    (t.kind === 'rebalance' && parseAccount(t.to)?.kind === 'bot')
  );
}

export const TRANSFER_STATUSES = [
  'planned',
  'validated',
  'submitted',
  'completed',
  'failed',
  'rejected',
  'uncertain',
] as const;
export type TransferStatus = (typeof TRANSFER_STATUSES)[number];

/** The legal next statuses. Terminal statuses have none. */
export const NEXT: Readonly<Record<TransferStatus, readonly TransferStatus[]>> = {
  planned: ['validated', 'rejected'],
  validated: ['submitted', 'rejected'],
  submitted: ['completed', 'failed', 'uncertain'],
  uncertain: ['completed', 'failed'],
  completed: [],
  failed: [],
  rejected: [],
};

export const isTerminal = (s: TransferStatus): boolean => NEXT[s].length === 0;

/** Statuses of a transfer still running: its bot has a transfer in flight. */
export const OPEN_STATUSES: readonly TransferStatus[] = [
  'planned',
  'validated',
  'submitted',
  'uncertain',
];
export const canMove = (from: TransferStatus, to: TransferStatus): boolean =>
  NEXT[from].includes(to);

export class IllegalTransitionError extends Error {
  constructor(id: string, from: TransferStatus, to: TransferStatus) {
    super(`transfer ${id}: no transition from ${from} to ${to}`);
    this.name = 'IllegalTransitionError';
  }
}

/** Deterministic transfer id: 32 hex characters, valid as a clientOid and an execution name. */
export function transferId(parts: {
  portfolioId: string;
  cycleId: string;
  botId: string;
  kind: EntryKind;
  leg: number;
}): string {
  const key = [parts.portfolioId, parts.cycleId, parts.botId, parts.kind, parts.leg].join('|');
  return createHash('sha256').update(key).digest('hex').slice(0, 32);
}

export interface StatusChange {
  readonly status: TransferStatus;
  readonly at: string;
  readonly note?: string;
}

/** A journal entry: the spec's transaction row plus what it takes to know what happened. */
export interface JournalEntry extends Omit<PlannedTransfer, 'kind'> {
  readonly kind: EntryKind;
  /** An operator's operation: what the books said when it was made. */
  readonly operation?: OperationFacts;
  readonly id: string;
  readonly portfolioId: string;
  readonly cycleId: string;
  /** The config's name of the exchange (`bots[].exchange`). */
  readonly exchange: string;
  /**
   * The exchange it really ran on, when another stands in for `exchange`: `paper` on one
   * machine without a key. Absent when it ran on `exchange` itself, and for older entries.
   */
  readonly venue?: string;
  readonly status: TransferStatus;
  readonly history: readonly StatusChange[];
  /** The id the exchange knows the transfer by: equal to `id`. */
  readonly clientOid: string;
  readonly exchangeTransferId?: string;
  /**
   * What was asked of the exchange — validated, claimed (the reserve hold, the daily share) and
   * submitted — when the exchange's record of the completed transfer shows another amount:
   * `amount` is then the record's, what moved. Absent when the two agree.
   */
  readonly askedAmount?: Money;
  /** Balance of the reserve side before and after (the spec's pot_balance_before/after). */
  readonly potBefore?: Money;
  readonly potAfter?: Money;
  /**
   * The bot's balance the plan was made on, and when it was read (the cycle's reading): the
   * guards use it instead of a fresh read while it is young enough (DESIGN.md §4, "Still true
   * when it runs"). Absent for entries written before it was recorded.
   */
  readonly reading?: BotReading;
  /**
   * Where each end sits on the exchange, as the config said when the transfer was planned: `master`
   * or the bot's sub-account UID. Every step acts on these, never on today's config (DESIGN.md
   * §4, "Bound to its accounts"). Absent for entries written before they were recorded.
   */
  readonly ends?: TransferEnds;
  readonly error?: string;
  /**
   * Calls to the exchange claimed so far (0 until submitted). Each call is claimed in the journal
   * first, so no two calls for one transfer are ever in flight at once.
   */
  readonly submitAttempts: number;
  /** Until when the last claimed call may still be in flight; absent once it has returned. */
  readonly submitLeaseUntil?: string;
  /** A completed entry's deltas are in the ledger projection (false until then, and for others). */
  readonly ledgerApplied: boolean;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/**
 * The amount the transfer's claims hold (its reserve hold, its share of the daily limit): the
 * amount validated and submitted, which the exchange's record may have changed since.
 */
export const claimedAmount = (e: Pick<JournalEntry, 'amount' | 'askedAmount'>): Money =>
  e.askedAmount ?? e.amount;

/** The exchange accounts of a transfer's two ends: `master`, or a sub-account's UID. */
export interface TransferEnds {
  readonly from: string;
  readonly to: string;
}

/** The `ends` value of the master account. */
export const MASTER_END = 'master';

/**
 * Where a ledger account sits on the exchange: every reserve in the master account, a bot in its
 * sub-account (`subAccountOf` the bot, undefined when the bot has none).
 */
export function endOf(
  account: LedgerAccount,
  subAccountOf: (botId: string) => string | undefined,
): string | undefined {
  const a = parseAccount(account);
  if (a === undefined || a.kind === 'outside') return undefined;
  return a.kind === 'reserve' ? MASTER_END : subAccountOf(a.botId);
}

/** Both ends of a transfer on the exchange, or undefined when one has no place there. */
export function endsOf(
  t: Pick<PlannedTransfer, 'from' | 'to'>,
  subAccountOf: (botId: string) => string | undefined,
): TransferEnds | undefined {
  const from = endOf(t.from, subAccountOf);
  const to = endOf(t.to, subAccountOf);
  return from !== undefined && to !== undefined ? { from, to } : undefined;
}

/** A bot's balance as read on the exchange, and when. */
export interface BotReading {
  readonly balance: Money;
  readonly at: string;
}

/** The entry written before anything moves. */
export function plannedEntry(
  t: Omit<PlannedTransfer, 'kind'> & { readonly kind: EntryKind },
  ctx: {
    portfolioId: string;
    cycleId: string;
    exchange: string;
    /** The adapter's name (`Exchange.name`); recorded when it is not `exchange`. */
    venue?: string | undefined;
    now: string;
    /** The bot's balance the plan was made on (a funded bot's). */
    reading?: BotReading;
    /** Where each end sits on the exchange now. */
    ends?: TransferEnds;
  },
): JournalEntry {
  const id = transferId({
    portfolioId: ctx.portfolioId,
    cycleId: ctx.cycleId,
    botId: t.botId,
    kind: t.kind,
    leg: t.leg,
  });
  return {
    ...t,
    id,
    portfolioId: ctx.portfolioId,
    cycleId: ctx.cycleId,
    exchange: ctx.exchange,
    ...(ctx.venue !== undefined && ctx.venue !== ctx.exchange && { venue: ctx.venue }),
    status: 'planned',
    history: [{ status: 'planned', at: ctx.now }],
    clientOid: id,
    submitAttempts: 0,
    ledgerApplied: false,
    createdAt: ctx.now,
    updatedAt: ctx.now,
    ...(ctx.reading && { reading: ctx.reading }),
    ...(ctx.ends && { ends: ctx.ends }),
  };
}
