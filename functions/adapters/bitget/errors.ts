/**
 * Bitget's errors in our words: the shared mapping (venue/errors.ts) with Bitget's own codes.
 */
import { type CallKind, toVenueError, type VenueAnswer, venueAnswer } from '../venue/errors.ts';

export type { CallKind } from '../venue/errors.ts';

/** Bitget's error answer: `{"code":"43012","msg":"Insufficient balance",…}`. */
export type BitgetAnswer = VenueAnswer;

const RULES = {
  venue: 'Bitget',
  rateLimitCodes: new Set(['429', '1001', '30014', '30026', '50009']),
  serverFaultCodes: new Set(['1', '01001', '30030', '40015', '40604', '50008']),
  keyHint: 'check the key, its passphrase, its permissions and its IP binding',
};

/** Codes of a clientOid already used (Bitget's various spellings across its products). */
const DUPLICATE_CLIENT_OID_CODES = new Set(['40786', '43118', '45034', '50060']);

/** The `{code, msg}` Bitget answered with, read from ccxt's error message (`bitget {…}`). */
export const bitgetAnswer = (error: unknown): BitgetAnswer | undefined => venueAnswer(error);

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
export const toBotfolioError = (error: unknown, kind: CallKind, what: string): unknown =>
  toVenueError(error, kind, what, RULES);
