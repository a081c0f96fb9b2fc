/**
 * Creates the three tables where no stack does (local mode, emulators in tests), from the same
 * definitions the CDK stack uses, and waits until they are ACTIVE.
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
  ResourceNotFoundException,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';
import type { TableNames } from './context.ts';
import { sleep } from './context.ts';
import {
  createTableInput,
  PERFORMANCE_TABLE,
  STATE_TABLE,
  type TableDef,
  TRANSACTIONS_TABLE,
} from './tables.ts';

export class TableNotReadyError extends Error {
  constructor(tableName: string, waitedMs: number) {
    super(`table ${tableName} is not ACTIVE after ${waitedMs} ms`);
    this.name = 'TableNotReadyError';
  }
}

const DEFS: readonly [TableDef, keyof TableNames][] = [
  [STATE_TABLE, 'state'],
  [PERFORMANCE_TABLE, 'performance'],
  [TRANSACTIONS_TABLE, 'transactions'],
];

/** Creates each missing table and waits (at most `timeoutMs`) until all are ACTIVE. */
export async function ensureTables(
  client: DynamoDBClient,
  names: TableNames,
  timeoutMs = 30_000,
): Promise<void> {
  await Promise.all(
    DEFS.map(async ([def, which]) => {
      const tableName = names[which];
      const table = await describe(client, tableName);
      if (isActive(table)) return; // the usual case: one call per table
      if (table === undefined) {
        try {
          await client.send(new CreateTableCommand(createTableInput(def, tableName)));
        } catch (err) {
          if (!(err instanceof ResourceInUseException)) throw err;
        }
      }
      await waitActive(client, tableName, timeoutMs);
    }),
  );
}

/** The table's description, or undefined when there is no such table. */
async function describe(
  client: DynamoDBClient,
  tableName: string,
): Promise<TableDescription | undefined> {
  try {
    return (await client.send(new DescribeTableCommand({ TableName: tableName }))).Table;
  } catch (err) {
    if (err instanceof ResourceNotFoundException) return undefined;
    throw err;
  }
}

const isActive = (t: TableDescription | undefined): boolean =>
  t?.TableStatus === 'ACTIVE' &&
  (t.GlobalSecondaryIndexes ?? []).every((i) => i.IndexStatus === 'ACTIVE');

async function waitActive(client: DynamoDBClient, tableName: string, timeoutMs: number) {
  const started = Date.now();
  for (
    let delay = 20;
    !isActive(await describe(client, tableName));
    delay = Math.min(delay * 2, 500)
  ) {
    if (Date.now() - started > timeoutMs)
      throw new TableNotReadyError(tableName, Date.now() - started);
    await sleep(delay);
  }
}
