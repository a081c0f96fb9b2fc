/**
 * The storage ports: what the use cases keep, one small port per concern — the transfer journal,
 * the portfolio's state, the ledger projection, the claims on money, bot locks, alert cooldowns
 * and the performance series. A composition root builds them together (`Stores`); each use case
 * takes only the ones it needs.
 */
import type { Alert } from './alerts.ts';
import type { RecentReturns } from './analytics.ts';
import type { PositionReading } from './exposure.ts';
import type { HealthFacts, HealthStatus, PulledHealth } from './health.ts';
import type { PushRecord } from './heartbeat.ts';
import type { Money } from './money.ts';
import type {
  BalanceConfirmation,
  Flags,
  Opening,
  PortfolioState,
  ReserveHoldFlag,
} from './state.ts';
import type { BotBinding, JournalEntry, TransferStatus } from './transfer.ts';

/** What a cycle writes about the portfolio besides the ledger (which only completed transfers change). */
export interface CycleSnapshot {
  readonly asOf: string;
  readonly cycleId: string;
  readonly peakEquity: Money;
  /** The operators' flows the state showed when the cycle read it (`PortfolioState.peakFlows`). */
  readonly peakFlowsSeen?: Money;
  readonly flags: Flags;
  readonly balances: ReadonlyMap<string, Money>;
  /** When the allocation strategy last ran (the plan's `lastRebalance`); left as it is when absent. */
  readonly lastRebalance?: string;
  /**
   * Forget which bots were protected: black swan is not under way, or its episode starts now
   * (its protects complete after this write). @default false
   */
  readonly newProtectEpisode?: boolean;
  /** Bots whose operator-confirmed balance this cycle's reading ended (forgotten). @default none */
  readonly confirmationsEnded?: readonly string[];
  /**
   * This cycle entered `halted`, at this time (its `asOf`): recorded as the halt's start unless
   * one is recorded already (an operator's halt made meanwhile). @default not entering
   */
  readonly haltedAt?: string;
}

/** One bot's row in the performance table for one cycle. */
export interface BotSnapshot {
  readonly botId: string;
  readonly cycleId: string;
  readonly at: string;
  readonly balance: Money;
  readonly capitalBase: Money;
  readonly contributed: Money;
  readonly harvested: Money;
  readonly protected: Money;
  /**
   * Money put in less money taken out, all time (contributed − harvested − protected). The flow
   * between two snapshots is the difference of theirs — what flow-adjusted returns subtract.
   */
  readonly netContributed: Money;
  readonly pnl: Money;
  /** When the store may drop it, in epoch seconds (retention.ts); absent: kept. */
  readonly expiresAt?: number;
}

export interface JournalPatch {
  /**
   * The amount the guards' re-check gives, set with the move to `validated` (never more than the
   * entry's: the rule may shrink a transfer, never grow it); or, with the move to `completed`,
   * the amount the exchange's record shows, with `askedAmount` the one asked.
   */
  readonly amount?: Money;
  readonly askedAmount?: Money;
  readonly exchangeTransferId?: string;
  readonly potBefore?: Money;
  readonly potAfter?: Money;
  readonly error?: string;
  readonly note?: string;
}

/**
 * A condition for moving an entry to a final status after it was submitted: no call to the
 * exchange may still be in flight, so nothing can land after the journal says what happened.
 */
export interface NoCallInFlight {
  /** The entry's `submitAttempts` as the caller saw it: no call was claimed since. */
  readonly attempts: number;
  /** Now (ISO): the last call's lease has ended before it. */
  readonly at: string;
}

/** A claim on one call to the exchange (see `Journal.claimSubmit`). */
export interface SubmitClaim {
  /** 1 for the first call, then one more than the entry's `submitAttempts`. */
  readonly attempt: number;
  /** Now (ISO): the previous call's lease must have ended before it. */
  readonly now: string;
  /** Until when this call may be in flight: longer than any request can live. */
  readonly leaseUntil: string;
  /** Why this call is made, for the history. */
  readonly note: string;
}

/** The transfer journal (`transactions` table). */
export interface Journal {
  /** Writes entries as `planned` unless an entry with the id exists; returns the ids it created. */
  putPlanned(entries: readonly JournalEntry[]): Promise<string[]>;
  /**
   * Writes an operator's book-only operation (an adoption, deposit, withdrawal, move between
   * reserves, a retirement without sweep) as `completed`, not yet applied, unless its id exists;
   * true when it created it. The ledger applies it like any completed transfer.
   */
  putOperation(entry: JournalEntry): Promise<boolean>;
  get(id: string): Promise<JournalEntry | undefined>;
  /**
   * Moves an entry to `to` if its status is one of `from` (a conditional write), appending to its
   * history. Returns the entry after the move, or undefined when the entry was not in `from`, or
   * `guard` did not hold (someone else moved it: the caller reads it again and decides).
   */
  transition(
    id: string,
    from: readonly TransferStatus[],
    to: TransferStatus,
    patch?: JournalPatch,
    guard?: { readonly noCallInFlight?: NoCallInFlight },
  ): Promise<JournalEntry | undefined>;
  /**
   * Claims one call to the exchange: the only way to get permission to submit. Attempt 1 moves the
   * entry `validated` → `submitted`; a later attempt needs it still `submitted`, with
   * `submitAttempts = attempt − 1` and that call's lease ended. Undefined when refused.
   */
  claimSubmit(id: string, claim: SubmitClaim): Promise<JournalEntry | undefined>;
  /**
   * The call `attempt` has returned: its lease ends. `failure` (the error it returned) is added
   * to the history while the entry is still `submitted`. (The transfer steps end a call's lease
   * only when it failed: after a success nothing calls again.)
   */
  endSubmit(id: string, attempt: number, failure?: string): Promise<void>;
  /** Entries of a portfolio in the given statuses (the status index). */
  byStatus(portfolioId: string, statuses: readonly TransferStatus[]): Promise<JournalEntry[]>;
  /** Completed entries whose deltas are not in the ledger yet (a step died between the two). */
  completedUnapplied(portfolioId: string): Promise<JournalEntry[]>;
  /** Entries of one bot, newest first (the bot index). */
  byBot(portfolioId: string, botId: string, limit?: number): Promise<JournalEntry[]>;
}

/** Money of a reserve that a transfer out of it holds while it is in flight. */
export interface ReserveHold {
  readonly transferId: string;
  /** The reserve's name: `emergency` or a pool. */
  readonly reserve: string;
  readonly amount: Money;
}

export type HoldResult =
  | { readonly held: true }
  | { readonly held: false; readonly available: Money };

/** A transfer's share of its exchange's `daily_transfer_limit`, counted for 24 h from `at`. */
export interface DailyClaim {
  readonly exchange: string;
  readonly transferId: string;
  readonly amount: Money;
  /** When the claim is made (ISO): at validate. */
  readonly at: string;
}

/** Where the ledger projection stands in the journal. */
export interface LedgerWatermark {
  /** How many completed entries the projection holds: each one is applied once and counted once. */
  readonly applied: bigint;
  /** The last entry applied, and when. */
  readonly lastApplied?: { readonly id: string; readonly at: string };
  /** Entries whose apply is half done; the next apply call of each finishes it. */
  readonly applying: ReadonlySet<string>;
}

/** A bot's ledger: what completed transfers say of it (its balance is the exchange's, not the ledger's). */
export interface BotLedger {
  readonly capitalBase: Money;
  readonly contributed: Money;
  readonly harvested: Money;
  readonly protected: Money;
  readonly refills: number;
  readonly binding?: BotBinding;
}

/** The ledger projection: every reserve and every funded bot's ledger. */
export interface Ledger {
  readonly reserves: ReadonlyMap<string, Money>;
  /** Each reserve's booked capital, where the books record an opening. */
  readonly capital?: ReadonlyMap<string, Money>;
  readonly bots: ReadonlyMap<string, BotLedger>;
}

/**
 * The portfolio as the cycles see it: its state (the ledger projection with the last cycle's
 * balances, flags and peak), created once and then updated by cycles and operators.
 */
export interface PortfolioStore {
  /**
   * The state; with `bot`, only that bot's books among the bots (a transfer's guards need no
   * more, and its reads then cost the same whatever the fleet's size).
   */
  load(portfolioId: string, opts?: { readonly bot?: string }): Promise<PortfolioState | undefined>;
  /** Creates the state if there is none; returns false when it already existed. */
  init(portfolioId: string, state: PortfolioState): Promise<boolean>;
  /** Records a cycle's balances, peak and flags. */
  saveCycle(portfolioId: string, snapshot: CycleSnapshot): Promise<void>;
  /** Blocks or unblocks a bot's refills (the `no_refill_policy` latch, or an operator's unblock). */
  setRefillBlocked(portfolioId: string, botId: string, blocked: boolean): Promise<void>;
  /**
   * Sets or clears the emergency stop (an operator's `halt` / `resume`); with `peak`, the
   * drawdown is measured from that equity from now on (`flowsSeen`: the state's `peakFlows`).
   * Setting it records `at` as the halt's start (`PortfolioState.haltedAt`) unless one is
   * recorded already; clearing it forgets the start.
   */
  setHalted(
    portfolioId: string,
    halted: boolean,
    peak?: { readonly equity: Money; readonly flowsSeen: Money },
    at?: string,
  ): Promise<void>;
  /**
   * Records the opening layout of books written before openings were recorded (and each
   * reserve's booked capital from it); false when the state has one already.
   */
  recordOpening(portfolioId: string, opening: Opening): Promise<boolean>;
  /** Marks the opening verified: the master account was seen holding its reserves. */
  verifyOpening(portfolioId: string, at: string): Promise<void>;
  /** Sets reconciliation's hold on the reserves (the master holds less), or lifts it. */
  setReserveHold(portfolioId: string, hold: ReserveHoldFlag | undefined): Promise<void>;
  /**
   * Records an operator's confirmation of a bot's balance (`botfolio confirm-balance`), replacing
   * one not yet used; the cycle whose reading ends it forgets it (`CycleSnapshot`).
   */
  confirmBalance(
    portfolioId: string,
    botId: string,
    confirmation: BalanceConfirmation,
  ): Promise<void>;
}

/** The ledger projection of completed journal entries. */
export interface LedgerStore {
  /**
   * Applies a completed entry to the reserves and the bot's ledger exactly once, however often it
   * is called for that entry.
   */
  applyCompleted(entry: JournalEntry): Promise<void>;
  /** Where the projection stands: entries applied, half-done applies. */
  watermark(portfolioId: string): Promise<LedgerWatermark>;
  /**
   * Replaces the ledger with `ledger` if the projection is still at `watermark` (no apply in
   * between, none half done); false when it moved on (read again and recompute).
   */
  replace(portfolioId: string, ledger: Ledger, watermark: LedgerWatermark): Promise<boolean>;
}

/** Claims on money a transfer makes before it may move it (DESIGN.md §4, the guards). */
export interface ClaimStore {
  /**
   * Holds `amount` of a reserve for a transfer out of it, unless the reserve, less what other
   * in-flight transfers hold, would fall below `floor`. Idempotent per transfer. The hold ends
   * when the entry is applied to the ledger, or with `releaseReserve` when nothing moved.
   */
  holdReserve(portfolioId: string, hold: ReserveHold, floor: Money): Promise<HoldResult>;
  /** Ends a hold (idempotent): the transfer ended without moving money. */
  releaseReserve(portfolioId: string, hold: ReserveHold): Promise<void>;
  /** The transfers holding reserve money now. */
  holders(portfolioId: string): Promise<ReadonlySet<string>>;
  /**
   * Counts the transfers (a decision's legs, together: all of them or none) in their exchange's
   * total of the last 24 hours unless that would pass `limit`. Idempotent per transfer; `used` is
   * the total after the call.
   */
  claimDaily(
    portfolioId: string,
    claims: readonly DailyClaim[],
    limit: Money,
  ): Promise<{ claimed: boolean; used: Money }>;
  /** Takes a transfer out of the total again (idempotent): nothing moved. */
  releaseDaily(
    portfolioId: string,
    claim: Pick<DailyClaim, 'exchange' | 'transferId'>,
  ): Promise<void>;
}

/** One transfer in flight per bot: the bot's transfer lock. */
export interface LockStore {
  /** Takes the bot's lock for `owner`; false if another owner holds it. */
  lockBot(portfolioId: string, botId: string, owner: string, ttlMs: number): Promise<boolean>;
  /** Moves the bot's lock from `from` to `to` if `from` still holds it. */
  takeOverLock(
    portfolioId: string,
    botId: string,
    from: string,
    to: string,
    ttlMs: number,
  ): Promise<boolean>;
  /** Who holds each locked bot's lock (bot id → owner). */
  lockHolders(portfolioId: string): Promise<Map<string, string>>;
  /** Releases the lock if `owner` holds it. */
  unlockBot(portfolioId: string, botId: string, owner: string): Promise<void>;
}

/** The plan a bot is in: the cycle that planned it, and the transfers that plan journals for it. */
export interface BotPlan {
  readonly cycleId: string;
  readonly transferIds: readonly string[];
  /** When the claim was made (ISO). */
  readonly at: string;
  /**
   * When the balances the plan was made on were read (ISO). A bot released after it is not
   * claimed: another plan's money may have moved after that reading.
   */
  readonly readAt?: string;
  /** When the plan was released (ISO); a released plan holds nothing. */
  readonly releasedAt?: string;
}

/**
 * One plan per bot (DESIGN.md §4): before a cycle journals anything for a bot it claims the bot
 * with a conditional write, and the claim is held until every transfer of that plan has ended.
 */
export interface PlanStore {
  /**
   * Claims the bot for `plan` when no plan holds it (none ever did, or the last one was released
   * by `plan.readAt`), when `plan`'s own cycle does with the same transfer ids (a retried cycle
   * that decided the same), or when the cycle
   * `over` does — one the caller found ended. False otherwise.
   */
  claimBot(portfolioId: string, botId: string, plan: BotPlan, over?: string): Promise<boolean>;
  /** The bot's plan, if any: the one holding it, or the last one, released. */
  planOf(portfolioId: string, botId: string): Promise<BotPlan | undefined>;
  /** Every plan holding a bot (bot id → plan); released ones are left out. */
  plans(portfolioId: string): Promise<Map<string, BotPlan>>;
  /**
   * Releases the bot if the plan of `cycleId` still holds it; and its lock (LockStore) if
   * `unlock` holds it — a transfer's end, in one write where the store can.
   */
  releaseBot(portfolioId: string, botId: string, cycleId: string, unlock?: string): Promise<void>;
}

/** When each alert was last sent (the cooldown of DESIGN.md §3). */
export interface CooldownStore {
  /** True (and remembers now) if the alert `key` was not sent within the cooldown. */
  claimAlert(portfolioId: string, key: string, nowMs: number, cooldownMs: number): Promise<boolean>;
  /** The alerts last sent at or after `sinceMs` (their keys, `<code>#<bot>` or `<code>#transfer#<id>…`), newest first. */
  sentSince(portfolioId: string, sinceMs: number): Promise<{ key: string; sentAt: number }[]>;
  /**
   * Keeps `alert` for the next digest under `key` (a transfer and its status) — the first time
   * only: holding it again, before or after its digest went out, changes nothing.
   */
  hold(portfolioId: string, key: string, alert: Alert): Promise<void>;
  /** The alerts held for a digest and not sent yet, oldest first, each with its key. */
  held(portfolioId: string): Promise<{ key: string; alert: Alert }[]>;
  /** Marks held alerts sent (in a digest): `sentSince` lists them from then on. */
  release(portfolioId: string, keys: readonly string[]): Promise<void>;
}

/** Per-bot performance series (`performance` table). */
export interface PerformanceStore {
  putSnapshots(portfolioId: string, snapshots: readonly BotSnapshot[]): Promise<void>;
  /** A bot's snapshots, oldest first, at most `limit` of the newest. */
  history(portfolioId: string, botId: string, limit?: number): Promise<BotSnapshot[]>;
  /**
   * A bot's end-of-day equity: the last snapshot of each of `days` (UTC, `2026-11-20`) that has
   * one, oldest first — one small read per day, however often the cycles ran.
   */
  endOfDay(portfolioId: string, botId: string, days: readonly string[]): Promise<BotSnapshot[]>;
  /**
   * Deletes the bots' snapshots whose `expiresAt` has passed by `now`, where the store does not
   * itself (local mode; DynamoDB's TTL does it in AWS). Resolves to how many it deleted.
   */
  pruneExpired(portfolioId: string, botIds: readonly string[], now: Date): Promise<number>;
  /**
   * Every bot's recent returns (core/analytics.ts), kept from cycle to cycle so that a cycle's
   * history alerts read one small item per bot, not its series: by bot id, in one query.
   */
  recent(portfolioId: string): Promise<Map<string, RecentReturns>>;
  /** Records bots' recent returns, each only over older ones (a late cycle writes nothing). */
  putRecent(portfolioId: string, recent: ReadonlyMap<string, RecentReturns>): Promise<void>;
}

/**
 * The bots' health (DESIGN.md §11): what each pushed (its last heartbeat, its rate window), what
 * its API last answered, and the status the last cycle judged — one item per bot.
 */
export interface HeartbeatStore {
  /** Every bot's health facts, by bot id (one query, consistent). */
  healthFacts(portfolioId: string): Promise<Map<string, HealthFacts>>;
  /** One bot's last heartbeat and rate window, read consistently. */
  pushRecord(portfolioId: string, botId: string): Promise<PushRecord | undefined>;
  /**
   * Writes the bot's push record `next` if it is still `prev` (a conditional write on both); false
   * when another heartbeat got there first — nothing written.
   */
  putPush(
    portfolioId: string,
    botId: string,
    prev: PushRecord | undefined,
    next: Required<PushRecord>,
  ): Promise<boolean>;
  /** What the bot's API answered (or not) when a cycle asked. */
  recordPull(portfolioId: string, botId: string, pulled: PulledHealth): Promise<void>;
  /** The statuses a cycle judged (the next one sees a restart from them). */
  recordJudged(portfolioId: string, statuses: ReadonlyMap<string, HealthStatus>): Promise<void>;
  /** The positions a cycle read at `asOf`, by bot (what `status` shows of exposure). */
  recordPositions(
    portfolioId: string,
    positions: ReadonlyMap<string, PositionReading>,
    asOf: string,
  ): Promise<void>;
}

/** Every store of a portfolio, as one composition root builds them. */
export interface Stores {
  readonly journal: Journal;
  readonly portfolio: PortfolioStore;
  readonly ledger: LedgerStore;
  readonly claims: ClaimStore;
  readonly locks: LockStore;
  readonly plans: PlanStore;
  readonly cooldowns: CooldownStore;
  readonly performance: PerformanceStore;
  readonly heartbeats: HeartbeatStore;
}
