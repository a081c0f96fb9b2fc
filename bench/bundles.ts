/**
 * Bundles built as the stack builds them (lib/function.ts's esbuild options), and how long a fresh
 * Node process takes to import the slim one (ccxt's Bitget class alone) against the whole ccxt
 * library — each in its own child process, several runs interleaved, medians.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { REAL_EXCHANGES } from '../functions/adapters/exchanges.ts';
import { ESBUILD_OPTIONS, exchangeDefines } from '../lib/function.ts';
import { HANDLER_ENTRIES } from '../lib/stack.ts';

export const ROOT = fileURLToPath(new URL('../', import.meta.url));
/** The module that imports ccxt's Bitget class: what the Lambdas carry of ccxt. */
const SLIM_ENTRY = join(ROOT, 'functions/adapters/bitget/ccxt.ts');
const CCXT_SRC = 'node_modules/ccxt/js/src/';

export interface BuiltBundle {
  readonly name: string;
  readonly file: string;
  readonly bytes: number;
  /** ccxt's exchange modules in the bundle (e.g. ['bitget']). */
  readonly ccxtExchanges: readonly string[];
}

/**
 * Bundles `entry` to `<dir>/<name>/index.mjs` with the stack's options for a config naming
 * `exchanges` (the example portfolio's Bitget by default).
 */
export async function bundle(
  name: string,
  entry: string,
  dir: string,
  exchanges: readonly string[] = ['bitget'],
): Promise<BuiltBundle> {
  const file = join(dir, name, 'index.mjs');
  const result = await build({
    ...ESBUILD_OPTIONS,
    external: [...ESBUILD_OPTIONS.external],
    mainFields: [...ESBUILD_OPTIONS.mainFields],
    define: exchangeDefines(exchanges),
    entryPoints: [entry],
    outfile: file,
    metafile: true,
    logLevel: 'silent',
  });
  const ccxtExchanges = Object.keys(result.metafile.inputs)
    .flatMap((f) => (f.includes(CCXT_SRC) ? [f.slice(f.indexOf(CCXT_SRC) + CCXT_SRC.length)] : []))
    .filter((f) => /^[a-z0-9]+\.js$/.test(f))
    .map((f) => f.replace(/\.js$/, ''));
  return { name, file, bytes: statSync(file).size, ccxtExchanges };
}

/** Both Lambda handlers bundled; the slim ccxt module bundled alone for the import timing. */
export async function buildBundles() {
  const dir = mkdtempSync(join(tmpdir(), 'botfolio-bench-'));
  const lambdas = await Promise.all(
    Object.entries(HANDLER_ENTRIES).map(([name, entry]) => bundle(name, entry, dir)),
  );
  const slim = await bundle('slim-ccxt', SLIM_ENTRY, dir);
  const cycles = await Promise.all(
    REAL_EXCHANGES.map((exchange) =>
      bundle(`cycle-${exchange}`, HANDLER_ENTRIES.cycle, dir, [exchange]),
    ),
  );
  return { lambdas, slim, cycles };
}

/** Milliseconds a fresh Node process spends in `import(specifier)` (child process, cwd = repo). */
function importMs(specifier: string): number {
  const script = `const t = performance.now(); await import(${JSON.stringify(specifier)}); process.stdout.write(String(performance.now() - t));`;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 60_000,
  });
  const ms = Number(child.stdout);
  if (child.status !== 0 || !Number.isFinite(ms)) {
    throw new Error(`import of ${specifier} failed: ${child.stderr.slice(0, 500)}`);
  }
  return ms;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/**
 * Import times, medians of `runs`, the two measured alternately in the same run: the slim bundle
 * (the Bitget class as the Lambdas carry it) and `import 'ccxt'` (the whole library, ~100
 * exchanges — what a Lambda loads without the slim import). One warm-up each is not counted.
 */
export function importTimes(slimBundle: string, runs: number) {
  const slim = pathToFileURL(slimBundle).href;
  importMs(slim);
  importMs('ccxt');
  const slimMs: number[] = [];
  const fullMs: number[] = [];
  for (let i = 0; i < runs; i++) {
    slimMs.push(importMs(slim));
    fullMs.push(importMs('ccxt'));
  }
  return { slim: median(slimMs), full: median(fullMs), slimRuns: slimMs, fullRuns: fullMs };
}
