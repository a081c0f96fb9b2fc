/**
 * Bybit's errors in our words: the shared mapping (venue/errors.ts) with Bybit's codes
 * (`{"retCode":131228,"retMsg":"your balance is not enough",…}`).
 */
import { type CallKind, toVenueError, venueAnswer } from '../venue/errors.ts';

const RULES = {
  venue: 'Bybit',
  // 10006 too many visits, 10018 IP rate limit.
  rateLimitCodes: new Set(['10006', '10018']),
  // 10000 server timeout, 10016 server error, 131001 asset system busy.
  serverFaultCodes: new Set(['10000', '10016', '131001']),
  // 10002 timestamp outside recv_window.
  retryLaterCodes: new Set(['10002']),
  // 10003 key, 10004 signature, 10005 permission, 10007 user auth, 10010 unmatched IP.
  authCodes: new Set(['10003', '10004', '10005', '10007', '10010']),
  // 131228 / 131212 balance not enough.
  insufficientCodes: new Set(['131228', '131212']),
  keyHint:
    'check the key, its permissions (Wallet: "SubMemberTransfer", never withdrawals) and its IP binding',
};

/**
 * True when Bybit refused a transfer because its transferId was used before ("unique across the
 * platform"; the refusal is not documented): a refusal speaking of a duplicate or of the
 * transferId counts, and the record decides.
 */
export function isDuplicateTransferId(error: unknown): boolean {
  const answer = venueAnswer(error);
  return answer !== undefined && /duplicate|transferId|already exists/i.test(answer.msg);
}

export const toBotfolioError = (error: unknown, kind: CallKind, what: string): unknown =>
  toVenueError(error, kind, what, RULES);
