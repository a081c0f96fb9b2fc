/**
 * The Bybit v5 endpoints the adapter calls, with the rate limit the adapter keeps for each and
 * ccxt's implicit method. Bybit publishes per-UID limits per endpoint; the asset endpoints' v5
 * table was not found, so the limits of their v3 twins are assumed: universal transfer 5/s,
 * balance and record queries 60/min. A sub-account's balance is one call per bot: a cycle of N
 * bots takes ~N seconds to read (500 bots: more than 8 minutes) — the bench reports it.
 */
import { perSecond, type VenueEndpoint } from '../venue/calls.ts';
import type { BybitClient } from './ccxt.ts';

const perMinute = (calls: number) => ({ calls, perMs: 60_000 });

/** Keyed by path below /v5/: what messages and the limiter name. */
export const ENDPOINTS = {
  /** One account's balance of one coin (a sub-account's with `memberId`; master key). */
  'asset/transfer/query-account-coin-balance': {
    limit: perMinute(60),
    call: (c, p) => c.privateGetV5AssetTransferQueryAccountCoinBalance(p),
  },
  /** The key's own account: its UID (a universal transfer names both ends by UID). */
  'user/query-api': { limit: perSecond(5), call: (c, p) => c.privateGetV5UserQueryApi(p) },
  /** Universal transfer with our transferId (a UUID; master key with "SubMemberTransfer"). */
  'asset/transfer/universal-transfer': {
    limit: perSecond(4),
    call: (c, p) => c.privatePostV5AssetTransferUniversalTransfer(p),
  },
  /** Universal transfer records, filterable by transferId: how a transfer is verified. */
  'asset/transfer/query-universal-transfer-list': {
    limit: perMinute(60),
    call: (c, p) => c.privateGetV5AssetTransferQueryUniversalTransferList(p),
  },
} as const satisfies Record<string, VenueEndpoint<BybitClient>>;

export type EndpointPath = keyof typeof ENDPOINTS;

/** Longest span the records answer for, from startTime (documented: 7 days). */
export const RECORDS_WINDOW_MS = 7 * 24 * 3_600_000;
