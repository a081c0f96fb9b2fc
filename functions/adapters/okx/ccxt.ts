/**
 * The one place the functions import ccxt's OKX class: by file, like the Bitget class
 * (bitget/ccxt.ts says why), so a Lambda bundle carries OKX and ccxt's base, nothing else.
 */
import OkxClass from '../../../node_modules/ccxt/js/src/okx.js';

/** ccxt's OKX client: OK-ACCESS signing of the v5 API, the implicit REST methods. */
export type OkxClient = InstanceType<typeof OkxClass>;

export interface OkxClientOptions {
  readonly apiKey: string;
  readonly secret: string;
  readonly passphrase: string;
  /** Replaces the API URL (a fake server in tests, a proxy). @default OKX's */
  readonly apiUrl?: string;
  /** Per request; a request that takes longer fails with ccxt's RequestTimeout. */
  readonly timeoutMs: number;
}

/** A ccxt OKX client, its own rate limiter off: the adapter limits each endpoint on its own. */
export function createOkxClient(options: OkxClientOptions): OkxClient {
  const client = new OkxClass({
    apiKey: options.apiKey,
    secret: options.secret,
    password: options.passphrase,
    enableRateLimit: false,
    timeout: options.timeoutMs,
  });
  const api = client.urls.api as Record<string, string>;
  if (options.apiUrl !== undefined) for (const key of Object.keys(api)) api[key] = options.apiUrl;
  return client;
}
