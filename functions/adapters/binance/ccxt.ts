/**
 * The one place the functions import ccxt's Binance class: by file, like the Bitget class
 * (bitget/ccxt.ts says why), so a Lambda bundle carries Binance and ccxt's base, nothing else.
 */
import BinanceClass from '../../../node_modules/ccxt/js/src/binance.js';

/** ccxt's Binance client: HMAC signing of `/sapi` and `/api` calls, the implicit REST methods. */
export type BinanceClient = InstanceType<typeof BinanceClass>;

export interface BinanceClientOptions {
  readonly apiKey: string;
  readonly secret: string;
  /** Replaces the host of every API URL (a fake server in tests, a proxy). @default Binance's */
  readonly apiUrl?: string;
  /** Per request; a request that takes longer fails with ccxt's RequestTimeout. */
  readonly timeoutMs: number;
}

/**
 * A ccxt Binance client. ccxt's own rate limiter is off (one bucket for all endpoints, as for
 * Bitget): the adapter limits each endpoint on its own. The `recvWindow` ccxt sends is its
 * default, 10 s: Binance refuses a signed request older than that, so a replayed one is refused.
 */
export function createBinanceClient(options: BinanceClientOptions): BinanceClient {
  const client = new BinanceClass({
    apiKey: options.apiKey,
    secret: options.secret,
    enableRateLimit: false,
    timeout: options.timeoutMs,
    options: { adjustForTimeDifference: false },
  });
  const api = client.urls.api as Record<string, string>;
  if (options.apiUrl !== undefined) {
    // Binance's URLs carry their path (`https://api.binance.com/sapi/v1`): keep it, swap the host.
    for (const key of Object.keys(api)) {
      api[key] = (api[key] ?? '').replace(/^https:\/\/[^/]+/, options.apiUrl);
    }
  }
  return client;
}
