/**
 * Bitget's errors in our words (core/errors.ts), through ccxt's hierarchy — NetworkError
 * (rate limits, timeouts, outages) is transient, ExchangeError (authentication, insufficient
 * funds, bad requests) is not — refined by Bitget's own codes where ccxt's class says too little.
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
import { ccxtErrors } from './ccxt.ts';

/** What the failed call was: a read, or a transfer that may have moved money. */
export type CallKind = 'read' | 'transfer';

/** Bitget's error answer: `{"code":"43012","msg":"Insufficient balance",…}`. */
export interface BitgetAnswer {
  readonly code: string;
  readonly msg: string;
}

/** Codes that mean "too many requests" (ccxt maps some of them to ExchangeError). */
const RATE_LIMIT_CODES = new Set(['429', '1001', '30014', '30026', '50009']);
/** Codes of a system fault on Bitget's side: transient, and no proof that nothing happened. */
const SERVER_FAULT_CODES = new Set(['1', '01001', '30030', '40015', '40604', '50008']);
/** Codes of a clientOid already used (Bitget's various spellings across its products). */
const DUPLICATE_CLIENT_OID_CODES = new Set(['40786', '43118', '45034', '50060']);
/** Insufficient balance, in words ccxt has no code for (transfer endpoints vary). */
const INSUFFICIENT_WORDS = /insufficient|exceeds? the (?:available )?balance|not enough/i;

/** The `{code, msg}` Bitget answered with, read from ccxt's error message (`bitget {…}`). */
export function bitgetAnswer(error: unknown): BitgetAnswer | undefined {
  if (!(error instanceof Error)) return undefined;
  const start = error.message.indexOf('{');
  if (start < 0) return undefined;
  try {
    const body: unknown = JSON.parse(error.message.slice(start));
    if (typeof body !== 'object' || body === null) return undefined;
    const { code, msg, err_code, err_msg } = body as Record<string, unknown>;
    const c = code ?? err_code;
    if (typeof c !== 'string' && typeof c !== 'number') return undefined;
    const m = msg ?? err_msg;
    return { code: String(c), msg: typeof m === 'string' ? m : '' };
  } catch {
    return undefined;
  }
}

/** True when Bitget refused a transfer because its clientOid was used before. */
export function isDuplicateClientOid(error: unknown): boolean {
  const answer = bitgetAnswer(error);
  if (!answer) return false;
  return DUPLICATE_CLIENT_OID_CODES.has(answer.code) || /duplicate/i.test(answer.msg);
}

/**
 * Our error for what a Bitget call threw. `what` names the call in the message ("bitget
 * transfer 9f3…", "bitget v2/spot/account/assets"); the original error stays as `cause`.
 */
export function toBotfolioError(error: unknown, kind: CallKind, what: string): unknown {
  if (error instanceof BotfolioError || !(error instanceof ccxtErrors.BaseError)) return error;
  const answer = bitgetAnswer(error);
  const detail = answer ? `Bitget ${answer.code} ${answer.msg}`.trim() : error.name;
  const options = { cause: error };
  const lost = (why: string) =>
    kind === 'transfer'
      ? new AmbiguousOutcomeError(`${what}: ${why} (${detail}); it may have been applied`, options)
      : new ExchangeUnavailableError(`${what}: ${why} (${detail})`, options);

  if (answer && RATE_LIMIT_CODES.has(answer.code)) {
    return new RateLimitedError(`${what}: rate limited (${detail})`, options);
  }
  if (answer && SERVER_FAULT_CODES.has(answer.code)) return lost('Bitget reported a system fault');
  if (error instanceof ccxtErrors.RateLimitExceeded || error instanceof ccxtErrors.DDoSProtection) {
    return new RateLimitedError(`${what}: rate limited (${detail})`, options);
  }
  // Refused before anything was done: under maintenance, or our clock too far from Bitget's.
  if (error instanceof ccxtErrors.OnMaintenance || error instanceof ccxtErrors.InvalidNonce) {
    return new ExchangeUnavailableError(`${what}: refused for now (${detail})`, options);
  }
  // Not "timed out": the AWS emulator of the cloud test takes an error whose message says so for
  // the Lambda's own timeout (Runtime.ExitError), which no Retry names; AWS goes by the name.
  if (error instanceof ccxtErrors.RequestTimeout) return lost('no answer in time');
  if (error instanceof ccxtErrors.NetworkError) return lost('no usable answer');
  if (error instanceof ccxtErrors.OperationFailed) return lost('unreadable answer');
  // PermissionDenied (a missing permission, an IP the key is not bound to) is one of these.
  if (error instanceof ccxtErrors.AuthenticationError) {
    return new AuthenticationFailedError(
      `${what}: the key was refused (${detail}): check the key, its passphrase, its permissions and its IP binding`,
      options,
    );
  }
  if (
    error instanceof ccxtErrors.InsufficientFunds ||
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
