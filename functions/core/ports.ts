/**
 * The ports to the world outside the portfolio's own stores (store-ports.ts): exchanges, alerts,
 * the transfer workflow, circuit breakers — what the use cases need, and nothing about how.
 * Adapters implement them; the handlers and the local runtime choose which.
 */
import type { AlertContext, ChannelAlert } from './alert-text.ts';
import type { Alert, Severity } from './alerts.ts';
import type { AlertChannelType } from './config.ts';
import type { PositionReading } from './exposure.ts';
import type { Money } from './money.ts';
import type { JournalEntry } from './transfer.ts';

/** One account's balance as the exchange answered it (DESIGN.md §3, "Unknown is not zero"). */
export type BalanceReading =
  | { readonly known: true; readonly balance: Money }
  | { readonly known: false; readonly reason: string };

/** Where money sits on an exchange: the master account, or a bot's sub-account (its UID). */
export type ExchangeAccount =
  | { readonly kind: 'master' }
  | { readonly kind: 'sub'; readonly uid: string };

export const sameAccount = (a: ExchangeAccount, b: ExchangeAccount): boolean =>
  a.kind === b.kind && (a.kind === 'master' || (b.kind === 'sub' && a.uid === b.uid));

export const showAccount = (a: ExchangeAccount): string =>
  a.kind === 'master' ? 'the master account' : `sub-account ${a.uid}`;

export interface ExchangeTransferRequest {
  readonly clientOid: string;
  readonly from: ExchangeAccount;
  readonly to: ExchangeAccount;
  readonly amount: Money;
  readonly currency: string;
}

/**
 * A transfer as the exchange recorded it. What the record shows is what completes the journal
 * entry (DESIGN.md §4, "What the exchange says is the ledger"), not what was asked.
 */
export interface ExchangeTransferRecord {
  readonly clientOid: string;
  readonly exchangeTransferId: string;
  readonly status: 'pending' | 'completed' | 'failed';
  /** The amount the record shows moved. */
  readonly amount: Money;
  /** The asset the record shows, where the exchange says. */
  readonly currency?: string;
  /** The accounts the record shows it moved between, where the exchange says. */
  readonly from?: ExchangeAccount;
  readonly to?: ExchangeAccount;
}

/**
 * What the journal knows of a transfer besides its clientOid, for an exchange whose lookup needs
 * more (Binance lists a transfer by its sender's account, within a window of 7 days).
 */
export interface TransferLookupHint {
  readonly from: ExchangeAccount;
  readonly to: ExchangeAccount;
  /** When it was first sent (ISO 8601): the exchange's record is not older. */
  readonly sentAt?: string;
}

/**
 * One exchange, seen by the portfolio. Errors are ours (core/errors.ts): RateLimitedError and
 * ExchangeUnavailableError are transient, AmbiguousOutcomeError means "look it up", the rest are final.
 */
export interface Exchange {
  readonly name: string;
  /**
   * Equity of many sub-accounts at once (batched: the call count does not grow per bot): an
   * entry for every uid asked, known or unknown with why — never a missing account read as zero.
   * A call that fails throws (nothing is known then).
   */
  subAccountBalances(
    uids: readonly string[],
    currency: string,
  ): Promise<Map<string, BalanceReading>>;
  masterBalance(currency: string): Promise<Money>;
  /**
   * The open positions' notional of many sub-accounts, in `currency` (DESIGN.md §11): an entry
   * for every uid asked, known or unknown with why — never a position read as zero. Only where
   * the master key can read them (Binance, the paper exchange); absent: every bot's is unknown.
   * A call that fails throws.
   */
  subAccountPositions?(
    uids: readonly string[],
    currency: string,
  ): Promise<Map<string, PositionReading>>;
  /** Submits a transfer; a repeated clientOid never moves money twice. */
  transfer(req: ExchangeTransferRequest): Promise<ExchangeTransferRecord>;
  /**
   * The exchange's record of a transfer, or undefined if it has none. An exchange that cannot
   * tell (the hint is missing, or the record would be older than it lists) throws: "none" is an
   * answer that lets the transfer be sent again.
   */
  findTransfer(
    clientOid: string,
    hint?: TransferLookupHint,
  ): Promise<ExchangeTransferRecord | undefined>;
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
  /**
   * A cycle's alerts at once, where the alerter digests them (`withCooldown`: each alert claims
   * its own cooldown, then the ones due go out as `digestAlerts` makes them).
   */
  sendMany?(
    alerts: readonly Alert[],
    context: { portfolioId: string; cycleId?: string },
  ): Promise<void>;
  /**
   * Sends what the alerter holds for a digest (`withCooldown`: the non-critical alerts about
   * single transfers), digested; a cycle and reconciliation call it when they end.
   */
  flush?(portfolioId: string): Promise<void>;
}

/**
 * One alert channel (Telegram, Discord, Slack, a signed webhook): a name, a severity floor, and a
 * send that delivers the alert or throws — what a failure means is the use case's business.
 */
export interface AlertChannel {
  readonly name: string;
  readonly type: AlertChannelType;
  /** Only alerts at or above it are sent to the channel. */
  readonly minSeverity: Severity;
  send(alert: ChannelAlert, context: AlertContext): Promise<void>;
}

/** Starts the guarded-transfer workflow for a journal entry; a repeated start is harmless. */
export interface WorkflowStarter {
  start(entry: JournalEntry): Promise<void>;
}

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
