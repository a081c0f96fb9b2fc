/**
 * What the DynamoDB store can say beyond the SDK's own errors. A conditional write that fails is
 * usually an answer ("someone else did it"), not an error: `isConditionalCheckFailed` tells it apart.
 */
import { BotfolioError, type ErrorClass } from '../../core/errors.ts';

/** A stored item does not have the shape this adapter writes: a bug or a hand edit, never guessed around. */
export class MalformedItemError extends BotfolioError {
  static readonly retryable = false;
  constructor(where: string, attribute: string, value: unknown, expected: string) {
    super(`${where}: attribute ${attribute} is ${describe(value)}, expected ${expected}`);
  }
}

/** The portfolio has no state item yet (`init` was never called). */
export class StateNotFoundError extends BotfolioError {
  static readonly retryable = false;
  constructor(portfolioId: string) {
    super(`portfolio ${portfolioId} has no state: initialise it first`);
  }
}

/** The journal has no entry with this id. */
export class TransferNotFoundError extends BotfolioError {
  static readonly retryable = false;
  constructor(id: string) {
    super(`transfer ${id} is not in the journal`);
  }
}

/** Only a completed transfer may change the ledger. */
export class NotCompletedError extends BotfolioError {
  static readonly retryable = false;
  constructor(id: string, status: string) {
    super(`transfer ${id} is ${status}: only a completed transfer is applied to the ledger`);
  }
}

/** Other ledger writes kept winning the race for an item: try again later (the next call finishes the entry). */
export class LedgerContentionError extends BotfolioError {
  static readonly retryable = true;
  constructor(id: string, attempts: number) {
    super(
      `transfer ${id}: the ledger was busy for ${attempts} attempts; not applied yet, a later call finishes it`,
    );
  }
}

/** DynamoDB left part of a batch unwritten after every retry. */
export class UnprocessedWritesError extends BotfolioError {
  static readonly retryable = true;
  constructor(table: string, count: number, attempts: number) {
    super(`${count} writes to ${table} still unprocessed after ${attempts} attempts`);
  }
}

/** Every error class the store raises: the workflow retries those whose `retryable` is true. */
export const STORE_ERRORS: readonly ErrorClass[] = [
  MalformedItemError,
  StateNotFoundError,
  TransferNotFoundError,
  NotCompletedError,
  LedgerContentionError,
  UnprocessedWritesError,
];

export function isConditionalCheckFailed(err: unknown): boolean {
  return err instanceof Error && err.name === 'ConditionalCheckFailedException';
}

function describe(value: unknown): string {
  if (value === undefined) return 'missing';
  if (typeof value === 'bigint') return `${value}n`;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
