/**
 * `botfolio reconcile` on a local data folder: the books against the master account, and every
 * bot's sub-account as read — a booked bot's PnL, books the config dropped, unbooked money.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { specFile, withPaths } from '../core/fixtures.ts';
import { botfolio } from '../helpers/cli.ts';

describe('botfolio reconcile', () => {
  let data: string;
  beforeAll(() => {
    data = mkdtempSync(join(tmpdir(), 'botfolio-reconcile-'));
    const first = botfolio('cycle', '--once', '--data', data);
    expect(first.code, first.stderr).toBe(0);
  }, 120_000);

  it("lists each bot's sub-account against its capital base, and exits 0 when the books agree", () => {
    const r = botfolio('reconcile', '--data', data);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/books +agree: reserves 500\.00 = master accounts/);
    expect(r.stdout).toMatch(/its PnL, not a mismatch/);
    expect(r.stdout).toMatch(
      /sub-acct +1h_lorentzian_sol \(bitget 6712345678\): 150\.00 = capital base 150\.00 \+ PnL 0\.00/,
    );
  });

  it('reads a bot the config dropped at its booked sub-account, and gives the JSON form', () => {
    const dir = mkdtempSync(join(tmpdir(), 'botfolio-reconcile-cfg-'));
    const config = join(dir, 'portfolio.json');
    writeFileSync(config, JSON.stringify(withPaths(specFile(), { 'bots[1].bot_id': 'swing_v2' })));
    const text = botfolio('reconcile', '-c', config, '--data', data);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(
      /sub-acct +4h_swing_btc \(bitget 6712345679\): 150\.00 = capital base 150\.00 \+ PnL 0\.00, booked but not in the config/,
    );
    expect(text.stdout).toMatch(
      /swing_v2 .*no books of its own: the account is booked to 4h_swing_btc/,
    );
    const json = JSON.parse(botfolio('reconcile', '-c', config, '--data', data, '--json').stdout);
    expect(json.books).toMatchObject({ checked: true, agree: true });
    expect(json.subAccounts).toContainEqual(
      expect.objectContaining({
        botId: '4h_swing_btc',
        books: 'not_in_config',
        balance: '150.00000000',
        pnl: '0.00000000',
      }),
    );
  });
});
