/**
 * Our error types for what an exchange or a guard can say (DESIGN.md §5), after ccxt's hierarchy:
 * transient ones are retried by the workflow with backoff; the rest end a transfer. The class
 * name is the error name Step Functions sees, so Retry and Catch match on it.
 */

export abstract class BotfolioError extends Error {
  abstract readonly retryable: boolean;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Too many requests: retry later. */
export class RateLimitedError extends BotfolioError {
  readonly retryable = true;
}
/** The exchange is down, timed out, or the network failed before anything happened. */
export class ExchangeUnavailableError extends BotfolioError {
  readonly retryable = true;
}
/** The request may or may not have taken effect (timeout after sending): look it up before resubmitting. */
export class AmbiguousOutcomeError extends BotfolioError {
  readonly retryable = true;
}
/** The exchange has no record of the transfer yet: verify again shortly. */
export class NotYetVisibleError extends BotfolioError {
  readonly retryable = true;
}
/**
 * Another call to the exchange for this transfer may still be in flight (its lease in the journal
 * has not expired): wait, then look it up before calling again.
 */
export class SubmitInFlightError extends BotfolioError {
  readonly retryable = true;
}
/** Another transfer of the bot holds its lock. */
export class BotLockedError extends BotfolioError {
  readonly retryable = true;
}
/** The source does not hold the amount. */
export class InsufficientFundsError extends BotfolioError {
  readonly retryable = false;
}
/** The exchange or a guard refused the transfer; nothing moved. */
export class TransferRejectedError extends BotfolioError {
  readonly retryable = false;
}
/** The key is wrong, expired or lacks a permission: critical. */
export class AuthenticationFailedError extends BotfolioError {
  readonly retryable = false;
}
/** The exchange refused a read (a bad request, an account it does not know): asking again changes nothing. */
export class ExchangeRefusedError extends BotfolioError {
  readonly retryable = false;
}

/** Error names the transfer workflow retries (its Retry clause). */
export const RETRYABLE_ERRORS = [
  'RateLimitedError',
  'ExchangeUnavailableError',
  'AmbiguousOutcomeError',
  'NotYetVisibleError',
  'SubmitInFlightError',
  'BotLockedError',
  // Raised by the DynamoDB store: contention on the ledger item, or a batch DynamoDB left unwritten.
  'LedgerContentionError',
  'UnprocessedWritesError',
] as const;
