/**
 * The real exchanges' adapters by config name, built the same way by the Lambdas and by
 * `botfolio run`: the config's account types, the key from wherever the caller keeps it.
 */
import type { Config } from '../core/config.ts';
import type { Exchange } from '../core/ports.ts';
import { BinanceExchange, binanceOptionsFromConfig } from './binance/exchange.ts';
import { BitgetExchange, bitgetOptionsFromConfig } from './bitget/exchange.ts';
import { OkxExchange, okxOptionsFromConfig } from './okx/exchange.ts';
import type { KeyProvider } from './secrets.ts';

/** Exchanges with a real adapter (the paper exchange is the local stand-in for any of them). */
export const REAL_EXCHANGES = ['bitget', 'binance', 'okx'] as const;
export type RealExchange = (typeof REAL_EXCHANGES)[number];

export const isRealExchange = (name: string): name is RealExchange =>
  (REAL_EXCHANGES as readonly string[]).includes(name);

export interface RealExchangeOptions {
  readonly key: KeyProvider;
  /** The exchange's API URL (a fake server, a proxy). @default the exchange's */
  readonly apiUrl?: string;
}

/** The adapter of `name` for `config`. */
export function realExchange(
  name: RealExchange,
  config: Config,
  options: RealExchangeOptions,
): Exchange {
  const common = {
    key: options.key,
    ...(options.apiUrl !== undefined && { apiUrl: options.apiUrl }),
  };
  switch (name) {
    case 'bitget':
      return new BitgetExchange({ ...common, ...bitgetOptionsFromConfig(config) });
    case 'binance':
      return new BinanceExchange({ ...common, ...binanceOptionsFromConfig(config) });
    case 'okx':
      return new OkxExchange({ ...common, ...okxOptionsFromConfig(config) });
  }
}
