/** The launcher file's mapping onto a Botfolio config (core/launcher-import.ts), variant by variant. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../functions/core/config.ts';
import { parseLauncherFile } from '../../functions/core/launcher-file.ts';
import {
  importLauncher,
  isPlaceholder,
  portfolioIdOf,
  profitSharingNote,
} from '../../functions/core/launcher-import.ts';
import { type Json, problemsOf, withPaths } from './fixtures.ts';

const EXAMPLE = new URL('../fixtures/launcher/aave_hype_equal_weight.json', import.meta.url);
const example = () => JSON.parse(readFileSync(EXAMPLE, 'utf8')) as Json;
const imported = (changes: Record<string, unknown> = {}, exchange?: string) =>
  importLauncher(parseLauncherFile(withPaths(example(), changes)), {
    portfolioId: 'p',
    currency: 'USDT',
    ...(exchange !== undefined && { exchange }),
  });

/** Every placeholder of a config, by where it is (keys included). */
function placeholders(node: unknown, at = ''): string[] {
  if (isPlaceholder(node)) return [at];
  if (Array.isArray(node)) return node.flatMap((v, i) => placeholders(v, `${at}[${i}]`));
  if (typeof node === 'object' && node !== null)
    return Object.entries(node).flatMap(([k, v]) => [
      ...(isPlaceholder(k) ? [`${at}.<key>`] : []),
      ...placeholders(v, at ? `${at}.${k}` : k),
    ]);
  return [];
}

describe('importing a launcher file', () => {
  it('lists every placeholder it writes as a blank, and validation refuses each one', () => {
    const r = imported({}, 'bitget');
    const written = placeholders(r.config);
    expect(written.sort()).toEqual(r.blanks.map((b) => b.path).sort());
    const problems = problemsOf(() => parseConfig(r.config));
    for (const path of written) {
      expect(problems).toContainEqual({
        path,
        message: expect.stringMatching(/^not filled in yet: /),
      });
    }
  });

  it('turns profit sharing off into no harvest: each bot keeps its profit', () => {
    const r = imported({ 'portfolio.profit_sharing': { enabled: false } }, 'bitget');
    expect((r.config.pools as Json).main).toMatchObject({
      harvest_threshold: 100,
      harvest_percentage: 0,
    });
    expect(r.blanks.map((b) => b.path)).not.toContain('pools.main.harvest_percentage');
    expect(r.notes).toContainEqual(expect.stringMatching(/^profit_sharing off → no harvest/));
  });

  it('leaves rewarding the better bots to the allocation strategy under performance_based', () => {
    const f = parseLauncherFile(
      withPaths(example(), { 'portfolio.profit_sharing.method': 'performance_based' }),
    );
    expect(profitSharingNote(f)).toMatch(
      /rewarding the better bots is the allocation strategy’s part: allocation\.strategy stays equal_weight .*set it to performance_based/,
    );
  });

  it('asks for each bot’s weight under fixed_percentage, and the module under custom', () => {
    const fixed = imported({ 'portfolio.allocation_strategy': 'fixed_percentage' });
    expect(fixed.blanks.map((b) => b.path)).toEqual(
      expect.arrayContaining(['bots[0].weight', 'bots[1].weight']),
    );
    const custom = imported({ 'portfolio.allocation_strategy': 'custom' });
    expect(custom.blanks.map((b) => b.path)).toContain('allocation.module');
  });

  it('requires a method when profit sharing is on', () => {
    expect(() =>
      parseLauncherFile(withPaths(example(), { 'portfolio.profit_sharing.method': undefined })),
    ).toThrow(
      /^portfolio\.profit_sharing\.method: required when enabled: one of equal_weight, performance_based/,
    );
  });

  it('names the portfolio after the file', () => {
    expect(portfolioIdOf('configs/aave_hype_equal_weight.json')).toBe('aave_hype_equal_weight');
    expect(portfolioIdOf('/tmp/my portfolio (live).json')).toBe('my_portfolio_live_');
    expect(portfolioIdOf('___.json')).toBe('main');
  });
});
