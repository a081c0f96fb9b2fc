/**
 * The OKX v5 endpoints the adapter calls, with each one's published rate limit (per UID, 2026-12
 * docs: 6 per 2 s for the sub-account balances) and ccxt's implicit method for it. The adapter
 * keeps one call under each limit of more than 2, so that our clock and OKX's never disagree
 * into a 429. OKX has no batched balance read of sub-accounts: a cycle reads each bot's
 * sub-account on its own, 5 per 2 s, so the read of N bots takes about N × 0.4 s (500 bots:
 * ~200 s, more than one cycle Lambda may run) — the bench reports it.
 */
import type { VenueEndpoint } from '../venue/calls.ts';
import type { OkxClient } from './ccxt.ts';

const per2s = (calls: number) => ({ calls, perMs: 2_000 });

/** Keyed by path below /api/v5/: what messages and the limiter name. */
export const ENDPOINTS = {
  /** One sub-account's trading account (equity per currency), by name (master key). */
  'account/subaccount/balances': {
    limit: per2s(5),
    call: (c, p) => c.privateGetAccountSubaccountBalances(p),
  },
  /** One sub-account's funding account, by name (master key). */
  'asset/subaccount/balances': {
    limit: per2s(5),
    call: (c, p) => c.privateGetAssetSubaccountBalances(p),
  },
  /** The caller's (the master's) trading account. */
  'account/balance': { limit: per2s(9), call: (c, p) => c.privateGetAccountBalance(p) },
  /** The caller's (the master's) funding account. */
  'asset/balances': { limit: per2s(5), call: (c, p) => c.privateGetAssetBalances(p) },
  /** Master ↔ sub transfer (type 1 or 2) with our clientId: 2 per second per currency. */
  'asset/transfer': { limit: per2s(2), call: (c, p) => c.privatePostAssetTransfer(p) },
  /** A transfer's state, by clientId and type: how a transfer is verified. */
  'asset/transfer-state': {
    limit: per2s(9),
    call: (c, p) => c.privateGetAssetTransferState(p),
  },
} as const satisfies Record<string, VenueEndpoint<OkxClient>>;

export type EndpointPath = keyof typeof ENDPOINTS;

/** How long OKX keeps a transfer's state (assumed: the docs do not say; observed ≥ 14 days). */
export const TRANSFER_STATE_KEPT_MS = 14 * 24 * 3_600_000;
