/** `botfolio halt` / `botfolio resume` on a local data folder, as an operator runs them. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
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
