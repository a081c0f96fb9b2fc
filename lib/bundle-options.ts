/**
 * esbuild settings shared by the Lambda bundles (function.ts) and the CLI's build
 * (bin/build-cli.ts), in a module that imports no CDK: the CLI's build runs in `npm ci`.
 */

/**
 * esbuild's ESM output calls `require` for the CommonJS dependencies it bundles (ccxt's, for
 * one); ESM has no `require`, so the bundle defines one.
 */
export const ESM_REQUIRE_BANNER =
  "import { createRequire as __botfolioCreateRequire } from 'node:module'; const require = __botfolioCreateRequire(import.meta.url);";

/**
 * What ccxt's base class imports lazily (`await import(…)`) and a REST client of Bitget never
 * loads: undici (ccxt falls back to Node's built-in fetch, the same engine, when it cannot be
 * imported), fflate (websocket compression), the MEXC and dYdX protobuf codecs, and the native
 * add-ons the `ws` package tries and does without. Left out of the bundles, they cost nothing;
 * bundled, they would double ccxt's share.
 */
export const CCXT_UNUSED_IMPORTS = [
  'undici',
  'fflate',
  'bufferutil',
  'utf-8-validate',
  'protobufjs',
  '../protobuf/mexc/compiled.cjs',
  '../static_dependencies/dydx-v4-client/registry.js',
  '../static_dependencies/dydx-v4-client/cosmos/tx/v1beta1/tx.js',
  '../static_dependencies/dydx-v4-client/cosmos/tx/signing/v1beta1/signing.js',
] as const;
