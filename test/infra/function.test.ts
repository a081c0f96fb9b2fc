import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, Stack } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { BotfolioFunction, BUNDLED_CONFIG_FILE } from '../../lib/function.ts';
import { CONFIG_FILE } from './support.ts';

// A small, pure module stands in for a handler: bundling does not look for `handler`.
const ENTRY = fileURLToPath(new URL('../../functions/core/duration.ts', import.meta.url));

/** Bundles one BotfolioFunction for real (local esbuild) and returns the asset's folder. */
function bundle(configFile: string | undefined): string {
  const outdir = mkdtempSync(join(tmpdir(), 'botfolio-bundle-'));
  const app = new App({ outdir });
  new BotfolioFunction(new Stack(app, 'Bundled'), 'Fn', {
    entry: ENTRY,
    description: 'bundling test',
    portfolioId: 'main',
    configFile,
  });
  app.synth();
  const assets = readdirSync(outdir).filter((f) => f.startsWith('asset.'));
  expect(assets).toHaveLength(1);
  return join(outdir, assets[0] ?? '');
}

describe('BotfolioFunction bundling', () => {
  // Prepare & Act (once): the real bundle of the example config.
  const asset = bundle(CONFIG_FILE);

  it('ships the validated config as botfolio.config.json', () => {
    // Assess
    expect(readFileSync(join(asset, BUNDLED_CONFIG_FILE), 'utf8')).toBe(
      readFileSync(CONFIG_FILE, 'utf8'),
    );
  });

  it('emits an ES module with a source map and a require for bundled CommonJS', () => {
    // Assess
    expect(existsSync(join(asset, 'index.mjs.map'))).toBe(true);
    expect(readFileSync(join(asset, 'index.mjs'), 'utf8')).toMatch(
      /^import \{ createRequire as \w+ \} from 'node:module'; const require = /,
    );
  });

  it('fails the synth rather than ship a bundle without its config', () => {
    // Act & Assess
    expect(() => bundle(undefined)).toThrow();
  });
});
