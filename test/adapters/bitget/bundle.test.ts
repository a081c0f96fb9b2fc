/**
 * The Lambda bundles carry ccxt's classes of the exchanges the config names and nothing else of
 * ccxt's ~100 exchanges, and stay small: the example's Bitget, and a config of each exchange. Built with esbuild's options as the stack passes them (lib/function.ts); esbuild's
 * metafile says which files went in.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build, type Metafile } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { REAL_EXCHANGES } from '../../../functions/adapters/exchanges.ts';
import { ESBUILD_OPTIONS, exchangeDefines } from '../../../lib/function.ts';
import { HANDLER_ENTRIES } from '../../../lib/stack.ts';
import { startFakeBitget } from '../../helpers/fake-bitget.ts';

const CCXT_SRC = 'node_modules/ccxt/js/src/';
/** A bundled file's path inside ccxt's sources, or undefined when it is not ccxt's. */
const inCcxt = (input: string): string | undefined => {
  const at = input.indexOf(CCXT_SRC);
  return at < 0 ? undefined : input.slice(at + CCXT_SRC.length);
};
const MAX_BUNDLE_BYTES = 1.5 * 1024 * 1024;

interface Bundle {
  readonly bytes: number;
  readonly inputs: readonly string[];
}

const bundles = new Map<string, Bundle>();
/** The cycle bundle of a config naming one exchange, by exchange. */
const cycleOf = new Map<string, Bundle>();

/** `entry` bundled as the stack bundles it for a config naming `exchanges`. */
async function bundleOf(entry: string, exchanges: readonly string[]): Promise<Bundle> {
  const result = await build({
    ...ESBUILD_OPTIONS,
    external: [...ESBUILD_OPTIONS.external],
    mainFields: [...ESBUILD_OPTIONS.mainFields],
    define: exchangeDefines(exchanges),
    entryPoints: [entry],
    outfile: 'index.mjs',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const output = result.outputFiles?.find((f) => f.path.endsWith('index.mjs'));
  return {
    bytes: output?.contents.byteLength ?? 0,
    inputs: Object.keys((result.metafile as Metafile).inputs),
  };
}

/** ccxt's exchange modules in a bundle (top-level modules of js/src and their abstract twins). */
const ccxtExchangesIn = (b: Bundle) =>
  b.inputs
    .flatMap((f) => inCcxt(f) ?? [])
    .filter((f) => /^(abstract\/|pro\/)?[a-z0-9]+\.js$/.test(f))
    .sort();

beforeAll(async () => {
  // The example portfolio names Bitget alone.
  for (const [name, entry] of Object.entries(HANDLER_ENTRIES)) {
    bundles.set(name, await bundleOf(entry, ['bitget']));
  }
  for (const exchange of REAL_EXCHANGES) {
    cycleOf.set(exchange, await bundleOf(HANDLER_ENTRIES.cycle, [exchange]));
  }
}, 120_000);

describe.each(REAL_EXCHANGES)('the cycle bundle of a config naming %s alone', (exchange) => {
  const bundle = () => cycleOf.get(exchange) ?? { bytes: 0, inputs: [] };

  it('carries that exchange’s ccxt class and no other', () => {
    expect(ccxtExchangesIn(bundle())).toEqual([`abstract/${exchange}.js`, `${exchange}.js`]);
  });

  it('is at most 1.5 MB', () => {
    expect(bundle().bytes).toBeGreaterThan(0);
    expect(bundle().bytes).toBeLessThanOrEqual(MAX_BUNDLE_BYTES);
  });
});

/** Functions that never talk to an exchange: no ccxt in them at all. */
const WITHOUT_EXCHANGE = new Set(['alertChannels', 'heartbeat']);

describe.each(Object.keys(HANDLER_ENTRIES))('the %s bundle', (name) => {
  const bundle = () => bundles.get(name) ?? { bytes: 0, inputs: [] };

  it('contains ccxt’s Bitget class and no other exchange of ccxt (none where it talks to no exchange)', () => {
    expect(ccxtExchangesIn(bundle())).toEqual(
      WITHOUT_EXCHANGE.has(name) ? [] : ['abstract/bitget.js', 'bitget.js'],
    );
  });

  it('leaves out what a REST client never loads (undici, protobuf codecs)', () => {
    expect(
      bundle().inputs.filter((f) => /undici|protobuf|dydx-v4-client\/(registry|cosmos)/.test(f)),
    ).toEqual([]);
  });

  it('is at most 1.5 MB', () => {
    expect(bundle().bytes).toBeGreaterThan(0);
    expect(bundle().bytes).toBeLessThanOrEqual(MAX_BUNDLE_BYTES);
  });
});

describe('the Bitget adapter as bundled', () => {
  it('talks to Bitget through Node’s built-in fetch when undici is not there (as in Lambda)', async () => {
    // Prepare: bundled as the stack bundles, run from a folder without node_modules
    const dir = mkdtempSync(join(tmpdir(), 'botfolio-bundled-'));
    await build({
      ...ESBUILD_OPTIONS,
      external: [...ESBUILD_OPTIONS.external],
      mainFields: [...ESBUILD_OPTIONS.mainFields],
      entryPoints: [fileURLToPath(new URL('./bundled-client.ts', import.meta.url))],
      outfile: join(dir, 'index.mjs'),
      logLevel: 'silent',
    });
    const fake = await startFakeBitget({
      master: { spot: { USDT: 100 } },
      subAccounts: { '6712345678': { futures: { USDT: 7 } } },
    });
    try {
      const k = fake.masterKey;
      // Act (asynchronously: the fake server answers from this process)
      const { stdout } = await promisify(execFile)(
        process.execPath,
        [join(dir, 'index.mjs'), fake.url, k.apiKey, k.secret, k.passphrase],
        { cwd: dir, timeout: 30_000 },
      );
      // Assess
      expect(JSON.parse(stdout)).toEqual({
        balance: '700000000',
        status: 'completed',
        undici: false,
      });
      expect(fake.requests.every((r) => r.signed && r.status === 200)).toBe(true);
    } finally {
      await fake.close();
    }
  });
});
