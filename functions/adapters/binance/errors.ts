/**
 * Binance's errors in our words: the shared mapping (venue/errors.ts) with Binance's codes
 * (`{"code":-2015,"msg":"Invalid API-key, IP, or permissions for action."}`). ccxt classes some
 * of them by the URL's host (spot, futures), which a proxy or a fake server changes: the codes
 * that decide what we do are listed here, so the mapping is the same whatever the host.
 */
import { type CallKind, toVenueError, venueAnswer } from '../venue/errors.ts';

const RULES = {
  venue: 'Binance',
  // -1003 too much request weight; -1015 too many new orders (the same throttle on /sapi).
  rateLimitCodes: new Set(['-1003', '-1015']),
  // -1000 unknown error, -1001 disconnected, -1004 server busy, -1006/-1007 no answer or timeout
  // from the backend ("execution status unknown"), -1008 overloaded.
  serverFaultCodes: new Set(['-1000', '-1001', '-1004', '-1006', '-1007', '-1008']),
  // -1021 timestamp outside recvWindow: refused before anything was done.
  retryLaterCodes: new Set(['-1021']),
  // -1002 unauthorized, -1022 bad signature, -2014 key format, -2015 key, IP or permissions;
  // -1099 not found, authenticated or authorized.
  authCodes: new Set(['-1002', '-1022', '-1099', '-2014', '-2015']),
  // -5013 "Asset transfer failed: insufficient balance"; -3041 "Balance is not enough".
  insufficientCodes: new Set(['-5013', '-3041']),
  keyHint:
    'check the key, its permissions (reading and "internal transfer", never withdrawals) and its IP binding',
};

/**
 * True when Binance refused a transfer because its clientTranId was used before. The docs say
 * only "must be unique", not what a reuse answers: any refusal that speaks of a duplicate or of
 * the clientTranId counts, and the adapter then goes by Binance's record of it.
 */
export function isDuplicateClientTranId(error: unknown): boolean {
  const answer = venueAnswer(error);
  return answer !== undefined && /duplicate|clientTranId|already (?:exists|used)/i.test(answer.msg);
}

/** Our error for what a Binance call threw; the original error stays as `cause`. */
export const toBotfolioError = (error: unknown, kind: CallKind, what: string): unknown =>
  toVenueError(error, kind, what, RULES);
