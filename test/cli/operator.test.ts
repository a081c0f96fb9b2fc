/**
 * `botfolio halt` / `botfolio resume` / `botfolio confirm-balance` on a local data folder, as an
 * operator runs them.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { money } from '../../functions/core/money.ts';
import { portfolioEquity } from '../../functions/core/policy.ts';
import { withLocalStore } from '../../functions/local/local-store.ts';
import { specConfig } from '../core/fixtures.ts';
import { botfolio } from '../helpers/cli.ts';

const config = specConfig();
/** The stored state, read in-process (no runtime to start). */
const stateIn = (data: string) =>
  withLocalStore(config, data, (store) => store.portfolio.load('main'));

describe('botfolio halt and resume', () => {
  it('says there is nothing to halt before the first cycle', () => {
    const data = mkdtempSync(join(tmpdir(), 'botfolio-op-'));
    const r = botfolio('halt', '--data', data);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no state yet/);
  });

  it('halts a portfolio until resume, which restarts the drawdown from the equity now', async () => {
    const data = mkdtempSync(join(tmpdir(), 'botfolio-op-'));
    expect(botfolio('cycle', '--once', '--data', data).code).toBe(0);

    const halted = botfolio('halt', '--data', data);
    expect(halted.code).toBe(0);
    expect(halted.stdout).toMatch(/halted: no allocation, refill or rebalance into a bot/);
    expect((await stateIn(data))?.flags).toEqual({ halted: true, blackSwan: false });
    expect(botfolio('cycle', '--once', '--data', data).stdout).toMatch(/mode halted/);

    // A bot blocked by no_refill_policy, as a black-swan episode would leave it.
    await withLocalStore(config, data, (store) =>
      store.portfolio.setRefillBlocked('main', '4h_swing_btc', true),
    );

    const resumed = botfolio('resume', '--data', data, '--unblock', '4h_swing_btc');
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(
      /portfolio main resumed; the emergency stop now counts its drawdown from \d+\.\d\d USDT/,
    );
    expect(resumed.stdout).toMatch(/4h_swing_btc: refills unblocked/);
    const state = await stateIn(data);
    if (!state) throw new Error('the state vanished');
    expect(state.flags.halted).toBe(false);
    expect(state.bots.get('4h_swing_btc')?.refillBlocked).toBe(false);
    expect(state.peakEquity).toBe(portfolioEquity(state));
  }, 180_000);

  it('refuses to unblock a bot the config does not know', () => {
    const data = mkdtempSync(join(tmpdir(), 'botfolio-op-'));
    const r = botfolio('resume', '--data', data, '--unblock', 'ghost');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--unblock ghost: bot not in the config/);
  });
});

describe('botfolio confirm-balance', () => {
  it('records the confirmed balance, when, why and by whom, for the next cycle', async () => {
    // Prepare
    const data = mkdtempSync(join(tmpdir(), 'botfolio-op-'));
    expect(botfolio('cycle', '--once', '--data', data).code).toBe(0);
    // Act
    const r = botfolio(
      'confirm-balance',
      '1h_lorentzian_sol',
      '--amount',
      '5000',
      '--reason',
      'deposited 4850 by hand',
      '--data',
      data,
    );
    // Assess
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^1h_lorentzian_sol: balance 5000 USDT confirmed by .+ \(deposited 4850 by hand\); the next cycle believes a reading of it, or of up to 10 × 5000 \(max_plausible_jump\), and that reading ends the confirmation\n$/,
    );
    const confirmed = (await stateIn(data))?.confirmedBalances?.get('1h_lorentzian_sol');
    expect(confirmed).toMatchObject({ balance: money(5000), reason: 'deposited 4850 by hand' });
    expect(Date.parse(confirmed?.at ?? '')).not.toBeNaN();
  }, 180_000);

  it('names each thing wrong with its input: an unknown bot, an amount that is not one, an empty reason', () => {
    const r = botfolio('confirm-balance', 'ghost', '--amount', '5k', '--reason', ' ');
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('ghost: bot not in the config (bots: 1h_lorentzian_sol, ');
    expect(r.stderr).toContain(
      '--amount "5k": expected the balance, an amount above 0 such as 5000 or 5000.25',
    );
    expect(r.stderr).toContain('--reason: say why the balance is real');
  });

  it('refuses a confirmation without a reason', () => {
    const r = botfolio('confirm-balance', '1h_lorentzian_sol', '--amount', '5000');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("required option '--reason <text>' not specified");
  });

  it('refuses a negative amount', () => {
    const r = botfolio('confirm-balance', '1h_lorentzian_sol', '--amount=-5', '--reason', 'x');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('--amount "-5": expected the balance, an amount above 0');
  });
});
