/**
 * `botfolio import-launcher` as a user runs it: the launcher README's example
 * (test/fixtures/launcher/aave_hype_equal_weight.json, copied from spec/portfolio-launcher-readme.md)
 * becomes a config that `botfolio validate` refuses, naming every blank, until the blanks are
 * filled — and then accepts. A bad launcher file gets one line naming the field, and exit 1.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Json, withPaths } from '../core/fixtures.ts';
import { botfolio } from '../helpers/cli.ts';

const EXAMPLE = 'test/fixtures/launcher/aave_hype_equal_weight.json';
const tempDir = () => mkdtempSync(join(tmpdir(), 'botfolio-import-'));
const example = () => JSON.parse(readFileSync(EXAMPLE, 'utf8')) as Json;

/** What a trader writes into the blanks of the imported example (by path, and the exchange's key). */
function filled(config: Json): Json {
  const exchanges = config.exchanges as Json;
  const [blankKey] = Object.keys(exchanges);
  if (blankKey === undefined) throw new Error('no exchange in the imported config');
  const withExchange = {
    ...config,
    exchanges: { bitget: exchanges[blankKey] },
  };
  return withPaths(withExchange, {
    'emergency_reserve.share': 0.2,
    'emergency_reserve.minimum': 100,
    'pools.main.share': 0.8,
    'pools.main.reserve_ratio': 0.3,
    'pools.main.harvest_threshold': 1.25,
    'pools.main.harvest_percentage': 0.6,
    // deployable: 1000 × 0.8 × (1 − 0.3) = 560, two bots
    'pools.main.allocation_per_bot': 280,
    'exchanges.bitget.min_transfer': 1,
    'exchanges.bitget.max_transfer': 500,
    'exchanges.bitget.daily_transfer_limit': 2000,
    'bots[0].exchange': 'bitget',
    'bots[0].account': '6712345678',
    'bots[1].exchange': 'bitget',
    'bots[1].account': '6712345679',
  });
}

describe('botfolio import-launcher on the launcher README’s example', () => {
  it('writes a config validate refuses until the printed blanks are filled, then accepts', () => {
    // Prepare
    const dir = tempDir();
    const out = join(dir, 'botfolio.json');

    // Act: import
    const imported = botfolio('import-launcher', EXAMPLE, '--out', out);

    // Assess: the notes list 13 blanks, and validate names each one as not filled in
    expect(imported.code).toBe(0);
    expect(imported.stderr).toBe('');
    expect(imported.stdout).toMatch(/^fill in \(13; each holds "<fill in: …>" now\)$/m);
    for (const path of ['bots[0].account', 'bots[1].account', 'pools.main.share']) {
      expect(imported.stdout).toContain(`  ${path} `);
    }
    const refused = botfolio('validate', out);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /^ {2}bots\[0\]\.account: not filled in yet: aave_bot’s sub-account/m,
    );
    expect(refused.stderr).toMatch(/^ {2}pools\.main\.share: not filled in yet: /m);
    expect(refused.stderr).toMatch(
      /^ {2}exchanges\.<fill in: the bots’ exchange: .*>: not filled in yet/m,
    );
    expect(refused.stderr).not.toMatch(/\n\s+at /);

    // Act: the trader fills the blanks
    const config = JSON.parse(readFileSync(out, 'utf8')) as Json;
    expect(JSON.stringify(config)).toContain('<fill in: ');
    const done = join(dir, 'filled.json');
    writeFileSync(done, JSON.stringify(filled(config), null, 2));
    const accepted = botfolio('validate', done);

    // Assess: the real validation accepts it, with what the launcher said carried over
    expect(accepted.stderr).toBe('');
    expect(accepted.stdout).toMatch(
      /filled\.json: valid — portfolio aave_hype_equal_weight, 1000\.00 USDT, pools main \(2 bots\)/,
    );
    expect(accepted.code).toBe(0);
    expect(config).toMatchObject({
      total_capital: 1000,
      allocation: { strategy: 'equal_weight' },
      emergency_stop: { max_drawdown_percent: 25 },
      risk: { max_total_exposure: 3 },
      monitoring: {
        check_interval: '15m',
        heartbeat_interval: '30s',
        health_check_interval: '60s',
      },
      bots: [
        { bot_id: 'aave_bot', pool: 'main', enabled: true },
        { bot_id: 'hype_bot', pool: 'main', enabled: true },
      ],
    });
  });

  it('explains how profit sharing maps onto harvests, and what it leaves out', () => {
    const r = botfolio('import-launcher', EXAMPLE, '--out', join(tempDir(), 'c.json'));
    expect(r.stdout).toMatch(
      /profit_sharing equal_weight → profit above a bot’s capital base is harvested into reserve:main/,
    );
    expect(r.stdout).toMatch(/not imported: bots\[\]\.config_file \(aave_bot: configs\/portfolio/);
  });

  it('without --out prints the config on stdout and the notes on stderr', () => {
    const r = botfolio('import-launcher', EXAMPLE, '--exchange', 'bybit');
    expect(r.code).toBe(0);
    const config = JSON.parse(r.stdout) as Json;
    expect(Object.keys(config.exchanges as Json)).toEqual(['bybit']);
    expect(r.stderr).toMatch(/^fill in \(12;/m);
  });

  it('never writes over an existing --out file', () => {
    const out = join(tempDir(), 'mine.json');
    writeFileSync(out, '{"keep": true}');
    const r = botfolio('import-launcher', EXAMPLE, '--out', out);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^--out .*mine\.json exists: not overwritten/);
    expect(readFileSync(out, 'utf8')).toBe('{"keep": true}');
  });

  it('says so when the --out folder does not exist', () => {
    const r = botfolio('import-launcher', EXAMPLE, '--out', join(tempDir(), 'no', 'such.json'));
    expect(r.code).toBe(1);
    expect(r.stderr.trimEnd()).toMatch(/^--out .*such\.json: cannot write it \(no such folder\)$/);
    expect(r.stdout).toBe('');
  });
});

describe('a bad launcher file, refused in one line naming the field', () => {
  const launcherFile = (text: string) => {
    const path = join(tempDir(), 'launcher.json');
    writeFileSync(path, text);
    return path;
  };
  const changed = (changes: Record<string, unknown>) =>
    launcherFile(JSON.stringify(withPaths(example(), changes)));

  function expectRefused(file: string, what: RegExp) {
    const r = botfolio('import-launcher', file);
    expect(r.stderr.trimEnd()).toMatch(what);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stdout).toBe('');
    expect(r.code).toBe(1);
  }

  it.each([
    ['not JSON', () => launcherFile('{ "bots": [ '), /^launcher portfolio file .*launcher\.json: /],
    [
      'no such file',
      () => '/nowhere/launcher.json',
      /^cannot read launcher portfolio file \/nowhere\/launcher\.json: no such file/,
    ],
    ['no bots', () => changed({ bots: undefined }), /: bots: required: expected array$/],
    ['an empty bots list', () => changed({ bots: [] }), /: bots: expected at least one bot$/],
    [
      'a duplicate bot_id',
      () => changed({ 'bots[1].bot_id': 'aave_bot' }),
      /: bots\[1\]\.bot_id: duplicate of bots\[0\]\.bot_id \(got "aave_bot"\)$/,
    ],
    [
      'a bot_id Botfolio cannot name',
      () => changed({ 'bots[0].bot_id': 'aave bot' }),
      /: bots\[0\]\.bot_id: expected a bot id of letters, digits/,
    ],
    [
      'an unknown allocation_strategy',
      () => changed({ 'portfolio.allocation_strategy': 'momentum' }),
      /: portfolio\.allocation_strategy: expected one of equal_weight, performance_based, risk_weighted, fixed_percentage, custom \(got "momentum"\)$/,
    ],
    [
      'a negative balance',
      () => changed({ 'portfolio.total_balance': -1000 }),
      /: portfolio\.total_balance: expected a balance > 0 \(got -1000\)$/,
    ],
    [
      'a balance that is text',
      () => changed({ 'portfolio.total_balance': '1000' }),
      /: portfolio\.total_balance: expected number/,
    ],
    [
      'a drawdown of 100% or more',
      () => changed({ 'portfolio.max_drawdown_percent': 150 }),
      /: portfolio\.max_drawdown_percent: expected a percentage in \(0, 100\) \(got 150\)$/,
    ],
    [
      'a negative exposure',
      () => changed({ 'portfolio.max_total_exposure': -3 }),
      /: portfolio\.max_total_exposure: expected a number > 0 \(got -3\)$/,
    ],
    [
      'an unknown profit sharing method',
      () => changed({ 'portfolio.profit_sharing.method': 'winner_takes_all' }),
      /: portfolio\.profit_sharing\.method: expected one of equal_weight, performance_based \(got "winner_takes_all"\)$/,
    ],
    [
      'a duration Botfolio cannot read',
      () => changed({ 'monitoring.heartbeat_interval': '1m30s' }),
      /: monitoring\.heartbeat_interval: expected a duration such as "30s", "15m" or "1h" \(one number and one unit\) \(got "1m30s"\)$/,
    ],
  ])('%s', (_what, file, message) => {
    expectRefused(file(), message);
  });
});
