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

/** dynalite ships no types: the part of its API we use. */
type Dynalite = (options: {
  path?: string;
  createTableMs?: number;
  deleteTableMs?: number;
  updateTableMs?: number;
}) => Server;
const dynalite = createRequire(import.meta.url)('dynalite') as Dynalite;

/** Table names of local mode: `botfolio-state`, `botfolio-performance`, `botfolio-transactions`. */
export function localTableNames(prefix = 'botfolio'): TableNames {
  return {
    state: `${prefix}-state`,
    performance: `${prefix}-performance`,
    transactions: `${prefix}-transactions`,
  };
}

/**
 * A client for an emulator on this machine: dummy credentials (DynamoDB Local wants letters and
 * digits only), us-east-1, short timeouts and few retries so a dead emulator fails fast.
 */
export function localDynamoClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 3,
    requestHandler: { connectionTimeout: 1_000, requestTimeout: 5_000 },
  });
}

export interface EmbeddedDynamo {
  readonly endpoint: string;
  readonly client: DynamoDBClient;
  readonly tableNames: TableNames;
  /** Stops the server and the client (and flushes the data folder, if any). */
  close(): Promise<void>;
}

export interface EmbeddedDynamoOptions {
  /** Keep the data in this folder (LevelDB) instead of memory. */
  readonly dataDir?: string;
  /** @default localTableNames() */
  readonly tableNames?: TableNames;
}

/** How long `close` waits for dynalite to flush before giving up. */
const CLOSE_TIMEOUT_MS = 10_000;

export async function startEmbeddedDynamo(
  opts: EmbeddedDynamoOptions = {},
): Promise<EmbeddedDynamo> {
  const server = dynalite({
    ...(opts.dataDir !== undefined && { path: opts.dataDir }),
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = localDynamoClient(endpoint);
  const tableNames = opts.tableNames ?? localTableNames();
  const close = async () => {
    client.destroy();
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`dynalite did not close within ${CLOSE_TIMEOUT_MS} ms`)),
        CLOSE_TIMEOUT_MS,
      );
      server.close((err) => {
        clearTimeout(timer);
        if (err) reject(err);
        else resolve();
      });
      server.closeAllConnections();
    });
  };
  try {
    await ensureTables(client, tableNames);
  } catch (err) {
    await close().catch(() => {});
    throw err;
  }
  return { endpoint, client, tableNames, close };
}
