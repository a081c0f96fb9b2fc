/** `botfolio backtest` on the shipped equity curves, and on curves that do not fit. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { botfolio, root } from '../helpers/cli.ts';

function csv(name: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'botfolio-bt-'));
  writeFileSync(join(dir, name), text);
  return join(dir, name);
}

const SPEC = ['--config', 'examples/spec-portfolio.json'];

describe('botfolio backtest', () => {
  it('replays examples/spec-curves.csv: harvests, a refill, a black swan, per-bot metrics', () => {
    const r = botfolio('backtest', ...SPEC, '--curves', 'examples/spec-curves.csv', '--json');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.cycles).toBe(61);
    expect(out.win_rate_is).toMatch(/daily equity returns/);
    expect(out.transfers.allocation).toEqual({ count: 4, amount: '500.00000000' });
    expect(out.transfers.harvest.count).toBeGreaterThan(0);
    expect(out.transfers.refill.count).toBe(1);
    expect(out.transfers.protect.count).toBe(4);
    expect(out.events.map((e: { code: string }) => e.code)).toEqual(
      expect.arrayContaining(['halted', 'black_swan_entered', 'black_swan_exited', 'unusual_loss']),
    );
    expect(out.bots).toHaveLength(4);
    for (const b of out.bots) {
      expect(b.win_rate).toBeGreaterThanOrEqual(0);
      expect(b.win_rate).toBeLessThanOrEqual(1);
      // A cycle records a bot before its transfers: first sampled on row 2, 60 samples, 59 returns.
      expect(b.days).toBe(59);
    }
    expect(out.portfolio.profit_retention).toBeGreaterThan(0);
    // The spec's transfer_fee 0.001 on every transfer: at least the allocations' 0.5.
    expect(out.fees).toMatch(/^\d+\.\d{8}$/);
    expect(Number(out.fees)).toBeGreaterThan(0.5);
  });

  it('says in its text output that the win rate is of daily equity returns', () => {
    const r = botfolio('backtest', ...SPEC, '--curves', 'examples/spec-curves.csv');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      'win rate = share of positive daily equity returns (Botfolio sees equity, not trades)',
    );
    expect(r.stdout).toMatch(/profit retention: \d+\.\d%/);
    expect(r.stdout).toMatch(
      /transfer fees: \d+\.\d\d USDT \(transfer_fee × amount, out of the bots' equity\)/,
    );
  });

  it('names the file, line and value of a bad cell, and prints nothing', () => {
    const bad = csv(
      'bad.csv',
      'time,1h_lorentzian_sol\n2026-01-01,1000\n2026-01-02,lots\nnot-a-date,5\n',
    );
    const r = botfolio('backtest', ...SPEC, '--curves', bad);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('bad.csv:3: 1h_lorentzian_sol equity "lots" is not an amount ≥ 0');
    expect(r.stderr).toContain('bad.csv:4: time "not-a-date" is not an ISO date or date-time');
  });

  it('refuses curves of bots the config does not know, and bots without a curve', () => {
    const ghost = csv('ghost.csv', 'time,ghost\n2026-01-01,1\n');
    const r = botfolio('backtest', ...SPEC, '--curves', ghost);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('curve "ghost": bot not in the config');
    expect(r.stderr).toContain('bot "1h_lorentzian_sol": no equity curve');
  });
});

describe('a custom allocation module (allocation.module)', () => {
  const customConfig = (module: string) => {
    const dir = mkdtempSync(join(tmpdir(), 'botfolio-custom-'));
    const config = JSON.parse(readFileSync(join(root, 'examples/custom-portfolio.json'), 'utf8'));
    config.allocation.module = module;
    writeFileSync(join(dir, 'portfolio.json'), JSON.stringify(config));
    return { dir, file: join(dir, 'portfolio.json') };
  };

  it('is resolved from the config file’s folder and accepted by validate', () => {
    const r = botfolio('validate', 'examples/custom-portfolio.json');
    expect(r.code).toBe(0);
  });

  it('is refused with its path when the file is missing or exports no weights function', () => {
    const missing = customConfig('./nowhere.mjs');
    const r = botfolio('validate', missing.file);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('allocation.module: no such file');
    expect(r.stderr).toContain('(got "./nowhere.mjs")');

    const wrong = customConfig('./wrong.mjs');
    writeFileSync(join(wrong.dir, 'wrong.mjs'), 'export const weights = 3;\n');
    const w = botfolio('plan', '--config', wrong.file, '--state', 'examples/spec-state.json');
    expect(w.code).toBe(1);
    expect(w.stdout).toBe('');
    expect(w.stderr).toContain('allocation.module: must export a `weights` function');
  });

  it("drives plan's rebalance: without history every bot weighs the same, 200 / 100 → 150 / 150", () => {
    const state = JSON.parse(readFileSync(join(root, 'examples/spec-state.json'), 'utf8'));
    Object.assign(state.bots['1h_lorentzian_sol'], { balance: 200, capital_base: 200 });
    Object.assign(state.bots['4h_swing_btc'], { balance: 100, capital_base: 100 });
    const file = join(mkdtempSync(join(tmpdir(), 'botfolio-custom-')), 'state.json');
    writeFileSync(file, JSON.stringify(state));
    const r = botfolio(
      'plan',
      '--config',
      'examples/custom-portfolio.json',
      '--state',
      file,
      '--json',
    );
    expect(r.code).toBe(0);
    const plan = JSON.parse(r.stdout);
    expect(
      plan.transfers.map((t: { kind: string; bot_id: string; amount: string }) =>
        [t.kind, t.bot_id, t.amount].join(' '),
      ),
    ).toEqual([
      'rebalance 1h_lorentzian_sol 50.00000000',
      'rebalance 4h_swing_btc 50.00000000',
      'harvest 5m_scalping_sol 16.00000000',
    ]);
    expect(plan.last_rebalance).toBe('2026-11-20T12:00:00Z');
  });
});
