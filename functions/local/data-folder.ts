/**
 * Where a local data folder is and what its embedded store calls its tables: names only, so a
 * command can find the books (store-file.ts) without loading the store's client.
 */
import { join } from 'node:path';
import type { TableNames } from '../adapters/dynamodb/context.ts';

/** `.local/<portfolio id>` unless given. */
export const dataDirOf = (config: { readonly portfolioId: string }, dir?: string) =>
  dir ?? join('.local', config.portfolioId);

/** Where the folder's embedded store (dynalite's LevelDB) is kept. */
export const storeDirOf = (dataDir: string) => join(dataDir, 'dynamo');

/** Table names of local mode: `botfolio-state`, `botfolio-performance`, `botfolio-transactions`. */
export function localTableNames(prefix = 'botfolio'): TableNames {
  return {
    state: `${prefix}-state`,
    performance: `${prefix}-performance`,
    transactions: `${prefix}-transactions`,
  };
}
