/** The CLI as a user runs it: `npm run --silent botfolio -- …` is `tsx bin/botfolio.ts …`. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { specFile, stateFile, withPaths } from '../core/fixtures.ts';
import { botfolio } from '../helpers/cli.ts';

function file(name: string, content: unknown): string {
  const path = join(mkdtempSync(join(tmpdir(), 'botfolio-cli-')), name);
  writeFileSync(path, JSON.stringify(content));
  return path;
}

describe('botfolio validate', () => {
  it('accepts the spec portfolio', () => {
    const r = botfolio('validate', 'examples/spec-portfolio.json');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/valid — portfolio main/);
  });

  it('lists every problem with its path and bad value, and exits 1', () => {
    const bad = file(
      'bad.json',
      withPaths(specFile(), {
        'pools.high_frequency.harvest_percentage': 1.5,
        'exchanges.bitget.min_transfr': 1,
      }),
    );
    const r = botfolio('validate', bad);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('pools.high_frequency.harvest_percentage');
    expect(r.stderr).toContain('1.5');
    expect(r.stderr).toContain('min_transfr');
    expect(r.stdout).toBe('');
  });

  it('says which file is missing', () => {
    const r = botfolio('validate', 'nowhere.json');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot read config file nowhere\.json: no such file/);
  });
});

describe('botfolio plan --json', () => {
  it('prints the contract object for a harvest', () => {
    const state = file(
      'state.json',
      withPaths(stateFile(), { 'bots.1h_lorentzian_sol.balance': 200 }),
    );
    const r = botfolio(
      'plan',
      '--config',
      'examples/spec-portfolio.json',
      '--state',
      state,
      '--json',
    );
    expect(r.code).toBe(0);
    const plan = JSON.parse(r.stdout);
    expect(plan.mode).toBe('normal');
    expect(plan.flags).toEqual({ halted: false, black_swan: false });
    expect(plan.transfers).toEqual([
      {
        kind: 'harvest',
        bot_id: '1h_lorentzian_sol',
        from: 'bot:1h_lorentzian_sol',
        to: 'reserve:low_frequency',
        amount: '30.00000000',
        reason: expect.stringContaining('200 ≥ 1.25 × 150'),
        exchange: 'bitget',
      },
    ]);
  });

  it('shows each transfer once for a person, not again as its info alert', () => {
    const state = file(
      'state.json',
      withPaths(stateFile(), { 'bots.1h_lorentzian_sol.balance': 200 }),
    );
    const r = botfolio('plan', '--config', 'examples/spec-portfolio.json', '--state', state);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /harvest +30\.00 USDT {2}bot 1h_lorentzian_sol → reserve low_frequency/,
    );
    expect(r.stdout.match(/harvest/g)).toHaveLength(1);
  });

  it('prints no plan for an invalid state and names the bad field', () => {
    const state = file(
      'state.json',
      withPaths(stateFile(), { 'bots.1h_lorentzian_sol.balance': -5 }),
    );
    const r = botfolio(
      'plan',
      '--config',
      'examples/spec-portfolio.json',
      '--state',
      state,
      '--json',
    );
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('bots.1h_lorentzian_sol.balance');
  });
});
