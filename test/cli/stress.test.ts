/** `botfolio backtest --stress`: each scenario beside the baseline, as a table and as JSON. */
import { describe, expect, it } from 'vitest';
import { botfolio } from '../helpers/cli.ts';

const SPEC = ['--config', 'examples/spec-portfolio.json', '--curves', 'examples/spec-curves.csv'];
const SCENARIOS =
  'crash:30%:6h,bleed:20%:14d,flash:40%:1d@2026-01-20,correlated:50%:1d:4h_swing_btc+5m_scalping_sol@2026-01-10,bootstrap:20:3d';

describe('botfolio backtest --stress', () => {
  it('prints the baseline and a row for each scenario, a bootstrap as p5, p50 and p95', () => {
    const r = botfolio('backtest', ...SPEC, '--stress', SCENARIOS, '--seed', '7');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('stress test of examples/spec-curves.csv: 4 bots, 61 cycles');
    expect(r.stdout).toContain('seed 7');
    const rows = r.stdout.split('\n').filter((l) => l.startsWith('│'));
    const labels = rows.map((l) => l.split('│')[1]?.trim());
    expect(labels).toEqual([
      'scenario',
      'baseline',
      'crash:30%:6h',
      'bleed:20%:14d',
      'flash:40%:1d@2026-01-20',
      'correlated:50%:1d:4h_swing_btc+5m_scalping_sol@2026-01-10',
      'bootstrap:20:3d p5',
      'bootstrap:20:3d p50',
      'bootstrap:20:3d p95',
    ]);
    expect(rows[4]).toContain('2026-01-20T00:00:00Z');
  });

  it('gives the same metrics in JSON, with the baseline the plain backtest’s', () => {
    const r = botfolio('backtest', ...SPEC, '--stress', SCENARIOS, '--seed', '7', '--json');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    const plain = JSON.parse(botfolio('backtest', ...SPEC, '--json').stdout);
    expect(out.seed).toBe(7);
    expect(out.baseline.end_equity).toBe(Number(plain.end_equity));
    expect(out.scenarios.map((s: { scenario: string }) => s.scenario)).toEqual(
      SCENARIOS.split(','),
    );
    const [crash, , , correlated, boot] = out.scenarios;
    expect(crash.end_equity).toBeLessThan(out.baseline.end_equity);
    expect(correlated.bots).toEqual(['4h_swing_btc', '5m_scalping_sol']);
    expect(boot.variants).toBe(20);
    for (const key of ['end_equity', 'max_drawdown', 'transfers', 'fees']) {
      expect(boot.p5[key]).toBeLessThanOrEqual(boot.p50[key]);
      expect(boot.p50[key]).toBeLessThanOrEqual(boot.p95[key]);
    }
  });

  it('replays the same for the same seed, and picks otherwise for another', () => {
    const run = (seed: string) =>
      botfolio(
        'backtest',
        ...SPEC,
        '--stress',
        'crash:30%:6h,bootstrap:10',
        '--seed',
        seed,
        '--json',
      ).stdout;
    expect(run('3')).toBe(run('3'));
    expect(run('3')).not.toBe(run('4'));
  });

  it('stresses Freqtrade results as well', () => {
    const r = botfolio(
      'backtest',
      '--config',
      'test/fixtures/freqtrade/portfolio.json',
      '--curves',
      'test/fixtures/freqtrade/backtest-result-2026-01-03_00-00-00.json',
      '--stress',
      'flash:50%:6h@2026-01-02,correlated:30%:6h:2',
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('flash:50%:6h@2026-01-02');
    expect(r.stdout).toContain('correlated:30%:6h:2');
  });

  it.each([
    ['crash:30:6h', '--stress "crash:30:6h": "30" is not a fall'],
    ['crash:30%:6h,tornado:1', '--stress "tornado:1": "tornado" is not a scenario'],
    [
      'correlated:30%:6h:ghost+4h_swing_btc',
      '--stress "correlated:30%:6h:ghost+4h_swing_btc": no curve for bot ghost',
    ],
    [
      'crash:30%:6h@2030-01-01',
      'is outside the curves (2026-01-01T00:00:00Z → 2026-03-02T00:00:00Z)',
    ],
  ])('refuses %s, naming the part that is wrong, and prints no table', (spec, why) => {
    const r = botfolio('backtest', ...SPEC, '--stress', spec);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(why);
  });

  it('refuses --stress with --sweep', () => {
    const r = botfolio('backtest', ...SPEC, '--stress', 'crash:30%:6h', '--sweep', 'x.json');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('--stress and --sweep do not go together');
  });
});
