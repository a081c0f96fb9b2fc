/**
 * Every bad input a new user met gets one line naming what is wrong and a non-zero exit — never a
 * stack trace, never a silent acceptance (issue 12). One test each.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDeployConfig } from '../../lib/config-file.ts';
import { specFile, withPaths } from '../core/fixtures.ts';
import { botfolio, root } from '../helpers/cli.ts';

const tempDir = () => mkdtempSync(join(tmpdir(), 'botfolio-bad-'));

function textFile(name: string, text: string): string {
  const path = join(tempDir(), name);
  writeFileSync(path, text);
  return path;
}

const configFile = (changes: Record<string, unknown>) =>
  textFile('config.json', JSON.stringify(withPaths(specFile(), changes), null, 2));

/** One line on stderr, nothing on stdout, exit 1. */
function expectRefused(r: { code: number | null; stdout: string; stderr: string }, what: RegExp) {
  expect(r.stderr).toMatch(what);
  expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  expect(r.stdout).toBe('');
  expect(r.code).toBe(1);
}

describe('bad input, refused with a message', () => {
  it('--data pointing at a file', () => {
    const file = textFile('not-a-folder', '');
    const r = botfolio('status', '--data', file);
    expectRefused(r, /^data folder .*not-a-folder is a file: give --data a folder/);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  it('a data folder this process cannot write', () => {
    // Prepare: a folder with a store, then made read-only; root writes anyway, so as nobody
    const data = tempDir();
    expect(botfolio('cycle', '--data', data).code).toBe(0);
    chmodSync(join(data, 'dynamo'), 0o555);
    chmodSync(data, 0o555);
    const asRoot = process.getuid?.() === 0;
    // Act
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'bin/botfolio.ts', 'status', '--data', data],
      {
        cwd: root,
        encoding: 'utf8',
        timeout: 60_000,
        env: { ...process.env, HOME: tmpdir() },
        ...(asRoot && { uid: 65534, gid: 65534 }),
      },
    );
    // Assess
    expectRefused(
      { code: r.status, stdout: r.stdout, stderr: r.stderr },
      /^data folder .* cannot be written \(read-only\): the local store writes in it even to be read/,
    );
  }, 90_000);

  it.each([
    ['30d', 'longer than the longest interval'],
    ['99999999999999999999d', 'past any timer'],
    ['1s', 'shorter than the AWS schedule runs'],
  ])('check_interval "%s" (%s), the same way locally and at synth', async (interval) => {
    const file = configFile({ 'monitoring.check_interval': interval });
    const message = `monitoring.check_interval: expected whole minutes from "1m" to "1d"`;
    expectRefused(botfolio('validate', file), new RegExp(message.replace(/[()]/g, '\\$&')));
    await expect(loadDeployConfig(file)).rejects.toThrow(message);
  });

  it('accepts a config that starts with a UTF-8 byte order mark', () => {
    const file = textFile('bom.json', `\uFEFF${JSON.stringify(specFile())}`);
    const r = botfolio('validate', file);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('a key given twice in one object, naming the key and its path', () => {
    const text = JSON.stringify(specFile(), null, 2).replace(
      '"harvest_percentage": 0.6,',
      '"harvest_percentage": 0.6,\n      "harvest_percentage": 0.9,',
    );
    const r = botfolio('validate', textFile('twice.json', text));
    expectRefused(r, /pools\.low_frequency\.harvest_percentage is given twice \(line \d+\)/);
  });

  it('a number too large for a double, said to be out of range', () => {
    const text = JSON.stringify(specFile()).replace(
      '"total_capital":1000',
      '"total_capital":1e309',
    );
    const r = botfolio('validate', textFile('huge.json', text));
    expectRefused(r, /total_capital: 1e309 is out of range/);
    expect(r.stderr).not.toContain('null');
  });

  it('a CSV row missing a cell', () => {
    const curves = textFile(
      'curves.csv',
      'time,1h_lorentzian_sol,4h_swing_btc\n2026-01-01,1000,1000\n2026-01-02,1010\n',
    );
    const r = botfolio('backtest', '--config', 'examples/spec-portfolio.json', '--curves', curves);
    expect(r.stderr).toMatch(/curves\.csv:3: 2 cell\(s\) where the header has 3/);
    expect(r.code).toBe(1);
  });

  it('a currency the exchange cannot move into its futures accounts', () => {
    const r = botfolio('validate', configFile({ currency: 'DOGE' }));
    expectRefused(r, /currency: bitget has no futures account in DOGE .*use USDT or USDC/);
  });
});
