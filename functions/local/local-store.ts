/**
 * The store of a local data folder on its own (runtime.ts keeps it in `<data>/dynamo`), for the
 * commands that only read or flag the books: they should not wait for a CDK synth, the paper
 * exchange or the market — an emergency stop least of all.
 */
import { join } from 'node:path';
import { DynamoStore } from '../adapters/dynamodb/store.ts';
import type { Config } from '../core/config.ts';
import type { PortfolioState } from '../core/state.ts';
import { startEmbeddedDynamo } from './dynamo.ts';

/** `.local/<portfolio id>` unless given. */
export const dataDirOf = (config: Config, dir?: string) =>
  dir ?? join('.local', config.portfolioId);

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

/** Runs `fn` on the store and its stored state, or explains there is none yet (exit 1). */
export function withStoredState(
  config: Config,
  dir: string | undefined,
  fn: (store: DynamoStore, state: PortfolioState) => Promise<number> | number,
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
