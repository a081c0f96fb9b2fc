import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { InvalidConfigError } from '../../functions/core/problems.ts';
import { ConfigFileError, loadDeployConfig } from '../../lib/config-file.ts';
import { stackNameFor } from '../../lib/stack.ts';
import { exampleConfigJson } from './support.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'botfolio-app-'));

/** Writes a config variant and returns its path. */
function writeConfig(name: string, json: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof json === 'string' ? json : JSON.stringify(json));
  return path;
}

const json = exampleConfigJson();
const pools = json.pools as Record<string, object>;
const shareAboveOne = {
  ...json,
  pools: { ...pools, low_frequency: { ...pools.low_frequency, share: 2 } },
};

/** Runs bin/app.ts as the CDK CLI does, context passed in the environment. */
function synthApp(config: string, outdir = mkdtempSync(join(tmpdir(), 'botfolio-out-'))) {
  return spawnSync(join(ROOT, 'node_modules/.bin/tsx'), ['bin/app.ts'], {
    cwd: ROOT,
    encoding: 'utf8',
    env: {
      ...process.env,
      CDK_CONTEXT_JSON: JSON.stringify({ config }),
      CDK_OUTDIR: outdir,
    },
  });
}

describe('the CDK app (bin/app.ts)', () => {
  it('exits non-zero on an invalid config, naming the file and the bad setting', () => {
    // Prepare
    const file = writeConfig('bad.json', shareAboveOne);
    // Act
    const run = synthApp(file);
    // Assess
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain(file);
    expect(run.stderr).toContain('pools.low_frequency.share');
    expect(run.stderr).toContain('(got 2)');
  });

  it('exits non-zero when the custom allocation module throws, naming the module and the error', () => {
    // Prepare: a module that cannot weigh high_frequency's bots without history
    const custom = JSON.parse(readFileSync(join(ROOT, 'examples/custom-portfolio.json'), 'utf8'));
    custom.allocation.module = './broken.mjs';
    writeFileSync(
      join(dir, 'broken.mjs'),
      `export function weights(input) {
        if (input.pool === 'high_frequency') throw new Error('no model for high_frequency');
        return Object.fromEntries(input.bots.map((b) => [b.bot_id, 1]));
      }\n`,
    );
    const file = writeConfig('custom.json', custom);
    const outdir = mkdtempSync(join(tmpdir(), 'botfolio-out-'));
    // Act
    const run = synthApp(file, outdir);
    // Assess
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('nothing was synthesized');
    expect(run.stderr).toContain(
      'allocation.module: tried on each pool\'s bots with no history: pool high_frequency: the custom weights function threw: no model for high_frequency (got "./broken.mjs")',
    );
    expect(readdirSync(outdir)).toEqual([]);
  });
});

describe('loadDeployConfig', () => {
  it('loads the example config with its absolute path', async () => {
    // Act
    const { config, file } = await loadDeployConfig('examples/spec-portfolio.json');
    // Assess
    expect(config.portfolioId).toBe('main');
    expect(file).toBe(join(ROOT, 'examples/spec-portfolio.json'));
  });

  it('refuses an interval the AWS schedule cannot run, naming monitoring.check_interval', async () => {
    // Prepare
    const file = writeConfig('fast.json', { ...json, monitoring: { check_interval: '30s' } });
    // Act & Assess
    await expect(loadDeployConfig(file)).rejects.toThrow(InvalidConfigError);
    await expect(loadDeployConfig(file)).rejects.toThrow(/monitoring\.check_interval/);
  });

  it('names the file when it is not JSON', async () => {
    // Prepare
    const file = writeConfig('broken.json', '{ "portfolio_id": ');
    // Act & Assess
    await expect(loadDeployConfig(file)).rejects.toThrow(ConfigFileError);
    await expect(loadDeployConfig(file)).rejects.toThrow(file);
  });

  it('refuses a custom strategy whose module is missing, naming allocation.module', async () => {
    // Prepare
    const file = writeConfig('no-module.json', {
      ...json,
      allocation: { strategy: 'custom', module: './nowhere.mjs' },
    });
    // Act & Assess
    await expect(loadDeployConfig(file)).rejects.toThrow(
      /allocation\.module: no such file: .*nowhere\.mjs \(got "\.\/nowhere\.mjs"\)/,
    );
  });

  it('names the file when it cannot be read', async () => {
    // Act & Assess
    await expect(loadDeployConfig(join(dir, 'missing.json'))).rejects.toThrow(/missing\.json/);
  });
});

describe('stackNameFor', () => {
  it('makes a CloudFormation stack name of any portfolio id', () => {
    // Assess
    expect(stackNameFor('main')).toBe('Botfolio-main');
    expect(stackNameFor('fund_2.eu')).toBe('Botfolio-fund-2-eu');
  });
});
