/**
 * The names the CLI offers as choices (`run --exchange`, `chaos --exchange`), in a module of their
 * own: parsing the command line loads nothing else — no adapter, no ccxt.
 */
import { REAL_EXCHANGES } from '../adapters/exchanges.ts';

/** What `botfolio run` runs against: the paper exchange or a real one. */
export const RUN_EXCHANGES = ['paper', ...REAL_EXCHANGES] as const;
export type RunExchange = (typeof RUN_EXCHANGES)[number];

/** Where a chaos storm's money sits: the paper exchange, or a real adapter's fake server. */
export const VENUES = ['paper', ...REAL_EXCHANGES] as const;
export type VenueName = (typeof VENUES)[number];
