/**
 * `botfolio run`: the monitoring loop with the local store, against the paper exchange or Bitget
 * (a fake one here); `--dry-run` plans and prints and moves nothing; a stop request lets the
 * current cycle finish.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../functions/core/config.ts';
import { TRANSFER_STATUSES } from '../../functions/core/transfer.ts';
import { run } from '../../functions/local/commands/run.ts';
import { loadConfigFile, UserFileError } from '../../functions/local/files.ts';
import { startLocalRuntime } from '../../functions/local/runtime.ts';
import { specConfig, specFile, withPaths } from '../core/fixtures.ts';
import { type FakeBitget, startFakeBitget } from '../helpers/fake-bitget.ts';

const root = new URL('../..', import.meta.url).pathname;
const UIDS = ['6712345678', '6712345679', '6712345680', '6712345681'];

let fake: FakeBitget | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const tempDir = () => mkdtempSync(join(tmpdir(), 'botfolio-run-'));

async function journalIn(dataDir: string, config = specConfig()) {
  const rt = await startLocalRuntime({ config, dataDir });
  try {
    return {
      state: await rt.store.portfolio.load(config.portfolioId),
      entries: await rt.store.journal.byStatus(config.portfolioId, TRANSFER_STATUSES),
    };
  } finally {
    await rt.close();
  }
}

async function bitgetFake() {
  fake = await startFakeBitget({
    master: { spot: { USDT: 1000 } },
    subAccounts: Object.fromEntries(UIDS.map((uid) => [uid, { futures: { USDT: 0 } }])),
  });
  const k = fake.masterKey;
  return {
    fake,
    env: {
      BITGET_API_KEY: k.apiKey,
      BITGET_API_SECRET: k.secret,
      BITGET_API_PASSPHRASE: k.passphrase,
    },
  };
}

describe('botfolio run', () => {
  it('runs cycles against the paper exchange and keeps the books in the data folder', async () => {
    // Prepare
    const dataDir = tempDir();
    const out: string[] = [];
    // Act
    const code = await run({
      config: specConfig(),
      exchange: 'paper',
      dataDir,
      dryRun: false,
      cycles: 2,
      intervalMs: 0,
      out: (l) => out.push(l),
    });
    // Assess
    expect(code).toBe(0);
    expect(out.filter((l) => l.startsWith('cycle '))).toHaveLength(2);
    const { entries } = await journalIn(dataDir);
    expect(entries.filter((e) => e.kind === 'allocation' && e.status === 'completed')).toHaveLength(
      4,
    );
  });

  it('in a dry run prints what it would move, and records and moves nothing', async () => {
    // Prepare
    const dataDir = tempDir();
    const out: string[] = [];
    // Act
    const code = await run({
      config: specConfig(),
      exchange: 'paper',
      dataDir,
      dryRun: true,
      cycles: 1,
      intervalMs: 0,
      out: (l) => out.push(l),
    });
    // Assess
    expect(code).toBe(0);
    expect(out.filter((l) => l.includes('would allocation'))).toHaveLength(4);
    const { state, entries } = await journalIn(dataDir);
    expect(state).toBeUndefined();
    expect(entries).toEqual([]);
  });

  it('runs a cycle against Bitget with the key from the environment', async () => {
    // Prepare
    const { fake: f, env } = await bitgetFake();
    const out: string[] = [];
    // Act
    const code = await run({
      config: specConfig(),
      exchange: 'bitget',
      dataDir: tempDir(),
      dryRun: false,
      cycles: 1,
      intervalMs: 0,
      env,
      bitgetApiUrl: f.url,
      out: (l) => out.push(l),
    });
    // Assess
    expect(code).toBe(0);
    expect(f.transfers).toHaveLength(4);
    expect(out.filter((l) => /allocation .*: completed/.test(l))).toHaveLength(4);
  });

  it('in a dry run against Bitget shows what Bitget holds and sends no transfer', async () => {
    // Prepare
    const { fake: f, env } = await bitgetFake();
    const out: string[] = [];
    // Act
    await run({
      config: specConfig(),
      exchange: 'bitget',
      dataDir: tempDir(),
      dryRun: true,
      cycles: 1,
      intervalMs: 0,
      env,
      bitgetApiUrl: f.url,
      out: (l) => out.push(l),
    });
    // Assess
    expect(f.requests.filter((r) => r.method !== 'GET')).toEqual([]);
    expect(f.transfers).toEqual([]);
    expect(out).toContain(
      '  bitget master account: 1000.00 USDT available; reserves in the books: 1000.00',
    );
  });

  it('rebalances a custom pool by its allocation module once rebalance_interval has passed', async () => {
    // Prepare: examples/custom-portfolio.json (rebalance_interval 1d, the module weighs bots by
    // their daily win rate); the clock moves 6 h after each cycle, so cycle 5 is one day on.
    const configFile = 'examples/custom-portfolio.json';
    const config = loadConfigFile(configFile);
    const dataDir = tempDir();
    let clock = new Date('2026-11-20T00:00:00Z');
    // Act
    const code = await run({
      config,
      configFile,
      exchange: 'paper',
      dataDir,
      dryRun: false,
      cycles: 5,
      intervalMs: 0,
      now: () => clock,
      out: (l) => {
        if (l.startsWith('cycle ')) clock = new Date(clock.getTime() + 6 * 3_600_000);
      },
    });
    // Assess: allocations on the first cycle; the custom targets a day later, all completed
    expect(code).toBe(0);
    const { entries } = await journalIn(dataDir, config);
    const rebalances = entries.filter((e) => e.kind === 'rebalance');
    expect(rebalances.map((e) => [e.cycleId, e.botId, e.status]).sort()).toEqual(
      [
        ['20261121T0000Z-15m', '1h_lorentzian_sol', 'completed'],
        ['20261121T0000Z-15m', '4h_swing_btc', 'completed'],
        ['20261121T0000Z-15m', '5m_scalping_sol', 'completed'],
        ['20261121T0000Z-15m', '15m_momentum_eth', 'completed'],
      ].sort(),
    );
    expect(rebalances.find((e) => e.botId === '4h_swing_btc')?.reason).toMatch(
      /above its custom target 60/,
    );
  });

  it('finishes the current cycle and stops when asked to (as on Ctrl+C)', async () => {
    // Prepare
    const stop = new AbortController();
    const out: string[] = [];
    // Act: no cycle limit, a long interval; stop once the first cycle reports
    const code = await run({
      config: specConfig(),
      exchange: 'paper',
      dataDir: tempDir(),
      dryRun: false,
      intervalMs: 3_600_000,
      signal: stop.signal,
      out: (l) => {
        out.push(l);
        if (l.startsWith('cycle ')) stop.abort();
      },
    });
    // Assess
    expect(code).toBe(0);
    expect(out.filter((l) => l.startsWith('cycle '))).toHaveLength(1);
    expect(out.filter((l) => l.includes(': completed'))).toHaveLength(4);
  });

  it('names the variables to set when there is no Bitget key', async () => {
    // Act & Assess
    await expect(
      run({ config: specConfig(), exchange: 'bitget', dryRun: true, cycles: 1, env: {} }),
    ).rejects.toThrow(
      new UserFileError(
        'no Bitget key: set BITGET_API_KEY, BITGET_API_SECRET and BITGET_API_PASSPHRASE in the environment or in .env (README, "Bitget")',
      ),
    );
  });

  it('refuses to run Bitget for a config that also names another exchange', async () => {
    // Prepare
    const config = parseConfig(
      withPaths(specFile(), {
        'exchanges.bitget.primary': true,
        'exchanges.paper': { min_transfer: 1, max_transfer: 500, daily_transfer_limit: 2000 },
        'pools.high_frequency.exchange': 'paper',
        'bots[2].exchange': 'paper',
        'bots[3].exchange': 'paper',
      }),
    );
    // Act & Assess
    await expect(
      run({ config, exchange: 'bitget', dryRun: true, cycles: 1, env: {} }),
    ).rejects.toThrow(/only exchange is bitget/);
  });
});

describe('botfolio run (the CLI)', () => {
  const botfolio = (...args: string[]) => {
    const env = Object.fromEntries(
      Object.entries(process.env).filter(([k]) => !k.startsWith('BITGET_')),
    );
    return spawnSync(join(root, 'node_modules/.bin/tsx'), ['bin/botfolio.ts', ...args], {
      cwd: root,
      encoding: 'utf8',
      timeout: 60_000,
      env,
    });
  };

  it('dry-runs one cycle against the paper exchange', () => {
    // Act
    const r = botfolio('run', '--dry-run', '--cycles', '1', '--data', tempDir());
    // Assess
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('dry run — cycle');
    expect(r.stdout).toContain('would allocation');
  });

  it('refuses to start with a custom module that cannot work, naming it', () => {
    // Prepare: examples/custom-portfolio.json, its module one that exports no function
    const dir = tempDir();
    const config = JSON.parse(readFileSync(join(root, 'examples/custom-portfolio.json'), 'utf8'));
    config.allocation.module = './weights.mjs';
    writeFileSync(join(dir, 'portfolio.json'), JSON.stringify(config));
    writeFileSync(join(dir, 'weights.mjs'), 'export const weights = { a: 1 };\n');
    // Act
    const r = botfolio('run', '--config', join(dir, 'portfolio.json'), '--cycles', '1');
    // Assess
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('allocation.module: must export a `weights` function');
    expect(r.stderr).toContain('(got "./weights.mjs")');
    expect(r.stdout).toBe('');
  });

  it('exits 1 with what to set when --exchange bitget has no key', () => {
    // Act
    const r = botfolio('run', '--exchange', 'bitget', '--cycles', '1', '--data', tempDir());
    // Assess
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('BITGET_API_KEY');
    expect(r.stdout).toBe('');
  });
});
