/**
 * Errors the paper exchange raises for reads that name something it does not have. Transfers say
 * the same through TransferRejectedError (nothing moved); a read has nothing to reject, and a
 * real exchange answers such a read with a bad-request error, which is final.
 */
import { BotfolioError } from '../../core/errors.ts';

/** A read named a sub-account the exchange does not hold. */
export class UnknownAccountError extends BotfolioError {
  static readonly retryable = false;
}

/** A read asked for a currency the paper exchange does not keep. */
export class UnsupportedCurrencyError extends BotfolioError {
  static readonly retryable = false;
}
