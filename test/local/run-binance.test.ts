/**
 * `botfolio run --exchange binance`: the monitoring loop against a fake Binance, the key (no
 * passphrase) from the environment; and the refusals that say what to set or what would change.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../functions/core/config.ts';
import { run } from '../../functions/local/commands/run.ts';
import { UserFileError } from '../../functions/local/files.ts';
import { binanceSpec, BINANCE_EMAILS as EMAILS } from '../adapters/binance/support.ts';
import { specConfig } from '../core/fixtures.ts';
import { type FakeBinance, startFakeBinance } from '../helpers/fake-binance.ts';

let fake: FakeBinance | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

describe('botfolio run --exchange binance', () => {
  it('runs a cycle against Binance with the key from the environment, verified by clientTranId', async () => {
    // Prepare
    fake = await startFakeBinance({
      master: { spot: { USDT: 1000 } },
      subAccounts: Object.fromEntries(EMAILS.map((e) => [e, { futures: { USDT: 0 } }])),
    });
    const out: string[] = [];
    // Act
    const code = await run({
      config: parseConfig(binanceSpec()),
      exchange: 'binance',
      dataDir: mkdtempSync(join(tmpdir(), 'botfolio-run-')),
      dryRun: false,
      cycles: 1,
      intervalMs: 0,
      env: { BINANCE_API_KEY: fake.masterKey.apiKey, BINANCE_API_SECRET: fake.masterKey.secret },
      apiUrl: fake.url,
      out: (l) => out.push(l),
    });
    // Assess
    expect(code).toBe(0);
    expect(fake.transfers).toHaveLength(4);
    expect(out.filter((l) => /allocation .*: completed/.test(l))).toHaveLength(4);
    expect(fake.balance(EMAILS[0] ?? '', 'futures', 'USDT')).toBeGreaterThan(0n);
  });

  it('names the two variables to set when there is no Binance key (it has no passphrase)', async () => {
    // Act & Assess
    await expect(
      run({
        config: parseConfig(binanceSpec()),
        exchange: 'binance',
        dryRun: true,
        cycles: 1,
        env: {},
      }),
    ).rejects.toThrow(
      new UserFileError(
        'no Binance key: set BINANCE_API_KEY and BINANCE_API_SECRET in the environment or in .env (README, "Binance")',
      ),
    );
  });

  it('refuses a config whose bots are on Bitget, saying what running it on Binance would change', async () => {
    // Act & Assess
    await expect(
      run({ config: specConfig(), exchange: 'binance', dryRun: true, cycles: 1, env: {} }),
    ).rejects.toThrow(
      /only exchange is binance; this one names bitget for 1h_lorentzian_sol, .*would read and move those bots’ money on binance instead/,
    );
  });
});
