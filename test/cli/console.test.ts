/**
 * The console's small promises: a version, defaults in the help, `cycle` without `--once`, a
 * `--interval` for `run` and the next cycle's time while it waits, `demo --cycles 0`, options that
 * need another refused, and Ctrl+C ending `run` and `demo` alike (exit 130 once the cycle is done).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { demo } from '../../functions/local/commands/demo.ts';
import { run } from '../../functions/local/commands/run.ts';
import { specConfig } from '../core/fixtures.ts';
import { botfolio, root } from '../helpers/cli.ts';

const tempDir = () => mkdtempSync(join(tmpdir(), 'botfolio-console-'));

/** Starts `botfolio <args>`, sends SIGINT once `ready` shows on stdout; its exit code and output. */
function interrupted(ready: RegExp, ...args: string[]) {
  // tsx as a loader in this one process: the signal reaches the CLI itself, as on a terminal
  const child = spawn(process.execPath, ['--import', 'tsx', 'bin/botfolio.ts', ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let sent = false;
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    if (!sent && ready.test(stdout)) {
      sent = true;
      child.kill('SIGINT');
    }
  });
  return new Promise<{ code: number | null; stdout: string }>((resolve) =>
    child.on('close', (code) => resolve({ code, stdout })),
  );
}

describe('the botfolio console', () => {
  it('prints its version', () => {
    const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    const r = botfolio('--version');
    expect(r.stdout).toBe(`${version}\n`);
    expect(r.code).toBe(0);
  });

  it('shows the defaults in the help, the data folder included', () => {
    const r = botfolio('status', '--help');
    expect(r.stdout).toMatch(/default:\s+\.local\/<portfolio_id>/);
    expect(r.stdout).toMatch(/default:\s+"examples\/spec-portfolio\.json"/);
  });

  it('runs one cycle on `cycle`, without --once', () => {
    const r = botfolio('cycle', '--data', tempDir());
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^cycle \S+: mode normal, 4 transfer\(s\)/);
    expect(r.code).toBe(0);
  }, 60_000);

  it('refuses `state --dry-run` without --rebuild instead of ignoring it', () => {
    const r = botfolio('state', '--dry-run', '--data', tempDir());
    expect(r.stderr).toBe('--dry-run goes with --rebuild: `state` alone changes nothing\n');
    expect(r.code).toBe(1);
  });

  it('refuses an --interval outside whole seconds from 1s to 1d, naming it', () => {
    const r = botfolio('run', '--interval', '2d', '--cycles', '1');
    expect(r.stderr).toMatch(/--interval 2d: expected whole seconds from "1s" to "1d"/);
    expect(r.code).toBe(1);
  });

  it('says when the next cycle runs while run waits', async () => {
    const out: string[] = [];
    const code = await run({
      config: specConfig(),
      exchange: 'paper',
      dataDir: tempDir(),
      dryRun: true,
      cycles: 2,
      intervalMs: 0,
      now: () => new Date('2026-11-20T12:00:00Z'),
      out: (l) => out.push(l),
    });
    expect(code).toBe(0);
    expect(out.filter((l) => l.includes('next cycle at 2026-11-20 12:00:00 UTC'))).toHaveLength(1);
  });

  it('runs a demo of no cycle and exits 0', async () => {
    const out: string[] = [];
    const code = await demo({
      config: specConfig(),
      cycles: 0,
      seed: 1,
      quiet: true,
      delayMs: 0,
      out: (l) => out.push(l),
    });
    expect(code).toBe(0);
    expect(out.join('\n')).toMatch(/no cycle run/);
  });

  it('ends run and demo alike on Ctrl+C: the cycle finishes, then exit 130', async () => {
    const [r, d] = await Promise.all([
      interrupted(/next cycle at/, 'run', '--interval', '1m', '--data', tempDir()),
      interrupted(/^cycle +1 /m, 'demo', '--quiet', '--delay', '0', '--cycles', '100000'),
    ]);
    expect(r.stdout).toMatch(/stopping after this cycle/);
    expect(r.code).toBe(130);
    expect({ code: d.code, summary: /Demo summary/.test(d.stdout) }).toEqual({
      code: 130,
      summary: true,
    });
  }, 120_000);
});
