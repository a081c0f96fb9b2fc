/**
 * An exchange's errors in our words (core/errors.ts), through ccxt's hierarchy — NetworkError
 * (rate limits, timeouts, outages) is transient, ExchangeError (authentication, insufficient
 * funds, bad requests) is not — refined by each exchange's own codes where ccxt's class says too
 * little (`VenueErrorRules`: Bitget's, Binance's…).
 *
 * What a transient error means depends on the call. A read that failed changed nothing: it is
 * ExchangeUnavailableError. A transfer whose answer was lost (timeout, reset connection, a 5xx
 * from a gateway) may have been applied: it is AmbiguousOutcomeError, and the workflow looks the
 * transfer up by clientOid before it submits again. Only answers that prove nothing happened
 * (a rate limit, maintenance, a refused timestamp) stay plain transient errors for a transfer.
 */
import {
  AmbiguousOutcomeError,
  AuthenticationFailedError,
  BotfolioError,
  ExchangeRefusedError,
  ExchangeUnavailableError,
  InsufficientFundsError,
  RateLimitedError,
  TransferRejectedError,
} from '../../core/errors.ts';
import { ccxtErrors } from './ccxt-errors.ts';

/** What the failed call was: a read, or a transfer that may have moved money. */
export type CallKind = 'read' | 'transfer';

/** An exchange's error answer: its code and message (`{"code":"43012","msg":"…"}`). */
export interface VenueAnswer {
  readonly code: string;
  readonly msg: string;
}

/** One exchange's codes, where ccxt's classes say too little. */
export interface VenueErrorRules {
  /** The exchange's name in messages: "Bitget". */
  readonly venue: string;
  /** Codes that mean "too many requests" (ccxt maps some of them to ExchangeError). */
  readonly rateLimitCodes: ReadonlySet<string>;
  /** Codes of a system fault on the exchange's side: transient, no proof nothing happened. */
  readonly serverFaultCodes: ReadonlySet<string>;
  /** Codes refused before anything was done and worth trying later (a stale timestamp). */
  readonly retryLaterCodes?: ReadonlySet<string>;
  /** Codes of a refused key (signature, key, IP, permissions) that ccxt may class otherwise. */
  readonly authCodes?: ReadonlySet<string>;
  /** Codes of an insufficient balance that ccxt may class otherwise. */
  readonly insufficientCodes?: ReadonlySet<string>;
  /** What to check when the key was refused. */
  readonly keyHint: string;
}

/** Insufficient balance, in words ccxt has no code for (transfer endpoints vary). */
const INSUFFICIENT_WORDS = /insufficient|exceeds? the (?:available )?balance|not enough/i;

/**
 * The code and message an exchange answered with, read from ccxt's error message (`bitget {…}`):
 * `code`/`msg` (Bitget, Binance, OKX; OKX's per-item `sCode`/`sMsg` first), `retCode`/`retMsg`
 * (Bybit), `err_code`/`err_msg` (Bitget's older spelling).
 */
export function venueAnswer(error: unknown): VenueAnswer | undefined {
  if (!(error instanceof Error)) return undefined;
  const start = error.message.indexOf('{');
  if (start < 0) return undefined;
  try {
    const body: unknown = JSON.parse(error.message.slice(start));
    if (typeof body !== 'object' || body === null) return undefined;
    const fields = body as Record<string, unknown>;
    const item = Array.isArray(fields.data) ? (fields.data[0] as Record<string, unknown>) : {};
    const itemCode = item?.sCode;
    const failedItem = itemCode !== undefined && String(itemCode) !== '0';
    const c = failedItem ? itemCode : (fields.code ?? fields.retCode ?? fields.err_code);
    if (typeof c !== 'string' && typeof c !== 'number') return undefined;
    const m = failedItem ? item?.sMsg : (fields.msg ?? fields.retMsg ?? fields.err_msg);
    return { code: String(c), msg: typeof m === 'string' ? m : '' };
  } catch {
    return undefined;
  }
}

/**
 * Our error for what an exchange call threw. `what` names the call in the message ("bitget
 * transfer 9f3…", "binance sapi/v1/…"); the original error stays as `cause`.
 */
export function toVenueError(
  error: unknown,
  kind: CallKind,
  what: string,
  rules: VenueErrorRules,
): unknown {
  if (error instanceof BotfolioError || !(error instanceof ccxtErrors.BaseError)) return error;
  const answer = venueAnswer(error);
  const code = answer?.code;
  const has = (codes: ReadonlySet<string> | undefined) => code !== undefined && !!codes?.has(code);
  const detail = answer ? `${rules.venue} ${answer.code} ${answer.msg}`.trim() : error.name;
  const options = { cause: error };
  const lost = (why: string) =>
    kind === 'transfer'
      ? new AmbiguousOutcomeError(`${what}: ${why} (${detail}); it may have been applied`, options)
      : new ExchangeUnavailableError(`${what}: ${why} (${detail})`, options);
  const rateLimited = () => new RateLimitedError(`${what}: rate limited (${detail})`, options);
  const refusedKey = () =>
    new AuthenticationFailedError(
      `${what}: the key was refused (${detail}): ${rules.keyHint}`,
      options,
    );

  if (has(rules.rateLimitCodes)) return rateLimited();
  if (has(rules.serverFaultCodes)) return lost(`${rules.venue} reported a system fault`);
  if (has(rules.authCodes)) return refusedKey();
  if (error instanceof ccxtErrors.RateLimitExceeded || error instanceof ccxtErrors.DDoSProtection) {
    return rateLimited();
  }
  // Refused before anything was done: under maintenance, or our clock too far from theirs.
  if (
    has(rules.retryLaterCodes) ||
    error instanceof ccxtErrors.OnMaintenance ||
    error instanceof ccxtErrors.InvalidNonce
  ) {
    return new ExchangeUnavailableError(`${what}: refused for now (${detail})`, options);
  }
  // Not "timed out": the AWS emulator of the cloud test takes an error whose message says so for
  // the Lambda's own timeout (Runtime.ExitError), which no Retry names; AWS goes by the name.
  if (error instanceof ccxtErrors.RequestTimeout) return lost('no answer in time');
  if (error instanceof ccxtErrors.NetworkError) return lost('no usable answer');
  if (error instanceof ccxtErrors.OperationFailed) return lost('unreadable answer');
  // PermissionDenied (a missing permission, an IP the key is not bound to) is one of these.
  if (error instanceof ccxtErrors.AuthenticationError) return refusedKey();
  if (
    error instanceof ccxtErrors.InsufficientFunds ||
    has(rules.insufficientCodes) ||
    (answer !== undefined && INSUFFICIENT_WORDS.test(answer.msg))
  ) {
    return new InsufficientFundsError(`${what}: insufficient funds (${detail})`, options);
  }
  if (error instanceof ccxtErrors.ExchangeError) {
    return kind === 'transfer'
      ? new TransferRejectedError(`${what}: refused (${detail}); nothing moved`, options)
      : new ExchangeRefusedError(`${what}: refused (${detail})`, options);
  }
  return error;
}
