/** `botfolio backtest --curves` on Freqtrade backtest results: the .json, the .zip, bad files. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { strToU8, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { botfolio, root } from '../helpers/cli.ts';

const DIR = 'test/fixtures/freqtrade';
const NAME = 'backtest-result-2026-01-03_00-00-00';
const CONFIG = ['--config', `${DIR}/portfolio.json`];
const RESULTS = `${DIR}/${NAME}.json`;

function temp(name: string, content: string | Uint8Array): string {
  const file = join(mkdtempSync(join(tmpdir(), 'botfolio-ft-')), name);
  writeFileSync(file, content);
  return file;
}

describe('botfolio backtest on Freqtrade results', () => {
  it('replays each strategy as its bot, one cycle per check_interval of the backtest', () => {
    const r = botfolio('backtest', ...CONFIG, '--curves', RESULTS, '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.cycles).toBe(9);
    expect(out.from).toBe('2026-01-01T00:00:00Z');
    expect(out.to).toBe('2026-01-03T00:00:00Z');
    expect(out.bots.map((b: { bot_id: string }) => b.bot_id)).toEqual([
      'LorentzianSol',
      'SwingBtc',
    ]);
    expect(out.transfers.allocation.count).toBe(2);
  });

  it('reads the .zip newer Freqtrade writes, to the same result', () => {
    const json = readFileSync(join(root, RESULTS), 'utf8');
    const zip = temp(
      `${NAME}.zip`,
      zipSync({ [`${NAME}.json`]: strToU8(json), [`${NAME}_config.json`]: strToU8('{}') }),
    );
    const fromZip = botfolio('backtest', ...CONFIG, '--curves', zip, '--json');
    const fromJson = botfolio('backtest', ...CONFIG, '--curves', RESULTS, '--json');
    expect(fromZip.code).toBe(0);
    expect(fromZip.stdout).toBe(fromJson.stdout);
  });

  it('names the file and the trade when a trade has no close_date, and prints nothing', () => {
    const json = JSON.parse(readFileSync(join(root, RESULTS), 'utf8'));
    delete json.strategy.SwingBtc.trades[2].close_date;
    delete json.strategy.SwingBtc.trades[2].close_timestamp;
    const bad = temp('bad.json', JSON.stringify(json));
    const r = botfolio('backtest', ...CONFIG, '--curves', bad);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`${bad}: trade 3 of strategy SwingBtc has no close_date`);
  });

  it('says a JSON without strategies has no strategy results', () => {
    const bad = temp('empty.json', '{"strategy_comparison": []}');
    const r = botfolio('backtest', ...CONFIG, '--curves', bad);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${bad}: no strategy results`);
  });

  it('says a zip without the result JSON holds none', () => {
    const zip = temp('backtest-result-x.zip', zipSync({ 'notes.txt': strToU8('hi') }));
    const r = botfolio('backtest', ...CONFIG, '--curves', zip);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `${zip}: no backtest result in the zip (expected backtest-result-x.json`,
    );
  });
});
