/**
 * OKX's errors in our words: the shared mapping (venue/errors.ts) with OKX's codes (`{"code":
 * "58350","msg":"Insufficient balance","data":[]}`; a failed item's `sCode` first).
 */
import { type CallKind, toVenueError, venueAnswer } from '../venue/errors.ts';

const RULES = {
  venue: 'OKX',
  // 50011 too frequent, 50061 the account's rate limit, 50040 too frequent (asset).
  rateLimitCodes: new Set(['50011', '50040', '50061']),
  // 50001 service unavailable, 50004 endpoint timeout, 50013 busy, 50026 system error.
  serverFaultCodes: new Set(['50001', '50004', '50013', '50026']),
  // 50102 timestamp expired.
  retryLaterCodes: new Set(['50102']),
  // 50100 API frozen, 50105 passphrase, 50110 IP, 50111 key, 50113 signature, 50120 permission.
  authCodes: new Set(['50100', '50105', '50110', '50111', '50112', '50113', '50120']),
  // 58350 insufficient balance; 58117 negative assets (nothing can leave).
  insufficientCodes: new Set(['58350', '58117']),
  keyHint:
    'check the key, its passphrase, its permissions (read and trade for transfers, never withdraw) and its IP binding',
};

/**
 * True when OKX refused a transfer because its clientId was used before. Undocumented: any
 * refusal speaking of a duplicate or of the clientId counts, and the record decides.
 */
export function isDuplicateClientId(error: unknown): boolean {
  const answer = venueAnswer(error);
  return answer !== undefined && /duplicate|clientId|already exists/i.test(answer.msg);
}

/** Our error for what an OKX call threw; the original error stays as `cause`. */
export const toBotfolioError = (error: unknown, kind: CallKind, what: string): unknown =>
  toVenueError(error, kind, what, RULES);
