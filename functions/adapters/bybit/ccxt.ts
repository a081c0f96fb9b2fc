/**
 * The one place the functions import ccxt's Bybit class: by file, like the Bitget class
 * (bitget/ccxt.ts says why), so a Lambda bundle carries Bybit and ccxt's base, nothing else.
 */
import BybitClass from '../../../node_modules/ccxt/js/src/bybit.js';

/** ccxt's Bybit client: X-BAPI signing of the v5 API, the implicit REST methods. */
export type BybitClient = InstanceType<typeof BybitClass>;

export interface BybitClientOptions {
  readonly apiKey: string;
  readonly secret: string;
  /** Replaces the host of every API URL (a fake server in tests, a proxy). @default Bybit's */
  readonly apiUrl?: string;
  /** Per request; a request that takes longer fails with ccxt's RequestTimeout. */
  readonly timeoutMs: number;
}

/** A ccxt Bybit client, its own rate limiter off: the adapter limits each endpoint on its own. */
export function createBybitClient(options: BybitClientOptions): BybitClient {
  const client = new BybitClass({
    apiKey: options.apiKey,
    secret: options.secret,
    enableRateLimit: false,
    timeout: options.timeoutMs,
  });
  const api = client.urls.api as Record<string, string>;
  if (options.apiUrl !== undefined) for (const key of Object.keys(api)) api[key] = options.apiUrl;
  return client;
}
