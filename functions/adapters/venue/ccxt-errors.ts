/**
 * ccxt's error hierarchy, imported by its path inside the package (as each adapter imports its
 * one exchange class): `import 'ccxt'` would load every exchange ccxt has.
 */
export * as ccxtErrors from '../../../node_modules/ccxt/js/src/base/errors.js';
