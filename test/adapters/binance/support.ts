/** Shared setup of the Binance adapter tests: the adapter pointed at a fake Binance. */
import {
  BinanceExchange,
  type BinanceExchangeOptions,
} from '../../../functions/adapters/binance/exchange.ts';
import { ExchangeKey } from '../../../functions/adapters/secrets.ts';
import { specFile, withPaths } from '../../core/fixtures.ts';
import type { FakeBinance } from '../../helpers/fake-binance.ts';

/** The sub-accounts' emails of the spec's four bots on Binance. */
export const BINANCE_EMAILS = [0, 1, 2, 3].map((i) => `bot${i}_virtual@botfolio.test`);

/** The spec's portfolio with its bots on Binance, named by their sub-accounts' emails. */
export function binanceSpec(): Record<string, unknown> {
  const spec = specFile() as { exchanges: Record<string, unknown> };
  return withPaths(spec, {
    exchanges: { binance: spec.exchanges.bitget },
    ...Object.fromEntries(
      BINANCE_EMAILS.flatMap((email, i) => [
        [`bots[${i}].exchange`, 'binance'],
        [`bots[${i}].account`, email],
      ]),
    ),
  });
}

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
