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

/** The transfer journal (`transactions` table). */
export interface Journal {
  /** Writes entries as `planned` unless an entry with the id exists; returns the ids it created. */
  putPlanned(entries: readonly JournalEntry[]): Promise<string[]>;
  get(id: string): Promise<JournalEntry | undefined>;
  /**
   * Moves an entry to `to` if its status is one of `from` (a conditional write), appending to its
   * history. Returns the entry after the move, or undefined when the entry was not in `from`
   * (someone else moved it: the caller reads it again and decides).
   */
  transition(
    id: string,
    from: readonly TransferStatus[],
    to: TransferStatus,
    patch?: JournalPatch,
  ): Promise<JournalEntry | undefined>;
  /** Entries of a portfolio in the given statuses (the status index). */
  byStatus(portfolioId: string, statuses: readonly TransferStatus[]): Promise<JournalEntry[]>;
  /** Entries of one bot, newest first (the bot index). */
  byBot(portfolioId: string, botId: string, limit?: number): Promise<JournalEntry[]>;
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
  /** Takes the bot's transfer lock for `owner`; false if another owner holds it. */
  lockBot(portfolioId: string, botId: string, owner: string, ttlMs: number): Promise<boolean>;
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
    context: { portfolioId: string; cycleId?: string; transferId?: string },
  ): Promise<void>;
}

/** Starts the guarded-transfer workflow for a journal entry; a repeated start is harmless. */
export interface WorkflowStarter {
  start(entry: JournalEntry): Promise<void>;
}

export type { StatusChange };
