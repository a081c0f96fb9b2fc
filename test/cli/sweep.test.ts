/** `botfolio backtest --sweep`: every parameter set ranked beside the current config and no manager. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { botfolio } from '../helpers/cli.ts';

function sweepFile(json: unknown): string {
  const path = join(mkdtempSync(join(tmpdir(), 'botfolio-sweep-')), 'sweep.json');
  writeFileSync(path, JSON.stringify(json));
  return path;
}

const ARGS = ['--config', 'examples/spec-portfolio.json', '--curves', 'examples/spec-curves.csv'];

describe('botfolio backtest --sweep', () => {
  it('backtests the grid in workers and ranks it beside the current config and no manager', () => {
    const file = sweepFile({
      parameters: {
        'pools.low_frequency.harvest_threshold': [1.15, 1.5],
        'loss_recovery.refill_target': [0.5, 0.75],
      },
    });
    const r = botfolio('backtest', ...ARGS, '--sweep', file, '--json');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.ranked).toHaveLength(5);
    expect(out.ranked.map((o: { label: string }) => o.label)).toContain('current config');
    const equities = out.ranked.map((o: { endEquity: number }) => o.endEquity);
    expect(equities).toEqual([...equities].sort((a: number, b: number) => b - a));
    expect(out.no_manager.endEquity).toBeGreaterThan(0);
  });

  it('names a key the config does not have, and prints nothing', () => {
    const r = botfolio(
      'backtest',
      ...ARGS,
      '--sweep',
      sweepFile({ parameters: { 'pools.nope.harvest_threshold': [1.2] } }),
    );
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(
      /parameters\.pools\.nope\.harvest_threshold: not a setting of the config/,
    );
    expect(r.stdout).toBe('');
  });

  it('names the set whose values make an invalid config', () => {
    const r = botfolio(
      'backtest',
      ...ARGS,
      '--sweep',
      sweepFile({ parameters: { 'pools.low_frequency.harvest_threshold': [-1] } }),
    );
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(
      /set 1 \(pools\.low_frequency\.harvest_threshold=-1\) makes an invalid config/,
    );
  });
});
