/**
 * The operator's coordinated stop, as an operator runs it on a local data folder: `botfolio halt`
 * with `emergency_stop.pause_bots` pauses the Freqtrade bot (a fake API on 127.0.0.1, its
 * password in the env var its `password_secret` names) and journals the answers; `transfers`
 * shows the operation; `resume` names the bots to restart by hand, in its text and its `--json`.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { botfolioAsync, root } from '../helpers/cli.ts';
import { type FakeFreqtrade, startFakeFreqtrade } from '../helpers/fake-freqtrade.ts';

const PASSWORD_ENV = 'BOTFOLIO_TEST_FT_STOP_PASSWORD';
let ft: FakeFreqtrade;
beforeEach(async () => {
  ft = await startFakeFreqtrade('botfolio', 'ft-stop-pass');
  ft.lastProcessTs = Math.floor(Date.now() / 1000);
  // The commands run in child processes, which inherit it.
  process.env[PASSWORD_ENV] = 'ft-stop-pass';
});
afterEach(async () => {
  delete process.env[PASSWORD_ENV];
  await ft.close();
});

/** The spec portfolio with a Freqtrade API on its first bot and the coordinated stop on. */
function configFile(dir: string): string {
  const config = JSON.parse(readFileSync(join(root, 'examples/spec-portfolio.json'), 'utf8'));
  config.emergency_stop = { max_drawdown_percent: 25, pause_bots: true };
  config.bots[0].health = {
    freqtrade: { url: ft.url, user: 'botfolio', password_secret: PASSWORD_ENV },
  };
  const file = join(dir, 'portfolio.json');
  writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}

describe('botfolio halt with emergency_stop.pause_bots', () => {
  it('pauses the bots with a control API, journals it, and resume names the bots to restart', async () => {
    // Prepare: one cycle, so there are books.
    const dir = mkdtempSync(join(tmpdir(), 'botfolio-stop-'));
    const cli = (...args: string[]) => botfolioAsync(...args, '-c', configFile(dir), '-d', dir);
    expect((await cli('cycle', '--once')).code).toBe(0);

    // Act: halt.
    const halt = await cli('halt');
    // Assess: halted first, then the bot paused and the others named.
    expect(halt.code).toBe(0);
    expect(halt.stdout).toMatch(/halted: no allocation, refill or rebalance into a bot/);
    expect(halt.stdout).toContain(
      'coordinated stop (pause_bots): 1 of 4 bots paused (1h_lorentzian_sol); 3 not paused: 4h_swing_btc no control API, 5m_scalping_sol no control API, 15m_momentum_eth no control API — stop them by hand',
    );
    expect(halt.stdout).toMatch(/journaled as operation [0-9a-f]{8}/);
    expect(ft.stopEntries).toBe(1);

    // Act: the journal.
    const journal = await cli('transfers');
    expect(journal.stdout).toMatch(/pause_bots .*completed: 1 paused, 3 no control API/);

    // Act: halting again pauses nobody again.
    expect((await cli('halt')).stdout).toMatch(/already halted/);
    expect(ft.stopEntries).toBe(1);

    // Act: resume.
    const resumed = await cli('resume', '--json');
    // Assess
    expect(resumed.code).toBe(0);
    const json = JSON.parse(resumed.stdout);
    expect(json).toMatchObject({
      portfolio_id: 'main',
      resumed: true,
      restart_by_hand: {
        paused: ['1h_lorentzian_sol'],
        no_control_api: ['4h_swing_btc', '5m_scalping_sol', '15m_momentum_eth'],
        no_answer: [],
      },
    });
    expect(json.messages).toContain(
      'restart by hand, paused by the coordinated stop: 1h_lorentzian_sol (Freqtrade: `POST /api/v1/reload_config`, or `/start` where stopentry pauses the bot; the same in its Telegram or FreqUI)',
    );

    // A later halt and resume say nothing of the earlier stop's bots once the API is gone.
    ft.mood = 'failing';
    expect((await cli('halt')).code).toBe(0);
    const again = await cli('resume');
    expect(again.stdout).not.toMatch(/paused by the coordinated stop/);
    expect(again.stdout).toMatch(
      /restart by hand if you stopped them, no control API: 4h_swing_btc/,
    );
  }, 180_000);
});
