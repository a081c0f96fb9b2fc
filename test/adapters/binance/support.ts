/** Shared setup of the Binance adapter tests: the adapter pointed at a fake Binance. */
import {
  BinanceExchange,
  type BinanceExchangeOptions,
} from '../../../functions/adapters/binance/exchange.ts';
import { ExchangeKey } from '../../../functions/adapters/secrets.ts';
import type { FakeBinance } from '../../helpers/fake-binance.ts';
import { specOn } from '../workflow-support.ts';

/** The sub-accounts' emails of the spec's four bots on Binance. */
export const BINANCE_EMAILS = [0, 1, 2, 3].map((i) => `bot${i}_virtual@botfolio.test`) as [
  string,
  string,
  string,
  string,
];

/** The spec's portfolio with its bots on Binance, named by their sub-accounts' emails. */
export const binanceSpec = (): Record<string, unknown> => specOn('binance', BINANCE_EMAILS);

/** The adapter against `fake`, with its master key; short timeouts so lost answers fail fast. */
export function binanceFor(
  fake: FakeBinance,
  options: Partial<BinanceExchangeOptions> = {},
): BinanceExchange {
  return new BinanceExchange({
    key: async () => new ExchangeKey(fake.masterKey.apiKey, fake.masterKey.secret),
    apiUrl: fake.url,
    timeoutMs: 1_000, // a loaded 2-core machine can take 300 ms to answer; a fault test waits this long
    ...options,
  });
}
