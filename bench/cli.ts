/**
 * The CLI's start-up, as a trader pays it: `cli_status_ms` is `botfolio status` run from the
 * shipped build (`dist/botfolio.mjs`, built first so the figure is the code's) on a data folder
 * with 10 bots and 500 journal entries; `node_start_ms` is a bare `node -e ''` with the same Node.
 * Medians of fresh processes, the two interleaved so a busy machine slows both alike.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dynamoStores } from '../functions/adapters/dynamodb/store.ts';
import { botAccount, reserveAccount } from '../functions/core/accounts.ts';
import { type Money, money } from '../functions/core/money.ts';
import type { Stores } from '../functions/core/store-ports.ts';
import { type JournalEntry, plannedEntry } from '../functions/core/transfer.ts';
import { startEmbeddedDynamo } from '../functions/local/dynamo.ts';
import { ROOT } from './bundles.ts';

const BOTS = 10;
const ENTRIES = 500;
const SPEC_CONFIG = join(ROOT, 'examples/spec-portfolio.json');

/** The spec portfolio with `BOTS` bots, half in each pool, written to `dir`. */
function fleetConfig(dir: string): string {
  const spec = JSON.parse(readFileSync(SPEC_CONFIG, 'utf8'));
  spec.total_capital = 5000;
  spec.bots = Array.from({ length: BOTS }, (_, i) => ({
    bot_id: `bot_${i}`,
    pool: i % 2 === 0 ? 'low_frequency' : 'high_frequency',
    exchange: 'bitget',
    account: String(6712345600 + i),
    enabled: true,
  }));
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify(spec, null, 2));
  return file;
}

/** Writes the entry and walks it to `completed`, then into the ledger, as a transfer goes. */
async function complete(stores: Stores, e: JournalEntry): Promise<void> {
  await stores.journal.putPlanned([e]);
  await stores.journal.transition(e.id, ['planned'], 'validated');
  await stores.journal.transition(e.id, ['validated'], 'submitted');
  const done = await stores.journal.transition(e.id, ['submitted'], 'completed');
  if (!done) throw new Error(`bench: could not complete ${e.id}`);
  await stores.ledger.applyCompleted(done);
}

/**
 * A data folder after many cycles: each bot funded, then harvested cycle after cycle until the
 * journal holds `ENTRIES` entries, and the last cycle's balances recorded.
 */
export async function benchDataFolder(): Promise<{ config: string; data: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'botfolio-bench-cli-'));
  const config = fleetConfig(dir);
  const data = join(dir, 'data');
  const dynamo = await startEmbeddedDynamo({ dataDir: join(data, 'dynamo') });
  try {
    const stores = dynamoStores(dynamo.client, dynamo.tableNames);
    const start = Date.parse('2026-11-01T00:00:00Z');
    const at = (cycle: number) => new Date(start + cycle * 15 * 60_000).toISOString();
    await stores.portfolio.init('main', {
      asOf: at(0),
      peakEquity: money(5000),
      flags: { halted: false, blackSwan: false },
      reserves: new Map<string, Money>([
        ['emergency', money(1000)],
        ['low_frequency', money(2500)],
        ['high_frequency', money(1500)],
      ]),
      bots: new Map(),
    });
    const bots = Array.from({ length: BOTS }, (_, i) => ({
      botId: `bot_${i}`,
      pool: i % 2 === 0 ? 'low_frequency' : 'high_frequency',
    }));
    let written = 0;
    for (let cycle = 0; written < ENTRIES; cycle++) {
      for (const { botId, pool } of bots) {
        if (written >= ENTRIES) break;
        const funding = cycle === 0;
        const transfer = {
          kind: funding ? ('allocation' as const) : ('harvest' as const),
          botId,
          from: funding ? reserveAccount(pool) : botAccount(botId),
          to: funding ? botAccount(botId) : reserveAccount(pool),
          amount: money(funding ? 100 : 1),
          reason: funding ? 'fund the bot' : 'balance above the harvest threshold',
          leg: 0,
        };
        const ctx = {
          portfolioId: 'main',
          cycleId: `c-${cycle}`,
          exchange: 'paper',
          now: at(cycle),
        };
        await complete(stores, plannedEntry(transfer, ctx));
        written++;
      }
    }
    const cycles = Math.ceil(ENTRIES / BOTS);
    await stores.portfolio.saveCycle('main', {
      asOf: at(cycles),
      cycleId: `c-${cycles}`,
      peakEquity: money(5100),
      flags: { halted: false, blackSwan: false },
      balances: new Map(bots.map((b, i) => [b.botId, money(100 + i * 3)])),
    });
  } finally {
    await dynamo.close();
  }
  return { config, data };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
};

function wallMs(args: string[]): number {
  const t = performance.now();
  const r = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  const ms = performance.now() - t;
  if (r.status !== 0) throw new Error(`bench: node ${args.join(' ')} failed: ${r.stderr}`);
  return ms;
}

/** Builds the CLI, then times `status` against a bare Node start, `runs` times each. */
export async function cliStartup(runs: number) {
  const build = spawnSync(process.execPath, ['--import', 'tsx', 'bin/build-cli.ts'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (build.status !== 0) throw new Error(`bench: the CLI build failed: ${build.stderr}`);
  const { config, data } = await benchDataFolder();
  const status = [join(ROOT, 'dist/botfolio.mjs'), 'status', '--config', config, '--data', data];
  wallMs(status); // the first run fills Node's compile cache, as a trader's first `status` does
  const node: number[] = [];
  const cli: number[] = [];
  for (let i = 0; i < runs; i++) {
    node.push(wallMs(['-e', '']));
    cli.push(wallMs(status));
  }
  return { nodeStartMs: median(node), cliStatusMs: median(cli) };
}
