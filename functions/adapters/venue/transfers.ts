/**
 * What every adapter answers when the exchange refuses a transfer's client id as used: the
 * transfer was sent before (a retry after a lost answer), and the exchange's record of it is the
 * answer — if it is the same transfer. No record yet is ambiguous (look again, never resend);
 * another amount, asset or ends is a refusal, with nothing moved by this call.
 */
import { AmbiguousOutcomeError, TransferRejectedError } from '../../core/errors.ts';
import { showMoney } from '../../core/money.ts';
import type { ExchangeTransferRecord, ExchangeTransferRequest } from '../../core/ports.ts';

export interface UsedIdRecord {
  readonly record: ExchangeTransferRecord | undefined;
  /** The record's asset. */
  readonly asset: string | undefined;
  /** The record's ends are the request's (as far as the record says). */
  readonly sameEnds: boolean;
}

export function answerForUsedId(
  what: string,
  idName: string,
  req: ExchangeTransferRequest,
  { record, asset, sameEnds }: UsedIdRecord,
): ExchangeTransferRecord {
  if (!record) {
    throw new AmbiguousOutcomeError(
      `${what}: the exchange says the ${idName} was used but shows no record of it yet`,
    );
  }
  if (record.amount !== req.amount || asset !== req.currency || !sameEnds) {
    throw new TransferRejectedError(
      `${what}: ${idName} already used by a different transfer (${showMoney(record.amount)} ${asset ?? '?'}); nothing moved`,
    );
  }
  return {
    clientOid: req.clientOid,
    exchangeTransferId: record.exchangeTransferId,
    status: record.status,
    amount: record.amount,
  };
}
