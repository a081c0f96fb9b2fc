/**
 * The one place the functions import ccxt: its Bitget class alone, by file. `import 'ccxt'` loads
 * every exchange ccxt has (~100 of them: several times the start-up time and memory of this one),
 * and the package's `exports` map offers nothing smaller, so the class and the error hierarchy
 * are imported by their paths inside the package. esbuild follows these paths like any import and
 * bundles the Bitget class with ccxt's base, nothing else (test/adapters/bitget/bundle.test.ts
 * checks every Lambda bundle).
 */
import BitgetClass from '../../../node_modules/ccxt/js/src/bitget.js';

export { ccxtErrors } from '../venue/ccxt-errors.ts';

/** ccxt's Bitget client: signing, the implicit REST methods, the error mapping of Bitget's codes. */
export type BitgetClient = InstanceType<typeof BitgetClass>;

export interface BitgetClientOptions {
  readonly apiKey: string;
  readonly secret: string;
  readonly passphrase: string;
  /** Replaces every API base URL (a fake server in tests, a proxy). @default Bitget's own */
  readonly apiUrl?: string;
  /** Per request; a request that takes longer fails with ccxt's RequestTimeout. */
  readonly timeoutMs: number;
}

/**
 * A ccxt Bitget client for the classic (v2) API. ccxt's own rate limiter is off: it is one token
 * bucket for all endpoints, so after one call of the futures sub-account endpoint (cost 200,
 * Bitget allows one per 10 s) every other call would wait ten seconds. The adapter limits each
 * endpoint on its own instead (rate-limiter.ts). `uta: false` keeps ccxt from probing whether the
 * account is a unified one: sub-account transfers are classic-account endpoints.
 */
export function createBitgetClient(options: BitgetClientOptions): BitgetClient {
  const client = new BitgetClass({
    apiKey: options.apiKey,
    secret: options.secret,
    password: options.passphrase,
    enableRateLimit: false,
    timeout: options.timeoutMs,
    options: { uta: false, adjustForTimeDifference: false },
  });
  const api = client.urls.api as Record<string, string>;
  if (options.apiUrl !== undefined) for (const key of Object.keys(api)) api[key] = options.apiUrl;
  return client;
}
