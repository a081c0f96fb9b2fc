/**
 * A script bundled by bundle.test.ts as the stack bundles a Lambda, and run where there is no
 * node_modules (so ccxt cannot import undici and uses Node's built-in fetch, as in Lambda): it
 * reads balances, makes a transfer and finds it, and prints what it got as JSON.
 */
import { BitgetExchange } from '../../../functions/adapters/bitget/exchange.ts';
import type { ExchangeKey } from '../../../functions/adapters/secrets.ts';
import { money } from '../../../functions/core/money.ts';
import type { BalanceReading } from '../../../functions/core/ports.ts';

const [apiUrl = '', apiKey = '', secret = '', passphrase = ''] = process.argv.slice(2);
// A plain object, not an ExchangeKey: secrets.ts brings the AWS SDK, which only Lambda provides.
const key = { apiKey, secret, passphrase } as ExchangeKey;
const bitget = new BitgetExchange({ key: async () => key, apiUrl, timeoutMs: 5_000 });
const balances = await bitget.subAccountBalances(['6712345678'], 'USDT');
await bitget.transfer({
  clientOid: 'bundled-1',
  from: { kind: 'master' },
  to: { kind: 'sub', uid: '6712345678' },
  amount: money(5),
  currency: 'USDT',
});
const record = await bitget.findTransfer('bundled-1');
const reading = (r: BalanceReading | undefined) =>
  r === undefined ? 'missing' : r.known ? String(r.balance) : `unknown: ${r.reason}`;
let undici = true;
try {
  await import('undici');
} catch {
  undici = false;
}
process.stdout.write(
  JSON.stringify({ balance: reading(balances.get('6712345678')), status: record?.status, undici }),
);
