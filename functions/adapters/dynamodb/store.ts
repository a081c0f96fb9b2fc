/**
 * The DynamoDB store: the journal, the portfolio state with its ledger projection, locks, alert
 * cooldowns and the performance series, over the three tables of tables.ts. It works the same on
 * AWS, DynamoDB Local and dynalite: every write that must agree is a single-item conditional
 * write (no transactions), and every amount is an exact integer of 10⁻⁸ units in an N attribute.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Money } from '../../core/money.ts';
import type {
  BotSnapshot,
  CycleSnapshot,
  DailyClaim,
  HoldResult,
  Journal,
  JournalPatch,
  LedgerBook,
  LedgerMarks,
  NoCallInFlight,
  PerformanceStore,
  ReserveHold,
  StateStore,
  SubmitClaim,
} from '../../core/ports.ts';
import type { PortfolioState } from '../../core/state.ts';
import type { JournalEntry, TransferStatus } from '../../core/transfer.ts';
import { documentClient, type StoreContext, type TableNames } from './context.ts';
import * as holds from './holds.ts';
import * as journal from './journal.ts';
import * as ledger from './ledger.ts';
import * as locks from './locks.ts';
import * as performance from './performance.ts';
import * as portfolio from './portfolio-state.ts';

export type { TableNames } from './context.ts';

export interface DynamoStoreOptions {
  /** The clock for history timestamps and lock expiry. @default () => new Date() */
  readonly now?: () => Date;
}

export class DynamoStore implements Journal, StateStore, PerformanceStore {
  private readonly ctx: StoreContext;

  /**
   * @param client a DynamoDBClient (wrapped here), or a document client built with
   *   `unmarshallOptions: { wrapNumbers: true }`
   */
  constructor(
    client: DynamoDBClient | DynamoDBDocumentClient,
    tables: TableNames,
    options: DynamoStoreOptions = {},
  ) {
    this.ctx = {
      doc: documentClient(client),
      tables: { ...tables },
      now: options.now ?? (() => new Date()),
      portfolioOfTransfer: new Map(),
    };
  }

  // ── Journal ──

  putPlanned(entries: readonly JournalEntry[]): Promise<string[]> {
    return journal.putPlanned(this.ctx, entries);
  }

  get(id: string): Promise<JournalEntry | undefined> {
    return journal.getEntry(this.ctx, id);
  }

  transition(
    id: string,
    from: readonly TransferStatus[],
    to: TransferStatus,
    patch?: JournalPatch,
    guard?: { readonly noCallInFlight?: NoCallInFlight },
  ): Promise<JournalEntry | undefined> {
    return journal.transition(this.ctx, id, from, to, patch, guard);
  }

  claimSubmit(id: string, claim: SubmitClaim): Promise<JournalEntry | undefined> {
    return journal.claimSubmit(this.ctx, id, claim);
  }

  endSubmit(id: string, attempt: number, failure?: string): Promise<void> {
    return journal.endSubmit(this.ctx, id, attempt, failure);
  }

  byStatus(portfolioId: string, statuses: readonly TransferStatus[]): Promise<JournalEntry[]> {
    return journal.byStatus(this.ctx, portfolioId, statuses);
  }

  completedUnapplied(portfolioId: string): Promise<JournalEntry[]> {
    return journal.completedUnapplied(this.ctx, portfolioId);
  }

  byBot(portfolioId: string, botId: string, limit?: number): Promise<JournalEntry[]> {
    return journal.byBot(this.ctx, portfolioId, botId, limit);
  }

  // ── StateStore ──

  load(portfolioId: string): Promise<PortfolioState | undefined> {
    return portfolio.loadState(this.ctx, portfolioId);
  }

  init(portfolioId: string, state: PortfolioState): Promise<boolean> {
    return portfolio.initState(this.ctx, portfolioId, state);
  }

  saveCycle(portfolioId: string, snapshot: CycleSnapshot): Promise<void> {
    return portfolio.saveCycle(this.ctx, portfolioId, snapshot);
  }

  /** Blocks or unblocks a bot's refills (the `no_refill_policy` latch, or an operator's unblock). */
  setRefillBlocked(portfolioId: string, botId: string, blocked: boolean): Promise<void> {
    return portfolio.setRefillBlocked(this.ctx, portfolioId, botId, blocked);
  }

  /** An operator's halt or resume (`botfolio halt` / `botfolio resume`). */
  setHalted(portfolioId: string, halted: boolean, peakEquity?: Money): Promise<void> {
    return portfolio.setHalted(this.ctx, portfolioId, halted, peakEquity);
  }

  applyCompleted(entry: JournalEntry): Promise<void> {
    return ledger.applyCompleted(this.ctx, entry);
  }

  holdReserve(portfolioId: string, hold: ReserveHold, floor: Money): Promise<HoldResult> {
    return holds.holdReserve(this.ctx, portfolioId, hold, floor);
  }

  releaseReserve(portfolioId: string, hold: ReserveHold): Promise<void> {
    return holds.releaseReserve(this.ctx, portfolioId, hold);
  }

  claimDaily(
    portfolioId: string,
    claim: DailyClaim,
    limit: Money,
  ): Promise<{ claimed: boolean; used: Money }> {
    return holds.claimDaily(this.ctx, portfolioId, claim, limit);
  }

  releaseDaily(portfolioId: string, claim: DailyClaim): Promise<void> {
    return holds.releaseDaily(this.ctx, portfolioId, claim);
  }

  ledgerMarks(portfolioId: string): Promise<LedgerMarks> {
    return ledger.ledgerMarks(this.ctx, portfolioId);
  }

  replaceLedger(portfolioId: string, book: LedgerBook, marks: LedgerMarks): Promise<boolean> {
    return ledger.replaceLedger(this.ctx, portfolioId, book, marks);
  }

  lockBot(portfolioId: string, botId: string, owner: string, ttlMs: number): Promise<boolean> {
    return locks.lockBot(this.ctx, portfolioId, botId, owner, ttlMs);
  }

  takeOverLock(
    portfolioId: string,
    botId: string,
    from: string,
    to: string,
    ttlMs: number,
  ): Promise<boolean> {
    return locks.takeOverLock(this.ctx, portfolioId, botId, from, to, ttlMs);
  }

  lockHolders(portfolioId: string): Promise<Map<string, string>> {
    return locks.lockHolders(this.ctx, portfolioId);
  }

  unlockBot(portfolioId: string, botId: string, owner: string): Promise<void> {
    return locks.unlockBot(this.ctx, portfolioId, botId, owner);
  }

  claimAlert(
    portfolioId: string,
    key: string,
    nowMs: number,
    cooldownMs: number,
  ): Promise<boolean> {
    return locks.claimAlert(this.ctx, portfolioId, key, nowMs, cooldownMs);
  }

  // ── PerformanceStore ──

  putSnapshots(portfolioId: string, snapshots: readonly BotSnapshot[]): Promise<void> {
    return performance.putSnapshots(this.ctx, portfolioId, snapshots);
  }

  history(portfolioId: string, botId: string, limit?: number): Promise<BotSnapshot[]> {
    return performance.history(this.ctx, portfolioId, botId, limit);
  }
}
