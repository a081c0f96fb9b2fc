/**
 * The CLI as it ships: `npm ci` builds `dist/botfolio.mjs` (bin/build-cli.ts). The build must run
 * from any folder, and a read-only command must not load what it does not use.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { root } from '../helpers/cli.ts';

const out = join(root, 'dist-test', `build-${process.pid}`);

/** Its config memo, apart from the user's (functions/local/config-memo.ts). */
const cache = join(out, 'cache');

/** Runs the built CLI with the checkout as working folder (its example config). */
function built(args: string[], nodeArgs: string[] = []) {
  const r = spawnSync(process.execPath, [...nodeArgs, join(out, 'botfolio.mjs'), ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, BOTFOLIO_CACHE_DIR: cache },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * A preload in `dir` that prints `LOADED` and the modules the process loaded when it ends: as
 * CommonJS, those in require's cache; as ESM, every module Node loaded (a load hook).
 */
function loadedProbe(dir: string, kind: 'cjs' | 'mjs'): string {
  const probe = join(dir, `probe.${kind}`);
  writeFileSync(
    probe,
    kind === 'cjs'
      ? "process.on('exit', () => process.stderr.write('LOADED ' + Object.keys(require.cache).join(' ') + '\\n'));"
      : "import { registerHooks } from 'node:module'; const seen = []; registerHooks({ load(url, c, next) { seen.push(url); return next(url, c); } }); process.on('exit', () => process.stderr.write('LOADED ' + seen.join(' ') + '\\n'));",
  );
  return probe;
}

describe('the shipped CLI build', () => {
  beforeAll(() => {
    const build = spawnSync(
      join(root, 'node_modules/.bin/tsx'),
      ['bin/build-cli.ts', '--outdir', out],
      { cwd: root, encoding: 'utf8', timeout: 120_000 },
    );
    expect(build.stderr).toBe('');
    expect(build.status).toBe(0);
  }, 120_000);
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('validates a config', () => {
    const r = built(['validate', 'examples/spec-portfolio.json']);
    expect(r.stdout).toMatch(/valid — portfolio main/);
    expect(r.code).toBe(0);
  });

  it('runs a sweep in its worker threads (their module ships beside the CLI)', () => {
    // Prepare: two parameter sets over the example curves
    const dir = mkdtempSync(join(tmpdir(), 'botfolio-build-'));
    const sweep = join(dir, 'sweep.json');
    writeFileSync(
      sweep,
      JSON.stringify({
        mode: 'grid',
        parameters: { 'pools.low_frequency.harvest_threshold': [1.2, 1.3] },
      }),
    );
    // Act
    const r = built([
      'backtest',
      '-c',
      'examples/spec-portfolio.json',
      '--curves',
      'examples/spec-curves.csv',
      '--sweep',
      sweep,
      '--json',
    ]);
    // Assess
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.stringify(JSON.parse(r.stdout))).toContain('harvest_threshold');
  });

  it('answers `status` on an empty data folder without loading CDK', () => {
    // Prepare: a preload that lists the CommonJS modules loaded when the process ends
    const dir = mkdtempSync(join(tmpdir(), 'botfolio-build-'));
    const probe = loadedProbe(dir, 'cjs');
    // Act
    const r = built(['status', '--data', join(dir, 'data')], ['--require', probe]);
    // Assess
    expect(r.stderr).toMatch(/no state yet in .*data: run `botfolio cycle/);
    expect(r.code).toBe(1);
    const loaded = r.stderr.split('LOADED ')[1] ?? '';
    expect(loaded).toContain('dynalite');
    expect(loaded).not.toContain('aws-cdk-lib');
  });

  it('answers `status` on a data folder from the store files, without starting dynalite', () => {
    // Prepare: books written by one cycle, and the preload listing the CommonJS modules loaded
    const dir = mkdtempSync(join(tmpdir(), 'botfolio-build-'));
    const data = join(dir, 'data');
    expect(built(['cycle', '--data', data]).code).toBe(0);
    const probe = loadedProbe(dir, 'cjs');
    // Act
    const r = built(['status', '--data', data], ['--require', probe]);
    // Assess
    expect(r.stdout).toMatch(/^BOTFOLIO · main /);
    expect(r.code).toBe(0);
    const loaded = r.stderr.split('LOADED ')[1] ?? '';
    expect(loaded).toContain('level.cjs');
    expect(loaded).not.toContain('dynalite');
  });

  it('starts each console command from its own build, defined as in the whole CLI', () => {
    // Prepare: a preload listing the modules loaded
    const dir = mkdtempSync(join(tmpdir(), 'botfolio-build-'));
    const probe = loadedProbe(dir, 'mjs');
    for (const command of ['status', 'state', 'transfers', 'bot']) {
      // Act
      const own = built([command, '--help'], ['--import', probe]);
      const whole = spawnSync(process.execPath, [join(out, 'cli.mjs'), command, '--help'], {
        cwd: root,
        encoding: 'utf8',
      });
      // Assess: the same help (options, defaults, descriptions), from the command's own files
      expect(own.code).toBe(0);
      expect(own.stdout).toBe(whole.stdout);
      const loaded = own.stderr.split('LOADED ')[1] ?? '';
      expect(loaded).toContain(`/${command}.mjs`);
      expect(loaded).not.toContain('/cli.mjs');
    }
    // Anything else goes to the whole CLI
    const help = built(['--help'], ['--import', probe]);
    expect(help.stdout).toMatch(/status.*\n[\s\S]*backtest/);
    expect(help.stderr).toContain('/cli.mjs');
  });

  it('answers `status` again from its config memo without loading zod or the AWS SDK, the same board', () => {
    // Prepare: books written by one cycle; a first `status` validates the config and remembers it
    const dir = mkdtempSync(join(tmpdir(), 'botfolio-build-'));
    const data = join(dir, 'data');
    expect(built(['cycle', '--data', data]).code).toBe(0);
    const first = built(['status', '--data', data]);
    const probe = loadedProbe(dir, 'mjs');
    // Act
    const again = built(['status', '--data', data], ['--import', probe]);
    // Assess
    expect(first.code).toBe(0);
    expect(readdirSync(cache).some((f) => f.startsWith('config-'))).toBe(true);
    expect(again.code).toBe(0);
    expect(again.stdout.replace(/\d\d:\d\d UTC/g, '')).toBe(
      first.stdout.replace(/\d\d:\d\d UTC/g, ''),
    );
    const loaded = again.stderr.split('LOADED ')[1] ?? '';
    expect(loaded).toContain('level.cjs');
    // Neither zod nor the AWS SDK: each chunk names the modules it holds in a comment.
    const chunksOf = (module: string) =>
      readdirSync(out).filter(
        (f) => f.endsWith('.mjs') && readFileSync(join(out, f), 'utf8').includes(`// ${module}`),
      );
    const heavy = [
      ...chunksOf('node_modules/zod/v4/core/core.js'),
      ...chunksOf('node_modules/@aws-sdk/'),
      ...chunksOf('node_modules/@smithy/'),
    ];
    expect(heavy.length).toBeGreaterThan(2);
    for (const chunk of heavy) expect(loaded).not.toContain(chunk);
  });
});
