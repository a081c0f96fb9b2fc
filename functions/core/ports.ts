/**
 * The ports: what the use cases need from the outside world, and nothing about how. Adapters
 * (DynamoDB, the paper exchange, Bitget, SNS, Step Functions) implement them; the Lambda handlers
 * and the local runtime choose which.
 */
import type { Alert } from './alerts.ts';
import type { Money } from './money.ts';
import type { Flags, PortfolioState } from './state.ts';
import type { JournalEntry, StatusChange, TransferStatus } from './transfer.ts';

/** Where money sits on an exchange: the master account, or a bot's sub-account (its UID). */
export type ExchangeAccount =
  | { readonly kind: 'master' }
  | { readonly kind: 'sub'; readonly uid: string };

export interface ExchangeTransferRequest {
  readonly clientOid: string;
  readonly from: ExchangeAccount;
  readonly to: ExchangeAccount;
  readonly amount: Money;
  readonly currency: string;
}

export interface ExchangeTransferRecord {
  readonly clientOid: string;
  readonly exchangeTransferId: string;
  readonly status: 'pending' | 'completed' | 'failed';
  readonly amount: Money;
}

/**
 * One exchange, seen by the portfolio. Errors are ours (core/errors.ts): RateLimitedError and
 * ExchangeUnavailableError are transient, AmbiguousOutcomeError means "look it up", the rest are final.
 */
export interface Exchange {
  readonly name: string;
  /** Equity of many sub-accounts at once (batched: the call count does not grow per bot). */
  subAccountBalances(uids: readonly string[], currency: string): Promise<Map<string, Money>>;
  masterBalance(currency: string): Promise<Money>;
  /** Submits a transfer; a repeated clientOid never moves money twice. */
  transfer(req: ExchangeTransferRequest): Promise<ExchangeTransferRecord>;
  /** The exchange's record of a transfer, or undefined if it has none. */
  findTransfer(clientOid: string): Promise<ExchangeTransferRecord | undefined>;
}

/** What a cycle writes about the portfolio besides the ledger (which only completed transfers change). */
export interface CycleSnapshot {
  readonly asOf: string;
  readonly cycleId: string;
  readonly peakEquity: Money;
  readonly flags: Flags;
  readonly balances: ReadonlyMap<string, Money>;
  /** When the allocation strategy last ran (the plan's `lastRebalance`); left as it is when absent. */
  readonly lastRebalance?: string;
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
}

export interface JournalPatch {
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
   * The call `attempt` has returned (whatever it said): its lease ends. `failure` (the error it
   * returned) is added to the history while the entry is still `submitted`.
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

/** A transfer's share of an exchange's `daily_transfer_limit` for one day. */
export interface DailyClaim {
  readonly exchange: string;
  /** The UTC day, YYYY-MM-DD. */
  readonly day: string;
  readonly transferId: string;
  readonly amount: Money;
}

/** Where the ledger projection stands in the journal (its watermark). */
export interface LedgerMarks {
  /** How many completed entries the projection holds: each one is applied once and counted once. */
  readonly applied: bigint;
  /** The last entry applied, and when. */
  readonly lastApplied?: { readonly id: string; readonly at: string };
  /** Entries whose apply is half done; the next apply call of each finishes it. */
  readonly applying: ReadonlySet<string>;
  /** Transfers holding reserve money (`holdReserve`). */
  readonly holding: ReadonlySet<string>;
}

/** The ledger fields a rebuild recomputes from the journal (bot balances are not among them). */
export interface LedgerBook {
  readonly reserves: ReadonlyMap<string, Money>;
  readonly bots: ReadonlyMap<
    string,
    {
      readonly capitalBase: Money;
      readonly contributed: Money;
      readonly harvested: Money;
      readonly protected: Money;
      readonly refills: number;
    }
  >;
}

/** Portfolio state (`state` table): snapshot fields, and the ledger projection of completed entries. */
export interface StateStore {
  load(portfolioId: string): Promise<PortfolioState | undefined>;
  /** Creates the state if there is none; returns false when it already existed. */
  init(portfolioId: string, state: PortfolioState): Promise<boolean>;
  /** Records a cycle's balances, peak and flags. */
  saveCycle(portfolioId: string, snapshot: CycleSnapshot): Promise<void>;
  /** Blocks or unblocks a bot's refills (the `no_refill_policy` latch, or an operator's unblock). */
  setRefillBlocked(portfolioId: string, botId: string, blocked: boolean): Promise<void>;
  /**
   * Sets or clears the emergency stop (an operator's `halt` / `resume`); with `peakEquity`, the
   * drawdown is measured from that peak from now on.
   */
  setHalted(portfolioId: string, halted: boolean, peakEquity?: Money): Promise<void>;
  /**
   * Applies a completed entry to the reserves and the bot's ledger exactly once, however often it
   * is called for that entry.
   */
  applyCompleted(entry: JournalEntry): Promise<void>;
  /**
   * Holds `amount` of a reserve for a transfer out of it, unless the reserve, less what other
   * in-flight transfers hold, would fall below `floor`. Idempotent per transfer. The hold ends
   * when the entry is applied, or with `releaseReserve` when nothing moved.
   */
  holdReserve(portfolioId: string, hold: ReserveHold, floor: Money): Promise<HoldResult>;
  /** Ends a hold (idempotent): the transfer ended without moving money. */
  releaseReserve(portfolioId: string, hold: ReserveHold): Promise<void>;
  /**
   * Counts a transfer in its exchange's total of the day unless that would pass `limit`.
   * Idempotent per transfer; `used` is the day's total after the call.
   */
  claimDaily(
    portfolioId: string,
    claim: DailyClaim,
    limit: Money,
  ): Promise<{ claimed: boolean; used: Money }>;
  /** Takes a transfer out of the day's total again (idempotent): nothing moved. */
  releaseDaily(portfolioId: string, claim: DailyClaim): Promise<void>;
  /** Where the projection stands: the watermark, half-done applies, holds. */
  ledgerMarks(portfolioId: string): Promise<LedgerMarks>;
  /**
   * Replaces the ledger fields with `book` if the projection is still at `marks` (no apply in
   * between, none half done); false when it moved on (read again and recompute).
   */
  replaceLedger(portfolioId: string, book: LedgerBook, marks: LedgerMarks): Promise<boolean>;
  /** Takes the bot's transfer lock for `owner`; false if another owner holds it. */
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
  /** True (and remembers now) if the (code, bot) alert was not sent within the cooldown. */
  claimAlert(portfolioId: string, key: string, nowMs: number, cooldownMs: number): Promise<boolean>;
}

/** Per-bot performance series (`performance` table). */
export interface PerformanceStore {
  putSnapshots(portfolioId: string, snapshots: readonly BotSnapshot[]): Promise<void>;
  /** A bot's snapshots, oldest first, at most `limit` of the newest. */
  history(portfolioId: string, botId: string, limit?: number): Promise<BotSnapshot[]>;
}

export interface Alerter {
  send(
    alert: Alert,
    context: {
      portfolioId: string;
      cycleId?: string;
      transferId?: string;
      /** The status of the transfer the alert tells: a later status is news of its own. */
      transferStatus?: string;
    },
  ): Promise<void>;
}

/** Starts the guarded-transfer workflow for a journal entry; a repeated start is harmless. */
export interface WorkflowStarter {
  start(entry: JournalEntry): Promise<void>;
}

export type { StatusChange };

/** The breaker of one exchange as stored. `openUntil` is set while open. */
export interface BreakerState {
  readonly failures: number;
  readonly openUntil?: number;
}

/** Where breaker states live (the `state` table, `breaker#<exchange>`); each write is atomic. */
export interface BreakerStore {
  read(exchange: string): Promise<BreakerState>;
  /**
   * Counts a failure; at `threshold` failures in a row the circuit opens until `openUntil`, and
   * an open one stays open until then. Returns true to the one caller whose failure opened it.
   */
  recordFailure(
    exchange: string,
    nowMs: number,
    threshold: number,
    openUntil: number,
  ): Promise<boolean>;
  /** Closes the circuit and clears the count. */
  recordSuccess(exchange: string): Promise<void>;
  /** Lets one caller probe an open circuit whose time is up: true to it, false to the others. */
  claimProbe(exchange: string, nowMs: number, probeUntil: number): Promise<boolean>;
}
