/** Shared setup of the Bitget adapter tests: the adapter pointed at a fake Bitget. */
import {
  BitgetExchange,
  type BitgetExchangeOptions,
} from '../../../functions/adapters/bitget/exchange.ts';
import { ExchangeKey } from '../../../functions/adapters/secrets.ts';
import { money } from '../../../functions/core/money.ts';
import type { ExchangeAccount, ExchangeTransferRequest } from '../../../functions/core/ports.ts';
import type { FakeBitget, FakeKey } from '../../helpers/fake-bitget.ts';

export const keyOf = (k: FakeKey) => new ExchangeKey(k.apiKey, k.secret, k.passphrase);

/** The adapter against `fake`, with its master key; short timeouts so lost answers fail fast. */
export function bitgetFor(
  fake: FakeBitget,
  options: Partial<BitgetExchangeOptions> = {},
): BitgetExchange {
  return new BitgetExchange({
    key: async () => keyOf(fake.masterKey),
    apiUrl: fake.url,
    timeoutMs: 300,
    ...options,
  });
}

export const MASTER: ExchangeAccount = { kind: 'master' };
export const sub = (uid: string): ExchangeAccount => ({ kind: 'sub', uid });

export function transferOf(
  clientOid: string,
  from: ExchangeAccount,
  to: ExchangeAccount,
  amount: string | number,
): ExchangeTransferRequest {
  return { clientOid, from, to, amount: money(amount), currency: 'USDT' };
}
