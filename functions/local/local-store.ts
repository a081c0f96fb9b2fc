/**
 * The store of a local data folder on its own (runtime.ts keeps it in `<data>/dynamo`), for the
 * commands that only read or flag the books: they should not wait for a CDK synth, the paper
 * exchange or the market — an emergency stop least of all. (books.ts: the same commands on a
 * deployed stack.) While another process has the folder's store open — `botfolio run` — they use
 * the store it serves (live.ts).
 */
import { accessSync, constants, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { dynamoStores } from '../adapters/dynamodb/store.ts';
import type { Config } from '../core/config.ts';
import type { Stores } from '../core/store-ports.ts';
import { dataDirOf } from './data-folder.ts';
import { UserFileError } from './files.ts';
import { lostStore, openFolderStore } from './live.ts';

export { dataDirOf } from './data-folder.ts';

/**
 * Makes sure `dir` can hold the local data — a folder (created if missing) that this process can
 * write: the embedded store writes even to be read. Refused with a one-line reason otherwise,
 * before LevelDB fails with one of its own ("Database is closed").
 */
export function ensureDataFolder(dir: string): void {
  const isFile = (() => {
    try {
      return !statSync(dir).isDirectory();
    } catch {
      return false;
    }
  })();
  if (isFile)
    throw new UserFileError(
      `data folder ${dir} is a file: give --data a folder (the store and the paper exchange are kept in it)`,
    );
  const store = join(dir, 'dynamo');
  try {
    mkdirSync(store, { recursive: true });
    accessSync(store, constants.W_OK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserFileError(
      `data folder ${dir} cannot be written (${code === 'EACCES' || code === 'EPERM' || code === 'EROFS' ? 'read-only' : (e as Error).message}): the local store writes in it even to be read — give a folder you can write`,
    );
  }
}

export async function withLocalStore<T>(
  config: Config,
  dir: string | undefined,
  fn: (stores: Stores) => Promise<T>,
): Promise<T> {
  const folder = dataDirOf(config, dir);
  ensureDataFolder(folder);
  const store = await openFolderStore(folder, { holder: 'a botfolio command', borrow: true });
  try {
    return await fn(dynamoStores(store.dynamo.client, store.dynamo.tableNames));
  } catch (error) {
    throw store.kind === 'borrowed' ? lostStore(folder, store.live, error) : error;
  } finally {
    await store.close();
  }
}
