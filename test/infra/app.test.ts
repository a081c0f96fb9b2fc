import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
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

describe('the CDK app (bin/app.ts)', () => {
  it('exits non-zero on an invalid config, naming the file and the bad setting', () => {
    // Prepare
    const file = writeConfig('bad.json', shareAboveOne);
    // Act: run as the CDK CLI does, context passed in the environment.
    const run = spawnSync(join(ROOT, 'node_modules/.bin/tsx'), ['bin/app.ts'], {
      cwd: ROOT,
      encoding: 'utf8',
      env: {
        ...process.env,
        CDK_CONTEXT_JSON: JSON.stringify({ config: file }),
        CDK_OUTDIR: mkdtempSync(join(tmpdir(), 'botfolio-out-')),
      },
    });
    // Assess
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain(file);
    expect(run.stderr).toContain('pools.low_frequency.share');
    expect(run.stderr).toContain('(got 2)');
  });
});

describe('loadDeployConfig', () => {
  it('loads the example config with its absolute path', () => {
    // Act
    const { config, file } = loadDeployConfig('examples/spec-portfolio.json');
    // Assess
    expect(config.portfolioId).toBe('main');
    expect(file).toBe(join(ROOT, 'examples/spec-portfolio.json'));
  });

  it('refuses an interval the AWS schedule cannot run, naming monitoring.check_interval', () => {
    // Prepare
    const file = writeConfig('fast.json', { ...json, monitoring: { check_interval: '30s' } });
    // Act & Assess
    expect(() => loadDeployConfig(file)).toThrow(InvalidConfigError);
    expect(() => loadDeployConfig(file)).toThrow(/monitoring\.check_interval/);
  });

  it('names the file when it is not JSON', () => {
    // Prepare
    const file = writeConfig('broken.json', '{ "portfolio_id": ');
    // Act & Assess
    expect(() => loadDeployConfig(file)).toThrow(ConfigFileError);
    expect(() => loadDeployConfig(file)).toThrow(file);
  });

  it('names the file when it cannot be read', () => {
    // Act & Assess
    expect(() => loadDeployConfig(join(dir, 'missing.json'))).toThrow(/missing\.json/);
  });
});

describe('stackNameFor', () => {
  it('makes a CloudFormation stack name of any portfolio id', () => {
    // Assess
    expect(stackNameFor('main')).toBe('Botfolio-main');
    expect(stackNameFor('fund_2.eu')).toBe('Botfolio-fund-2-eu');
  });
});
