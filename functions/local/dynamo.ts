/**
 * The embedded DynamoDB of local mode: dynalite (pure Node, in-process) on 127.0.0.1 with an
 * ephemeral port, in memory or persisted under a data folder, with the three tables created from
 * the same definitions as the stack. dynalite has no transactions and no TTL API; the store needs
 * neither (DESIGN.md §7).
 */

import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { TableNames } from '../adapters/dynamodb/context.ts';
import { ensureTables } from '../adapters/dynamodb/ensure-tables.ts';
import { localTableNames } from './data-folder.ts';

/** dynalite ships no types: the part of its API we use. */
type Dynalite = (options: {
  path?: string;
  createTableMs?: number;
  deleteTableMs?: number;
  updateTableMs?: number;
}) => Server;
const requireHere = createRequire(import.meta.url);
const dynalite = requireHere('dynalite') as Dynalite;
/** dynalite's storage module: `dynalite()` calls its `create` and keeps the LevelDB it opens. */
const dynaliteDb = requireHere('dynalite/db') as {
  create: (options: unknown) => { db: { open(): Promise<void> } };
};

/**
 * The data folder's LevelDB is open in another process (LevelDB allows one). Without this check
 * dynalite would answer every request with an uncaught `Database is closed`.
 */
export class StoreLockedError extends Error {
  constructor(dataDir: string, options?: ErrorOptions) {
    super(`the store in ${dataDir} is open in another process`, options);
    this.name = 'StoreLockedError';
  }
}

/**
 * dynalite with its LevelDB surely open: the handle dynalite itself uses is opened here, so a
 * folder locked by another process is a `StoreLockedError` before the server listens, with no
 * window in which a second process could take the lock between a probe and dynalite's own open.
 */
async function openDynalite(dataDir: string | undefined): Promise<Server> {
  const create = dynaliteDb.create;
  let storage: ReturnType<typeof create> | undefined;
  dynaliteDb.create = (options) => {
    storage = create(options);
    return storage;
  };
  let server: Server;
  try {
    server = dynalite({
      ...(dataDir !== undefined && { path: dataDir }),
      createTableMs: 0,
      deleteTableMs: 0,
      updateTableMs: 0,
    });
  } finally {
    dynaliteDb.create = create;
  }
  if (dataDir !== undefined) {
    try {
      await storage?.db.open();
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause;
      if (cause?.code === 'LEVEL_LOCKED') throw new StoreLockedError(dataDir, { cause: err });
      throw err;
    }
  }
  return server;
}

export { localTableNames } from './data-folder.ts';

/**
 * A client for an emulator on this machine: dummy credentials (DynamoDB Local wants letters and
 * digits only), us-east-1, short timeouts and few retries so a dead emulator fails fast.
 */
export function localDynamoClient(
  endpoint: string,
  limits: { maxAttempts: number; requestTimeout: number } = {
    maxAttempts: 3,
    requestTimeout: 5_000,
  },
): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: limits.maxAttempts,
    requestHandler: { connectionTimeout: 1_000, requestTimeout: limits.requestTimeout },
  });
}

export interface EmbeddedDynamo {
  readonly endpoint: string;
  readonly client: DynamoDBClient;
  readonly tableNames: TableNames;
  /** Milliseconds since the server last received a request (from any process). */
  msSinceLastRequest(): number;
  /** Stops the server and the client (and flushes the data folder, if any). */
  close(): Promise<void>;
}

export interface EmbeddedDynamoOptions {
  /** Keep the data in this folder (LevelDB) instead of memory. */
  readonly dataDir?: string;
  /** @default localTableNames() */
  readonly tableNames?: TableNames;
}

/** Listens on 127.0.0.1 on a port the system picks; the server's URL. */
export async function listenOnLoopback(server: Server): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** How long `close` waits for dynalite to flush before giving up. */
const CLOSE_TIMEOUT_MS = 10_000;
/** How long `close` lets a request in progress finish before cutting its connection. */
const IN_FLIGHT_GRACE_MS = 2_000;

export async function startEmbeddedDynamo(
  opts: EmbeddedDynamoOptions = {},
): Promise<EmbeddedDynamo> {
  const server = await openDynalite(opts.dataDir);
  const endpoint = await listenOnLoopback(server);
  let lastRequest = Date.now();
  server.on('request', () => {
    lastRequest = Date.now();
  });
  const client = localDynamoClient(endpoint);
  const tableNames = opts.tableNames ?? localTableNames();
  const close = async () => {
    client.destroy();
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`dynalite did not close within ${CLOSE_TIMEOUT_MS} ms`)),
        CLOSE_TIMEOUT_MS,
      );
      // A request another process is making on this store (live.ts) is answered, if it comes
      // within the grace; idle connections go at once.
      const force = setTimeout(() => server.closeAllConnections(), IN_FLIGHT_GRACE_MS);
      server.close((err) => {
        clearTimeout(timer);
        clearTimeout(force);
        if (err) reject(err);
        else resolve();
      });
      server.closeIdleConnections();
    });
  };
  try {
    await ensureTables(client, tableNames);
  } catch (err) {
    await close().catch(() => {});
    throw err;
  }
  return {
    endpoint,
    client,
    tableNames,
    msSinceLastRequest: () => Date.now() - lastRequest,
    close,
  };
}
