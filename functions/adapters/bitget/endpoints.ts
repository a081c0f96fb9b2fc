/**
 * The Bitget v2 endpoints the adapter calls, with each one's published rate limit (per UID) and
 * how ccxt reaches it: its implicit method where ccxt has one, else ccxt's signed `request`, which
 * signs any path the same way (the sub/main transfer record has no named method in ccxt).
 */
import { perSecond, type VenueEndpoint } from '../venue/calls.ts';
import type { BitgetClient } from './ccxt.ts';

export type BitgetParams = Record<string, string>;

/** Keyed by path below /api/: what error messages and the rate limiter name. */
export const ENDPOINTS = {
  /** Spot assets of every sub-account holding any, in pages of at most 50 (idLessThan cursor). */
  'v2/spot/account/subaccount-assets': {
    method: 'GET',
    limit: perSecond(10),
    call: (c, p) => c.privateSpotGetV2SpotAccountSubaccountAssets(p),
  },
  /** Futures accounts of every sub-account, one product type per call: one call per 10 s. */
  'v2/mix/account/sub-account-assets': {
    method: 'GET',
    limit: { calls: 1, perMs: 10_000 },
    call: (c, p) => c.privateMixGetV2MixAccountSubAccountAssets(p),
  },
  /** The caller's (the master's) spot assets. */
  'v2/spot/account/assets': {
    method: 'GET',
    limit: perSecond(10),
    call: (c, p) => c.privateSpotGetV2SpotAccountAssets(p),
  },
  /** The caller's (the master's) futures accounts of one product type. */
  'v2/mix/account/accounts': {
    method: 'GET',
    limit: perSecond(10),
    call: (c, p) => c.privateMixGetV2MixAccountAccounts(p),
  },
  /** The key's account: its UID (a transfer names both ends by UID). */
  'v2/spot/account/info': {
    method: 'GET',
    limit: perSecond(1),
    call: (c, p) => c.privateSpotGetV2SpotAccountInfo(p),
  },
  /** Master ↔ sub transfer with our clientOid (master key only, IP-bound key only). */
  'v2/spot/wallet/subaccount-transfer': {
    method: 'POST',
    limit: perSecond(10),
    call: (c, p) => c.privateSpotPostV2SpotWalletSubaccountTransfer(p),
  },
  /** Sub/main transfer records, filterable by clientOid: how a transfer is verified. */
  'v2/spot/account/sub-main-trans-record': {
    method: 'GET',
    limit: perSecond(20),
    call: (c, p) =>
      c.request('v2/spot/account/sub-main-trans-record', ['private', 'spot'], 'GET', p),
  },
} as const satisfies Record<string, VenueEndpoint<BitgetClient> & { method: 'GET' | 'POST' }>;

export type EndpointPath = keyof typeof ENDPOINTS;

/** Largest page the spot sub-account assets endpoint returns. */
export const SUB_ACCOUNT_PAGE_SIZE = 50;
