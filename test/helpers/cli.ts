/** The CLI as a user runs it: `npm run --silent botfolio -- …` is `tsx bin/botfolio.ts …`. */
import { spawnSync } from 'node:child_process';
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
