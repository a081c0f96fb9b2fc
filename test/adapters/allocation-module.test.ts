/**
 * Loading a `custom` strategy's module (functions/adapters/allocation-module.ts), as every
 * composition does: it must export `weights` and answer each pool's bots, with no history, with
 * valid weights — or it is refused at `allocation.module`, naming the pool and what went wrong.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadAllocationModule } from '../../functions/adapters/allocation-module.ts';
import { InvalidConfigError, type Problem } from '../../functions/core/problems.ts';
import { loadConfigFile } from '../../functions/local/files.ts';

/** examples/custom-portfolio.json: its module is `./custom-allocation.mjs`, beside it. */
const EXAMPLE = 'examples/custom-portfolio.json';
const config = loadConfigFile(EXAMPLE);

/** The problems the example config is refused with when its module is `source`. */
async function refused(source: string): Promise<readonly Problem[]> {
  const dir = mkdtempSync(join(tmpdir(), 'botfolio-module-'));
  writeFileSync(join(dir, 'custom-allocation.mjs'), source);
  try {
    await loadAllocationModule(config, join(dir, 'portfolio.json'));
  } catch (e) {
    if (e instanceof InvalidConfigError) return e.problems;
    throw e;
  }
  throw new Error('the module was accepted');
}

describe('loadAllocationModule', () => {
  it('loads the example module: a bot without history weighs 0.5', async () => {
    // Act
    const weights = await loadAllocationModule(config, EXAMPLE);
    // Assess
    const bot = {
      bot_id: 'a',
      capital_base: 150,
      balance: 150,
      weight: null,
      daily_returns: [],
      sharpe: null,
      win_rate: null,
      max_drawdown: 0,
    };
    expect(weights?.({ pool: 'low_frequency', budget: 300, bots: [bot] })).toEqual({ a: 0.5 });
  });

  it('refuses a module that throws on a pool’s bots without history, naming the pool and the error', async () => {
    // Act
    const problems = await refused(
      `export function weights(input) {
        if (input.bots.some((b) => b.win_rate === null)) throw new Error('needs a win rate');
        return {};
      }`,
    );
    // Assess
    expect(problems).toEqual([
      {
        path: 'allocation.module',
        value: './custom-allocation.mjs',
        message:
          "tried on each pool's bots with no history: pool low_frequency: the custom weights function threw: needs a win rate; pool high_frequency: the custom weights function threw: needs a win rate",
      },
    ]);
  });

  it('refuses a module whose weights would be refused: a bot left out, an asynchronous answer', async () => {
    // Act
    const missing = await refused(`export default (input) => ({ [input.bots[0].bot_id]: 1 });`);
    const asynchronous = await refused(
      `export const weights = async (input) => Object.fromEntries(input.bots.map((b) => [b.bot_id, 1]));`,
    );
    // Assess
    expect(missing[0]?.message).toContain(
      'pool low_frequency: custom weights refused: weight of 4h_swing_btc must be a finite number ≥ 0 (got undefined)',
    );
    expect(asynchronous[0]?.message).toContain(
      'it must return an object of bot id → weight (synchronously)',
    );
  });
});
