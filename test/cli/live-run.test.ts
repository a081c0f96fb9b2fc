/**
 * Operating while `botfolio run` runs (README, "Operating while `run` runs"): from a second
 * process, `halt` takes effect before the loop's next transfer into a bot starts, while the loop
 * goes on; `status`, `transfers` and `reconcile` answer beside it; `cycle --once` is refused.
 * Every process is a child started as a user would, every wait is bounded.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { BotSimulator } from '../../functions/adapters/paper/market.ts';
import { money } from '../../functions/core/money.ts';
import { addsRisk, TRANSFER_STATUSES } from '../../functions/core/transfer.ts';
import { LIVE_FILE, readLive } from '../../functions/local/live.ts';
import { withLocalStore } from '../../functions/local/local-store.ts';
import { specConfig, specFile, withPaths } from '../core/fixtures.ts';
import { botfolioAsync, root } from '../helpers/cli.ts';

const UIDS = ['6712345678', '6712345679', '6712345680', '6712345681'];

let loop: ChildProcess | undefined;
afterEach(() => {
  if (loop && loop.exitCode === null) loop.kill('SIGKILL');
  loop = undefined;
});

/** Polls `ok` every 200 ms; fails with `what` after `ms`. */
async function until(what: string, ms: number, ok: () => boolean): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(200);
  }
}

describe('operator commands while botfolio run runs', () => {
  it('halts the loop from a second process before its next transfer into a bot, while status, transfers and reconcile answer beside it', async () => {
    // Prepare: a cycle every 2 s; bots that stay flat but for two falls to 24 % (a refill is due
    // at ≤ 25 % of the capital base) at the 6th and the 13th cycle, the last surely after the
    // halt. Black-swan protection off and falls too small for the emergency stop: nothing but
    // the operator's halt holds a refill back.
    const dir = mkdtempSync(join(tmpdir(), 'botfolio-live-run-'));
    const data = join(dir, 'data');
    mkdirSync(data);
    const configFile = join(dir, 'portfolio.json');
    writeFileSync(
      configFile,
      JSON.stringify(
        withPaths(specFile(), {
          'black_swan_protection.enabled': false,
        }),
      ),
    );
    const fall = (at: number) => Array.from({ length: at + 1 }, (_, i) => (i === at ? 0.24 : 1));
    const market = new BotSimulator({
      seed: 1,
      profiles: {
        [UIDS[0] as string]: { replay: [] },
        [UIDS[1] as string]: { replay: [] },
        [UIDS[2] as string]: { replay: fall(5) },
        [UIDS[3] as string]: { replay: fall(12) },
      },
    });
    writeFileSync(join(data, 'market.json'), JSON.stringify(market.toJSON()));
    const cli = (...args: string[]) => botfolioAsync(...args, '-c', configFile, '-d', data);

    let out = '';
    loop = spawn(
      join(root, 'node_modules/.bin/tsx'),
      ['bin/botfolio.ts', 'run', '-c', configFile, '-d', data, '--interval', '2s'],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    loop.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
    });
    loop.stderr?.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const exited = new Promise<number | null>((ok) => loop?.on('exit', (code) => ok(code)));
    const cycles = () => out.split('\n').filter((l) => l.startsWith('cycle '));
    await until('the loop’s first cycle', 90_000, () => cycles().length >= 1);
    expect(out).toMatch(
      /allocation\s+150\.00 reserve:low_frequency → bot:1h_lorentzian_sol: completed/,
    );

    // Act: halt from a second process while the loop runs.
    const halt = await cli('halt');
    const haltedAt = new Date().toISOString();
    const cyclesBeforeHalt = cycles().length;
    // Beside it, at once: the books, the journal, reconciliation (sent to the loop), a cycle.
    const [status, transfers, reconcile, cycleOnce] = await Promise.all([
      cli('status'),
      cli('transfers'),
      cli('reconcile'),
      cli('cycle', '--once'),
    ]);
    await until('three more cycles of the loop, past the last fall', 120_000, () => {
      const n = cycles().length;
      return n >= cyclesBeforeHalt + 3 && n >= 14;
    });
    loop.kill('SIGINT');
    const code = await Promise.race([exited, sleep(60_000).then(() => 'still running')]);

    // Assess: every command answered as it does without a loop.
    expect(halt).toMatchObject({ code: 0, stderr: '' });
    expect(halt.stdout).toMatch(/portfolio main halted/);
    expect(status).toMatchObject({ code: 0, stderr: '' });
    expect(status.stdout).toMatch(/BOTFOLIO · main .* mode HALTED/);
    expect(transfers).toMatchObject({ code: 0, stderr: '' });
    expect(transfers.stdout).toMatch(
      /allocation +150\.00 +reserve low_frequency +bot 1h_lorentzian_sol .* completed/,
    );
    expect(reconcile).toMatchObject({ code: 0, stderr: '' });
    expect(reconcile.stdout).toMatch(/books +agree: reserves/);
    expect(cycleOnce.code).toBe(1);
    expect(cycleOnce.stderr).toMatch(
      /is in use by botfolio run \(pid \d+\), which runs the cycles and holds the exchange/,
    );
    // The loop kept running, halted, and stopped cleanly, withdrawing its live.json.
    expect(
      cyclesBeforeHalt,
      'the halt must land before the last fall (machine too slow?)',
    ).toBeLessThan(10);
    const after = cycles().slice(cyclesBeforeHalt + 1);
    expect(after.length).toBeGreaterThanOrEqual(2);
    for (const line of after) expect(line, out).toMatch(/mode halted/);
    expect(code, 'Ctrl+C: the shell’s code for SIGINT, after the cycle under way').toBe(130);
    expect(existsSync(join(data, LIVE_FILE))).toBe(false);
    expect(out).not.toMatch(/cycle failed/);

    // No transfer into a bot planned after the halt ran (or, planned by a cycle that had read the
    // books just before, it was refused at validate); yet a bot sits at its refill trigger.
    const config = specConfig();
    const { entries, state } = await withLocalStore(config, data, async (stores) => ({
      entries: await stores.journal.byStatus('main', TRANSFER_STATUSES),
      state: await stores.portfolio.load('main'),
    }));
    const intoBots = entries.filter((e) => addsRisk(e) && e.createdAt > haltedAt);
    for (const e of intoBots) {
      expect({ id: e.id, status: e.status, error: e.error }).toMatchObject({
        status: 'rejected',
        error: expect.stringMatching(/refused while halted/),
      });
    }
    const due = [...(state?.bots ?? new Map()).values()].filter(
      (b) => b.balance !== null && b.balance * 4n <= b.capitalBase && b.capitalBase > money(0),
    );
    expect(due.length, `a fall after the halt, not refilled\n${out}`).toBeGreaterThanOrEqual(1);
    expect(state?.flags.halted).toBe(true);
    expect(readLive(data)).toBeUndefined();
  }, 300_000);
});
