/**
 * A cycle's balance read of a fleet on each exchange's fake server, through its adapter: the
 * calls it makes for the fleet, and how long it takes with a latency per call and the adapter's
 * own rate limits (the exchanges' published ones). Binance reads every sub-account in pages of
 * 20; OKX and Bybit have no batched read, so their read grows one call per bot, paced by the
 * endpoint's limit: they are timed on a smaller fleet, and their cycle is the longer of that time
 * scaled to the fleet and the least time the limit allows for as many calls (`paced_ms`).
 */
import { BinanceExchange } from '../functions/adapters/binance/exchange.ts';
import { ENDPOINTS as BYBIT_ENDPOINTS } from '../functions/adapters/bybit/endpoints.ts';
import { BybitExchange } from '../functions/adapters/bybit/exchange.ts';
import { ENDPOINTS as OKX_ENDPOINTS } from '../functions/adapters/okx/endpoints.ts';
import { OkxExchange } from '../functions/adapters/okx/exchange.ts';
import { ExchangeKey } from '../functions/adapters/secrets.ts';
import type { Exchange } from '../functions/core/ports.ts';
import { startFakeBinance } from '../functions/local/fake-binance.ts';
import { startFakeBybit } from '../functions/local/fake-bybit.ts';
import { startFakeOkx } from '../functions/local/fake-okx.ts';
import type { FakeVenue } from '../functions/local/fake-venue.ts';

export interface VenueFigures {
  readonly bots: number;
  readonly balance_calls_per_cycle: number;
  readonly cycle_ms: number;
  /** For reads of one call per bot: the fleet the time was taken on, and ms per bot. */
  readonly timed_bots?: number;
  readonly ms_per_bot?: number;
  /** The least time the endpoint's limit allows for `bots` calls (a burst, then its rate). */
  readonly paced_ms?: number;
}

/** The balance endpoint's limit the adapter keeps, for OKX and Bybit. */
const BALANCE_LIMITS = {
  okx: OKX_ENDPOINTS['account/subaccount/balances'].limit,
  bybit: BYBIT_ENDPOINTS['asset/transfer/query-account-coin-balance'].limit,
};

type Fake = FakeVenue<{ readonly apiKey: string }>;

async function fleetOn(
  venue: 'binance' | 'okx' | 'bybit',
  bots: number,
  latencyMs: number,
): Promise<{ fake: Fake; adapter: Exchange; uids: string[] }> {
  const uids = Array.from({ length: bots }, (_, i) =>
    venue === 'binance'
      ? `bot${i}@bench.test`
      : venue === 'okx'
        ? `bot${i}`
        : String(300_000_000 + i),
  );
  const subAccounts = Object.fromEntries(
    uids.map((u, i) => [u, { futures: { USDT: 100 + i / 100 } }]),
  );
  const common = { latencyMs, master: { spot: { USDT: 1000 } }, subAccounts };
  if (venue === 'binance') {
    const fake = await startFakeBinance(common);
    const key = async () => new ExchangeKey(fake.masterKey.apiKey, fake.masterKey.secret);
    return { fake, uids, adapter: new BinanceExchange({ key, apiUrl: fake.url }) };
  }
  if (venue === 'okx') {
    const fake = await startFakeOkx(common);
    const k = fake.masterKey;
    const key = async () => new ExchangeKey(k.apiKey, k.secret, k.passphrase);
    return { fake, uids, adapter: new OkxExchange({ key, apiUrl: fake.url }) };
  }
  const fake = await startFakeBybit(common);
  const key = async () => new ExchangeKey(fake.masterKey.apiKey, fake.masterKey.secret);
  return { fake, uids, adapter: new BybitExchange({ key, apiUrl: fake.url }) };
}

/** One read of the whole fleet: its calls and milliseconds. */
async function readFleet(venue: 'binance' | 'okx' | 'bybit', bots: number, latencyMs: number) {
  const { fake, adapter, uids } = await fleetOn(venue, bots, latencyMs);
  try {
    const before = fake.calls();
    const started = performance.now();
    const balances = await adapter.subAccountBalances(uids, 'USDT');
    const ms = performance.now() - started;
    if ([...balances.values()].some((b) => !b.known))
      throw new Error(`${venue}: the read missed bots`);
    return { calls: fake.calls() - before, ms };
  } finally {
    await fake.close();
  }
}

/**
 * Binance at `bots`; OKX and Bybit at `bots` for the call count (one per bot, counted on
 * `timedBots` and checked linear) and timed on `timedBots`, the time per bot scaled to `bots`.
 */
export async function venueFigures(
  bots: number,
  latencyMs: number,
  timedBots: number,
): Promise<Record<string, VenueFigures>> {
  const round = (n: number) => Number(n.toFixed(1));
  const binance = await readFleet('binance', bots, latencyMs);
  const figures: Record<string, VenueFigures> = {
    binance: { bots, balance_calls_per_cycle: binance.calls, cycle_ms: round(binance.ms) },
  };
  for (const venue of ['okx', 'bybit'] as const) {
    const timed = await readFleet(venue, timedBots, latencyMs);
    if (timed.calls !== timedBots) throw new Error(`${venue}: expected one call per bot`);
    const perBot = timed.ms / timedBots;
    const { calls, perMs } = BALANCE_LIMITS[venue];
    const paced = (Math.max(0, bots - calls) * perMs) / calls;
    figures[venue] = {
      bots,
      balance_calls_per_cycle: bots,
      cycle_ms: round(Math.max(perBot * bots, paced)),
      timed_bots: timedBots,
      ms_per_bot: round(perBot),
      paced_ms: round(paced),
    };
  }
  return figures;
}
