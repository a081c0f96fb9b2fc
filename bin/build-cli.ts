/**
 * Builds the CLI as it ships: `dist/botfolio.mjs`, one esbuild bundle of `bin/botfolio.ts` split
 * at each command's `await import`, so a command loads only its own code (`status` neither ccxt
 * nor CDK) and Node starts it without compiling TypeScript. `npm ci` runs it (`prepare`); run
 * `npm run build` after changing the code. Tests run the sources (tsx), not this bundle.
 *
 * Left out of the bundle and loaded from node_modules: dynalite (it loads LevelDB's native
 * add-on), CDK (aws-cdk-lib reads its own files at run time; only commands that synthesize load
 * it), and ccxt's imports a REST client never makes (as in the Lambda bundles).
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { type BuildOptions, build } from 'esbuild';
import { CCXT_UNUSED_IMPORTS, ESM_REQUIRE_BANNER } from '../lib/bundle-options.ts';

/** `dist`, or the folder after `--outdir` (the tests build a copy of their own). */
const outIndex = process.argv.indexOf('--outdir');
const CLI_OUT_DIR = (outIndex > 0 && process.argv[outIndex + 1]) || 'dist';

/**
 * The build's id: a hash of every source and the locked dependencies, so a config the CLI has
 * validated is validated again by any other build (functions/local/config-memo.ts).
 */
const sources = [
  'package-lock.json',
  ...readdirSync('bin', { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => `bin/${f}`)
    .sort(),
].concat(
  readdirSync('functions', { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => `functions/${f}`)
    .sort(),
);
const buildId = sources
  .reduce(
    (h, f) => h.update(f).update('\0').update(readFileSync(f)).update('\0'),
    createHash('sha256'),
  )
  .digest('hex');

/** How every build bundles: ESM split at each `await import`, our packages outside the bundle. */
const bundled = {
  outdir: CLI_OUT_DIR,
  outExtension: { '.js': '.mjs' },
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  mainFields: ['module', 'main'],
  sourcemap: true,
  sourcesContent: false,
  // Error classes name themselves and messages print those names.
  keepNames: true,
  define: {
    'process.env.BOTFOLIO_CLI_BUNDLE': '"1"',
    __BOTFOLIO_BUILD_ID__: JSON.stringify(buildId),
  },
  banner: { js: ESM_REQUIRE_BANNER },
  external: ['dynalite', 'aws-cdk-lib', 'aws-cdk-lib/*', 'constructs', ...CCXT_UNUSED_IMPORTS],
  logLevel: 'warning',
} as const satisfies BuildOptions;

rmSync(CLI_OUT_DIR, { recursive: true, force: true });
await build({
  ...bundled,
  entryPoints: {
    cli: 'bin/botfolio.ts',
    // forked by the chaos campaign (functions/local/chaos/campaign.ts finds it beside its chunk)
    'chaos-worker': 'functions/local/chaos/worker.ts',
    // started by `backtest --sweep` (functions/local/commands/sweep.ts finds it beside its chunk)
    'sweep-worker': 'functions/local/commands/sweep-worker.ts',
    // imported by the entry before the CLI, so it runs before any schema is built
    'zod-jitless': 'functions/local/zod-jitless.ts',
  },
  chunkNames: 'chunk-[hash]',
});
// Each of the console's read-only commands on its own (bin/console/<name>.ts): a build apart per
// command, of a program defining only it with its module bundled in, so `status` loads 10 files
// instead of 30 — esbuild cuts chunks by which entries reach a module, and beside the other
// commands and their `await import`s its code came in 20 pieces. A process runs one build only.
const consoleCommands = readdirSync('bin/console')
  .filter((f) => f.endsWith('.ts'))
  .map((f) => f.slice(0, -'.ts'.length))
  .sort();
for (const name of consoleCommands) {
  await build({
    ...bundled,
    entryPoints: { [name]: `bin/console/${name}.ts` },
    chunkNames: `${name}-[hash]`,
  });
}

// dynalite's LevelDB library (`level`, found from dynalite as store-file.ts finds it) as one file
// beside the chunks, for status's reader of the store: CommonJS, with the native add-on loaded
// from where npm installed it. Its path is found now, as node-gyp-build finds it (from dynalite,
// through level and classic-level), and kept relative to the bundle: the search costs `status`
// ~10 ms of module resolution. Should node_modules change under dist, it is searched at run time.
const fromDynalite = createRequire(createRequire(import.meta.url).resolve('dynalite'));
const classicLevel = dirname(
  createRequire(fromDynalite.resolve('level')).resolve('classic-level/package.json'),
);
const addOn = relative(
  resolve(CLI_OUT_DIR),
  createRequire(join(classicLevel, 'package.json'))('node-gyp-build').path(classicLevel),
);
await build({
  entryPoints: [fromDynalite.resolve('level')],
  outfile: `${CLI_OUT_DIR}/level.cjs`,
  external: ['dynalite'],
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node22',
  logLevel: 'warning',
  plugins: [
    {
      name: 'classic-level-add-on',
      setup(b) {
        b.onLoad({ filter: /classic-level[\\/]binding\.js$/ }, () => ({
          loader: 'js',
          contents: `const { existsSync } = require('node:fs');
const { createRequire } = require('node:module');
const { dirname, join } = require('node:path');
const addOn = join(__dirname, ${JSON.stringify(addOn)});
if (existsSync(addOn)) {
  module.exports = require(addOn);
} else {
  const fromLevel = createRequire(createRequire(require.resolve('dynalite')).resolve('level'));
  const manifest = fromLevel.resolve('classic-level/package.json');
  module.exports = createRequire(manifest)('node-gyp-build')(dirname(manifest));
}
`,
        }));
      },
    },
  ],
});

// The entry: turns on Node's compile cache (V8's code for every module, kept in the temp folder)
// before the CLI loads, so from the second run on Node does not compile the bundle again, and
// starts a console command's own build (which sets zod up itself), or for anything else (help, a
// typo, the other commands) sets zod up before the whole CLI's modules build their schemas (in
// the bundle, the CLI's own import of zod-jitless.ts would run after the chunks it imports).
writeFileSync(
  `${CLI_OUT_DIR}/botfolio.mjs`,
  `#!/usr/bin/env node
import module from 'node:module';
module.enableCompileCache?.();
const own = ${JSON.stringify(consoleCommands)};
if (own.includes(process.argv[2])) {
  await import(\`./\${process.argv[2]}.mjs\`);
} else {
  await import('./zod-jitless.mjs');
  await import('./cli.mjs');
}
`,
  { mode: 0o755 },
);
