/**
 * The real exchanges' adapters by config name, built the same way by the Lambdas and by
 * `botfolio run`: the config's account types, the key from wherever the caller keeps it.
 *
 * Each adapter is loaded on demand, and a Lambda bundle carries only the exchanges its config
 * names: the stack defines `process.env.BOTFOLIO_BUNDLE_<EXCHANGE>` as "0" for the others
 * (lib/function.ts), esbuild folds the test below to false and leaves that adapter — and its
 * ccxt class — out. All four in one bundle would pass 1.5 MB. Unbundled (tsx, the tests) the
 * variable is unset and every adapter loads.
 */
import type { Config } from '../core/config.ts';
import type { Exchange } from '../core/ports.ts';
import type { KeyProvider } from './secrets.ts';

/** Exchanges with a real adapter (the paper exchange is the local stand-in for any of them). */
export const REAL_EXCHANGES = ['bitget', 'binance', 'okx', 'bybit'] as const;
export type RealExchange = (typeof REAL_EXCHANGES)[number];

export const isRealExchange = (name: string): name is RealExchange =>
  (REAL_EXCHANGES as readonly string[]).includes(name);

export interface RealExchangeOptions {
  readonly key: KeyProvider;
  /** The exchange's API URL (a fake server, a proxy). @default the exchange's */
  readonly apiUrl?: string;
}

type Build = (config: Config, options: RealExchangeOptions) => Exchange;

const loaders: Partial<Record<RealExchange, () => Promise<Build>>> = {};
if (process.env.BOTFOLIO_BUNDLE_BITGET !== '0') {
  loaders.bitget = async () => {
    const { BitgetExchange, bitgetOptionsFromConfig } = await import('./bitget/exchange.ts');
    return (config, options) =>
      new BitgetExchange({ ...options, ...bitgetOptionsFromConfig(config) });
  };
}
if (process.env.BOTFOLIO_BUNDLE_BINANCE !== '0') {
  loaders.binance = async () => {
    const { BinanceExchange, binanceOptionsFromConfig } = await import('./binance/exchange.ts');
    return (config, options) =>
      new BinanceExchange({ ...options, ...binanceOptionsFromConfig(config) });
  };
}
if (process.env.BOTFOLIO_BUNDLE_OKX !== '0') {
  loaders.okx = async () => {
    const { OkxExchange, okxOptionsFromConfig } = await import('./okx/exchange.ts');
    return (config, options) => new OkxExchange({ ...options, ...okxOptionsFromConfig(config) });
  };
}
if (process.env.BOTFOLIO_BUNDLE_BYBIT !== '0') {
  loaders.bybit = async () => {
    const { BybitExchange, bybitOptionsFromConfig } = await import('./bybit/exchange.ts');
    return (config, options) =>
      new BybitExchange({ ...options, ...bybitOptionsFromConfig(config) });
  };
}

/** The adapter of `name` for `config`. @throws when this bundle was built without it */
export async function realExchange(
  name: RealExchange,
  config: Config,
  options: RealExchangeOptions,
): Promise<Exchange> {
  const load = loaders[name];
  if (!load)
    throw new Error(
      `the ${name} adapter is not in this bundle: synthesize again with a config naming ${name}`,
    );
  const build = await load();
  return build(config, {
    key: options.key,
    ...(options.apiUrl !== undefined && { apiUrl: options.apiUrl }),
  });
}
