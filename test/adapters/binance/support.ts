/** Shared setup of the Binance adapter tests: the adapter pointed at a fake Binance. */
import {
  BinanceExchange,
  type BinanceExchangeOptions,
} from '../../../functions/adapters/binance/exchange.ts';
import { ExchangeKey } from '../../../functions/adapters/secrets.ts';
import type { FakeBinance } from '../../helpers/fake-binance.ts';

/** The adapter against `fake`, with its master key; short timeouts so lost answers fail fast. */
export function binanceFor(
  fake: FakeBinance,
  options: Partial<BinanceExchangeOptions> = {},
): BinanceExchange {
  return new BinanceExchange({
    key: async () => new ExchangeKey(fake.masterKey.apiKey, fake.masterKey.secret),
    apiUrl: fake.url,
    timeoutMs: 300,
    ...options,
  });
}
