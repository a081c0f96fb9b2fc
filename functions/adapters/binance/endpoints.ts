/**
 * The Binance endpoints the adapter calls, with the rate limit the adapter keeps for each, and how
 * ccxt reaches it (its implicit methods: ccxt names every one of these).
 *
 * Binance limits by request weight per minute, not per endpoint: 12 000 per IP and 180 000 per
 * UID on `/sapi` (a sub-account endpoint says which it counts), 6 000 per IP on `/api`, 2 400 on
 * `/fapi`. Each endpoint below gets a share of those budgets small enough that all of them at
 * their limit together stay under every budget (the weights are the documented ones, 2026-12):
 * - futures account summary V2: weight(IP) 10 → 10/s = 6 000/min, half the IP budget;
 * - sub-account assets V4: weight(UID) 60 → 10/s = 36 000/min;
 * - universal transfer: weight(UID) 360 → 5/s = 108 000/min; its history: weight(IP) 1 → 10/s;
 * - the master's spot account: weight 20 → 2/s = 2 400/min; its futures balance: weight 5 → 2/s;
 * - a sub-account's futures position risk V2: weight(IP) 1 → 10/s = 600/min.
 */
import { perSecond, type VenueEndpoint } from '../venue/calls.ts';
import type { BinanceClient } from './ccxt.ts';

export type BinanceParams = Record<string, string>;

/** Keyed by path (`#post` where one path has two methods): what messages and the limiter name. */
export const ENDPOINTS = {
  /** USDⓈ-M futures summary of every sub-account, in pages of at most 20 (master key only). */
  'sapi/v2/sub-account/futures/accountSummary': {
    method: 'GET',
    limit: perSecond(10),
    call: (c, p) => c.sapiV2GetSubAccountFuturesAccountSummary(p),
  },
  /** One sub-account's spot assets, by email (master key only). */
  'sapi/v4/sub-account/assets': {
    method: 'GET',
    limit: perSecond(10),
    call: (c, p) => c.sapiV4GetSubAccountAssets(p),
  },
  /** One sub-account's futures positions, by email and futuresType (master key only). */
  'sapi/v2/sub-account/futures/positionRisk': {
    method: 'GET',
    limit: perSecond(10),
    call: (c, p) => c.sapiV2GetSubAccountFuturesPositionRisk(p),
  },
  /** The caller's (the master's) spot account. */
  'api/v3/account': {
    method: 'GET',
    limit: perSecond(2),
    call: (c, p) => c.privateGetAccount(p),
  },
  /** The caller's (the master's) USDⓈ-M futures balances. */
  'fapi/v2/balance': {
    method: 'GET',
    limit: perSecond(2),
    call: (c, p) => c.fapiPrivateV2GetBalance(p),
  },
  /** Master ↔ sub transfer with our clientTranId (master key with "internal transfer" on). */
  'sapi/v1/sub-account/universalTransfer#post': {
    method: 'POST',
    limit: perSecond(5),
    call: (c, p) => c.sapiPostSubAccountUniversalTransfer(p),
  },
  /** Universal transfer history, filterable by clientTranId: how a transfer is verified. */
  'sapi/v1/sub-account/universalTransfer': {
    method: 'GET',
    limit: perSecond(10),
    call: (c, p) => c.sapiGetSubAccountUniversalTransfer(p),
  },
} as const satisfies Record<string, VenueEndpoint<BinanceClient> & { method: 'GET' | 'POST' }>;

export type EndpointPath = keyof typeof ENDPOINTS;

/** Largest page of the futures account summary. */
export const SUMMARY_PAGE_SIZE = 20;
/** Longest span the transfer history answers for, from its startTime. */
export const HISTORY_WINDOW_MS = 7 * 24 * 3_600_000;
