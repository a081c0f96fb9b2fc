/**
 * `botfolio halt` and `botfolio resume`: an operator's hand on the emergency stop, on the local
 * data folder. `halt` sets the latched `halted` flag (no allocation, refill or rebalance into a bot
 * is planned, and the transfer workflow refuses any already planned). `resume` clears it — the only
 * way it clears (DESIGN.md §3) — and can lift `no_refill_policy` blocks of named bots.
 *
 * Reading: `resume` also restarts the drawdown count from the equity now (the new peak). The stop
 * compares equity with the peak, so without this the next cycle would halt again at once unless
 * the portfolio had already recovered; resuming means accepting the loss so far.
 */
import { join } from 'node:path';
import { DynamoStore } from '../../adapters/dynamodb/store.ts';
import type { Config } from '../../core/config.ts';
import { formatMoney } from '../../core/money.ts';
import { portfolioEquity } from '../../core/policy.ts';
import type { PortfolioState } from '../../core/state.ts';
import { startEmbeddedDynamo } from '../dynamo.ts';
import { dataDirOf } from './local-data.ts';

/**
 * Opens the store of a local data folder (where runtime.ts keeps it: `<data>/dynamo`) without the
 * rest of the runtime: an emergency stop should not wait for the paper exchange or a synth.
 */
export async function withLocalStore<T>(
  config: Config,
  dir: string | undefined,
  fn: (store: DynamoStore) => Promise<T>,
): Promise<T> {
  const dynamo = await startEmbeddedDynamo({ dataDir: join(dataDirOf(config, dir), 'dynamo') });
  try {
    return await fn(new DynamoStore(dynamo.client, dynamo.tableNames));
  } finally {
    await dynamo.close();
  }
}

/** Runs `fn` on the stored state and the store, or explains there is none yet (exit 1). */
function withStoredState(
  config: Config,
  dir: string | undefined,
  fn: (store: DynamoStore, state: PortfolioState) => Promise<number>,
): Promise<number> {
  return withLocalStore(config, dir, async (store) => {
    const state = await store.load(config.portfolioId);
    if (state) return fn(store, state);
    process.stderr.write(
      `no state yet in ${dataDirOf(config, dir)}: run \`botfolio cycle --once\` first\n`,
    );
    return 1;
  });
}

export function haltCommand(config: Config, dir: string | undefined): Promise<number> {
  return withStoredState(config, dir, async (store, state) => {
    if (state.flags.halted) {
      process.stdout.write(`portfolio ${config.portfolioId} is already halted\n`);
      return 0;
    }
    await store.setHalted(config.portfolioId, true);
    process.stdout.write(
      `portfolio ${config.portfolioId} halted: no allocation, refill or rebalance into a bot until \`botfolio resume\`; harvests and protection go on\n`,
    );
    return 0;
  });
}

export function resumeCommand(
  config: Config,
  dir: string | undefined,
  unblock: readonly string[],
): Promise<number> {
  const known = new Set(config.bots.map((b) => b.botId));
  const unknown = unblock.filter((id) => !known.has(id));
  if (unknown.length > 0) {
    for (const id of unknown) {
      process.stderr.write(
        `--unblock ${id}: bot not in the config (bots: ${[...known].join(', ')})\n`,
      );
    }
    return Promise.resolve(1);
  }
  return withStoredState(config, dir, async (store, state) => {
    const lines: string[] = [];
    if (state.flags.halted) {
      const equity = portfolioEquity(state);
      await store.setHalted(config.portfolioId, false, equity);
      lines.push(
        `portfolio ${config.portfolioId} resumed; the emergency stop now counts its drawdown from ${formatMoney(equity, 2)} ${config.currency} (the equity at the last cycle)`,
      );
    } else if (unblock.length === 0) {
      lines.push(`portfolio ${config.portfolioId} is not halted: nothing to resume`);
    }
    if (state.flags.blackSwan) {
      lines.push('black swan is still on: it ends by itself once the deployed ratio recovers');
    }
    for (const botId of unblock) {
      if (!state.bots.get(botId)?.refillBlocked) {
        lines.push(`${botId}: refills were not blocked`);
        continue;
      }
      await store.setRefillBlocked(config.portfolioId, botId, false);
      lines.push(`${botId}: refills unblocked`);
    }
    process.stdout.write(`${lines.join('\n')}\n`);
    return 0;
  });
}
