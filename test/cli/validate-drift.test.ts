/**
 * `botfolio validate FILE --against-state`: a config checked against the books a cycle wrote in a
 * local data folder — the config drift a deploy of it would cause, and the exit code that says so.
 */
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Json, specFile, withPaths } from '../core/fixtures.ts';
import { botfolio } from '../helpers/cli.ts';

const configFile = (content: Json): string => {
  const path = join(mkdtempSync(join(tmpdir(), 'botfolio-drift-cfg-')), 'portfolio.json');
  writeFileSync(path, JSON.stringify(content));
  return path;
};

/** The spec portfolio with 4h_swing_btc renamed and 1h_lorentzian_sol moved to a new account. */
const renamedAndMoved = () =>
  configFile(
    withPaths(specFile(), {
      'bots[0].account': '6799999999',
      'bots[1].bot_id': '4h_swing_btc_v2',
    }),
  );

describe('botfolio validate --against-state', () => {
  let data: string;
  beforeAll(() => {
    data = mkdtempSync(join(tmpdir(), 'botfolio-drift-'));
    const first = botfolio('cycle', '--once', '--data', data);
    expect(first.code, first.stderr).toBe(0);
  }, 120_000);

  it('finds no drift for the config the books were made with, and exits 0', () => {
    const r = botfolio('validate', 'examples/spec-portfolio.json', '--against-state', '-d', data);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/valid — portfolio main/);
    expect(r.stdout).toMatch(/no config drift against the books in data folder/);
  });

  it('prints one line per config_drift of a renamed bot and a changed account, and exits 2', () => {
    const r = botfolio('validate', renamedAndMoved(), '--against-state', '--data', data);
    expect(r.code, r.stderr).toBe(2);
    const drift = r.stdout.split('\n').filter((l) => l.startsWith('  config_drift'));
    expect(drift).toHaveLength(3);
    expect(r.stdout).toMatch(/3 config drift against the books/);
    expect(drift).toContainEqual(
      expect.stringMatching(
        /^ {2}config_drift \[4h_swing_btc\] 4h_swing_btc has books .* but is not in the config/,
      ),
    );
    expect(drift).toContainEqual(
      expect.stringMatching(
        /^ {2}config_drift \[4h_swing_btc_v2\] .*sub-account 6712345679 is booked to 4h_swing_btc/,
      ),
    );
    expect(drift).toContainEqual(
      expect.stringMatching(
        /^ {2}config_drift \[1h_lorentzian_sol\] .*changed its account from 6712345678 to 6799999999/,
      ),
    );
  });

  it('gives the drift as JSON: the alerts and what a cycle would leave alone', () => {
    const r = botfolio('validate', renamedAndMoved(), '--against-state', '--data', data, '--json');
    expect(r.code, r.stderr).toBe(2);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ valid: true, portfolio_id: 'main', books: { data } });
    expect(out.drift.map((d: { bot_id: string }) => d.bot_id).sort()).toEqual([
      '1h_lorentzian_sol',
      '4h_swing_btc',
      '4h_swing_btc_v2',
    ]);
    expect(out.drift[0]).toMatchObject({ severity: 'warning', code: 'config_drift' });
    expect([...out.left_alone.bots].sort()).toEqual(['1h_lorentzian_sol', '4h_swing_btc_v2']);
  });

  it('says in one line that a folder has no store, and creates none', () => {
    const missing = join(mkdtempSync(join(tmpdir(), 'botfolio-drift-')), 'nowhere');
    const r = botfolio(
      'validate',
      'examples/spec-portfolio.json',
      '--against-state',
      '-d',
      missing,
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^no store in data folder .*nowhere: nothing to compare/);
    expect(existsSync(missing)).toBe(false);
  });

  it('says in one line that there are no books yet', () => {
    const empty = mkdtempSync(join(tmpdir(), 'botfolio-drift-'));
    mkdirSync(join(empty, 'dynamo'));
    const r = botfolio('validate', 'examples/spec-portfolio.json', '--against-state', '-d', empty);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^no books of portfolio main in data folder .* yet/);
  });

  it('refuses --data without --against-state', () => {
    const r = botfolio('validate', 'examples/spec-portfolio.json', '--data', data);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--data, --stack and --json go with --against-state/);
  });
});
