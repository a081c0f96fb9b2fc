/** The CLI as a user runs it: `npm run --silent botfolio -- …` is `tsx bin/botfolio.ts …`. */
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';

/** The checkout's root folder. */
export const root = new URL('../..', import.meta.url).pathname;

/** Runs `botfolio <args>` from the checkout; its exit code and output. */
export function botfolio(...args: string[]) {
  const r = spawnSync(join(root, 'node_modules/.bin/tsx'), ['bin/botfolio.ts', ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * `botfolio <args>` without blocking this process: for a CLI call that waits on a server the test
 * itself runs (the cloud test's fake Bitget, reached through the deployed functions).
 */
export function botfolioAsync(
  ...args: string[]
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return tsxAsync('bin/botfolio.ts', ...args);
}

/** A TypeScript file of the checkout run with tsx, without blocking this process. */
export function tsxAsync(
  file: string,
  ...args: string[]
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(join(root, 'node_modules/.bin/tsx'), [file, ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 60_000,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  return new Promise((ok) => child.on('close', (code) => ok({ code, stdout, stderr })));
}
