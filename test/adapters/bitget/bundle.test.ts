/**
 * The Lambda bundles carry ccxt's classes of the exchanges with an adapter (Bitget, Binance, OKX) and
 * nothing else of ccxt's ~100 exchanges, and stay small. Built with esbuild's options as the stack passes them (lib/function.ts); esbuild's
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
import { ESBUILD_OPTIONS } from '../../../lib/function.ts';
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

beforeAll(async () => {
  for (const [name, entry] of Object.entries(HANDLER_ENTRIES)) {
    const result = await build({
      ...ESBUILD_OPTIONS,
      external: [...ESBUILD_OPTIONS.external],
      mainFields: [...ESBUILD_OPTIONS.mainFields],
      entryPoints: [entry],
      outfile: 'index.mjs',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const output = result.outputFiles?.find((f) => f.path.endsWith('index.mjs'));
    bundles.set(name, {
      bytes: output?.contents.byteLength ?? 0,
      inputs: Object.keys((result.metafile as Metafile).inputs),
    });
  }
});

describe.each(Object.keys(HANDLER_ENTRIES))('the %s bundle', (name) => {
  const bundle = () => bundles.get(name) ?? { bytes: 0, inputs: [] };

  it('contains ccxt’s Bitget, Binance and OKX classes', () => {
    expect(bundle().inputs.map(inCcxt)).toEqual(
      expect.arrayContaining(['bitget.js', 'binance.js', 'okx.js']),
    );
  });

  it('contains no other exchange of ccxt', () => {
    // Exchanges are the top-level modules of js/src (and their abstract/ and pro/ twins).
    const exchanges = bundle()
      .inputs.flatMap((f) => inCcxt(f) ?? [])
      .filter((f) => /^(abstract\/|pro\/)?[a-z0-9]+\.js$/.test(f));
    expect(exchanges.sort()).toEqual([
      'abstract/binance.js',
      'abstract/bitget.js',
      'abstract/okx.js',
      'binance.js',
      'bitget.js',
      'okx.js',
    ]);
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
