/**
 * A cycle's balance reads for a fleet on the fake Bitget: the adapter's batched reads (what the
 * cycle runs) against the spec's loop, one balance call per bot (`get_bot_balance` for each bot,
 * each with the bot's own sub-account key, one after the other). Both go through ccxt's Bitget
 * class to the same fake server with the same injected latency per call.
 */
import { createBitgetClient } from '../functions/adapters/bitget/ccxt.ts';
import { BitgetExchange } from '../functions/adapters/bitget/exchange.ts';
import { parseFuturesAvailable } from '../functions/adapters/bitget/responses.ts';
import { ExchangeKey } from '../functions/adapters/secrets.ts';
import {
  type FakeAccountSpec,
  type FakeBitget,
  startFakeBitget,
} from '../test/helpers/fake-bitget.ts';
import { median } from './bundles.ts';

export interface Fleet {
  readonly fake: FakeBitget;
  readonly uids: readonly string[];
}

/**
 * `bots` sub-accounts keeping their margin in USDT futures (equity 100 + i/100), one in eight
 * also holding some spot USDT; each has its own key for the per-bot loop.
 */
export async function startFleet(
  bots: number,
  options: { latencyMs?: number; enforceRateLimits?: boolean } = {},
): Promise<Fleet> {
  const subAccounts: Record<string, FakeAccountSpec> = {};
  for (let i = 0; i < bots; i++) {
    subAccounts[String(8_000_000_000 + i)] = {
      futures: { USDT: 100 + i / 100 },
      ...(i % 8 === 0 && { spot: { USDT: 1 } }),
      key: { apiKey: `bg_sub_${i}`, secret: `sub-secret-${i}`, passphrase: `sub-pass-${i}` },
    };
  }
  const fake = await startFakeBitget({ master: { spot: { USDT: 1000 } }, subAccounts, ...options });
  return { fake, uids: Object.keys(subAccounts) };
}

const masterKey = (fake: FakeBitget) =>
  new ExchangeKey(fake.masterKey.apiKey, fake.masterKey.secret, fake.masterKey.passphrase);

/** The adapter, warmed (client built, connection open) by one master balance read. */
async function warmAdapter(fake: FakeBitget): Promise<BitgetExchange> {
  const adapter = new BitgetExchange({ key: async () => masterKey(fake), apiUrl: fake.url });
  await adapter.masterBalance('USDT');
  return adapter;
}

/** Calls the batched read of every bot makes (rate limits enforced, as Bitget does). */
export async function batchedCalls(fleet: Fleet): Promise<number> {
  const adapter = await warmAdapter(fleet.fake);
  const before = fleet.fake.calls();
  const balances = await adapter.subAccountBalances(fleet.uids, 'USDT');
  if ([...balances.values()].some((b) => !b.known || b.balance <= 0n)) {
    throw new Error('the batched read missed bots');
  }
  return fleet.fake.calls() - before;
}

/** Median ms of `runs` batched reads of every bot, each by a fresh (warmed) adapter. */
export async function batchedCycleMs(fleet: Fleet, runs: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const adapter = await warmAdapter(fleet.fake);
    const started = performance.now();
    await adapter.subAccountBalances(fleet.uids, 'USDT');
    times.push(performance.now() - started);
  }
  return median(times);
}

/** The spec's loop: one balance call per bot, in turn, each signed with the bot's own key. */
export async function perBotCycleMs(fleet: Fleet): Promise<number> {
  const keys = new Map(
    fleet.uids.map((uid, i) => [
      uid,
      { apiKey: `bg_sub_${i}`, secret: `sub-secret-${i}`, passphrase: `sub-pass-${i}` },
    ]),
  );
  const master = fleet.fake.masterKey;
  const client = createBitgetClient({ ...master, apiUrl: fleet.fake.url, timeoutMs: 10_000 });
  await client.privateSpotGetV2SpotAccountAssets({ coin: 'USDT' }); // warm, as the adapter is
  const started = performance.now();
  for (const uid of fleet.uids) {
    const key = keys.get(uid);
    if (!key) throw new Error(`no key for ${uid}`);
    client.apiKey = key.apiKey;
    client.secret = key.secret;
    client.password = key.passphrase;
    const answer = await client.privateMixGetV2MixAccountAccounts({ productType: 'USDT-FUTURES' });
    if (parseFuturesAvailable(answer, 'USDT') <= 0n) throw new Error(`no balance for ${uid}`);
  }
  return performance.now() - started;
}
