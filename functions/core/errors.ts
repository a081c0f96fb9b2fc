/**
 * Our error types for what an exchange or a guard can say (DESIGN.md §5), after ccxt's hierarchy:
 * transient ones are retried by the workflow with backoff; the rest end a transfer. The class
 * name is the error's name, which the workflow's retries and catches match on.
 *
 * Whether an error is retryable is a fact of its class (`static retryable`), so the workflow's
 * Retry list is computed from the classes, with no second list to keep in step.
 */

/** An error class as the workflow sees it: its name (what Retry matches) and whether to retry. */
export interface ErrorClass {
  readonly name: string;
  readonly retryable: boolean;
}

/** Our errors. Each concrete subclass declares `static readonly retryable`. */
export abstract class BotfolioError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }

  /** Its class's `retryable`, for code that holds an instance. */
  get retryable(): boolean {
    return (this.constructor as Partial<ErrorClass>).retryable === true;
  }
}

/** Too many requests: retry later. */
export class RateLimitedError extends BotfolioError {
  static readonly retryable = true;
}
/** The exchange is down, timed out, or the network failed before anything happened. */
export class ExchangeUnavailableError extends BotfolioError {
  static readonly retryable = true;
}
/** The request may or may not have taken effect (timeout after sending): look it up before resubmitting. */
export class AmbiguousOutcomeError extends BotfolioError {
  static readonly retryable = true;
}
/** The exchange has no record of the transfer yet: verify again shortly. */
export class NotYetVisibleError extends BotfolioError {
  static readonly retryable = true;
}
/**
 * Another call to the exchange for this transfer may still be in flight (its lease in the journal
 * has not expired): wait, then look it up before calling again.
 */
export class SubmitInFlightError extends BotfolioError {
  static readonly retryable = true;
}
/** Another transfer of the bot holds its lock. */
export class BotLockedError extends BotfolioError {
  static readonly retryable = true;
}
/** The source does not hold the amount. */
export class InsufficientFundsError extends BotfolioError {
  static readonly retryable = false;
}
/** The exchange or a guard refused the transfer; nothing moved. */
export class TransferRejectedError extends BotfolioError {
  static readonly retryable = false;
}
/** The key is wrong, expired or lacks a permission: critical. */
export class AuthenticationFailedError extends BotfolioError {
  static readonly retryable = false;
}
/** The exchange refused a read (a bad request, an account it does not know): asking again changes nothing. */
export class ExchangeRefusedError extends BotfolioError {
  static readonly retryable = false;
}

/**
 * Every error class of this module, retryable or not: the workflow retries those whose
 * `retryable` is true. A new class belongs here, or the workflow never retries it.
 */
export const CORE_ERRORS: readonly ErrorClass[] = [
  RateLimitedError,
  ExchangeUnavailableError,
  AmbiguousOutcomeError,
  NotYetVisibleError,
  SubmitInFlightError,
  BotLockedError,
  InsufficientFundsError,
  TransferRejectedError,
  AuthenticationFailedError,
  ExchangeRefusedError,
];
