/**
 * What every adapter answers when the exchange refuses a transfer's client id as used: the
 * transfer was sent before (a retry after a lost answer), and the exchange's record of it is the
 * answer — if it is the same transfer. No record yet is ambiguous (look again, never resend);
 * another amount, asset or ends is a refusal, with nothing moved by this call.
 */
import {
  AmbiguousOutcomeError,
  ExchangeUnavailableError,
  TransferRejectedError,
} from '../../core/errors.ts';
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

/** Clock skew allowed between our `sentAt` and the exchange's record time. */
const SKEW_MS = 60_000;

/**
 * The windows a lookup asks of records listed at most `windowMs` at a time (Binance's and
 * Bybit's 7 days): from when the transfer was first sent (less a minute of clock skew) to now;
 * one open window (the exchange's default, the last `windowMs`) when the send time is unknown.
 * More than `maxWindows` is refused: "no record" would let the transfer be sent again.
 */
export function lookupWindows(
  what: string,
  sentAt: string | undefined,
  now: number,
  windowMs: number,
  maxWindows: number,
): (readonly [number, number] | undefined)[] {
  const from = sentAt === undefined ? Number.NaN : Date.parse(sentAt) - SKEW_MS;
  if (Number.isNaN(from)) return [undefined];
  const windows: [number, number][] = [];
  for (let start = from; start <= now; start += windowMs) {
    windows.push([start, Math.min(start + windowMs - 1, now)]);
  }
  if (windows.length > maxWindows) {
    throw new ExchangeUnavailableError(
      `${what}: sent ${sentAt}, more than ${maxWindows} windows of the exchange's records ago: look it up by hand`,
    );
  }
  return windows;
}
