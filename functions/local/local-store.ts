/**
 * The store of a local data folder on its own (runtime.ts keeps it in `<data>/dynamo`), for the
 * commands that only read or flag the books: they should not wait for a CDK synth, the paper
 * exchange or the market — an emergency stop least of all. (books.ts: the same commands on a
 * deployed stack.) While another process has the folder's store open — `botfolio run` — they use
 * the store it serves (live.ts).
 */
import { join } from 'node:path';
import { dynamoStores } from '../adapters/dynamodb/store.ts';
import type { Config } from '../core/config.ts';
import type { Stores } from '../core/store-ports.ts';
import { lostStore, openFolderStore } from './live.ts';

/** `.local/<portfolio id>` unless given. */
export const dataDirOf = (config: Config, dir?: string) =>
  dir ?? join('.local', config.portfolioId);

export async function withLocalStore<T>(
  config: Config,
  dir: string | undefined,
  fn: (stores: Stores) => Promise<T>,
): Promise<T> {
  const folder = dataDirOf(config, dir);
  const store = await openFolderStore(folder, { holder: 'a botfolio command', borrow: true });
  try {
    return await fn(dynamoStores(store.dynamo.client, store.dynamo.tableNames));
  } catch (error) {
    throw store.kind === 'borrowed' ? lostStore(folder, store.live, error) : error;
  } finally {
    await store.close();
  }
}
