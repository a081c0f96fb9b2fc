/**
 * Local mode's embedded DynamoDB (dynalite): tables created on start, data kept in a folder
 * across restarts when asked.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { dynamoStores } from '../../functions/adapters/dynamodb/store.ts';
import { localTableNames, startEmbeddedDynamo } from '../../functions/local/dynamo.ts';
import { completed, entry, freshPortfolio, startingState } from '../helpers/dynamo-fixtures.ts';

describe('embedded DynamoDB (local mode)', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  it('starts on 127.0.0.1 with the three botfolio tables', async () => {
    const db = await startEmbeddedDynamo();
    cleanup.push(db.close);

    const tables = await db.client.send(new ListTablesCommand({}));

    expect(db.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(db.tableNames).toEqual({
      state: 'botfolio-state',
      performance: 'botfolio-performance',
      transactions: 'botfolio-transactions',
    });
    expect(tables.TableNames?.sort()).toEqual(Object.values(localTableNames()).sort());
  });

  it('keeps the journal and the books in its data folder across restarts', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'botfolio-dynamo-'));
    cleanup.push(() => rm(dataDir, { recursive: true, force: true }));
    const p = freshPortfolio();
    const first = await startEmbeddedDynamo({ dataDir });
    const before = dynamoStores(first.client, first.tableNames);
    await before.portfolio.init(p, startingState());
    const e = await completed(before.journal, entry(p));
    await before.ledger.applyCompleted(e);
    const books = await before.portfolio.load(p);
    const journalled = await before.journal.get(e.id);
    await first.close();

    const second = await startEmbeddedDynamo({ dataDir });
    cleanup.push(second.close);
    const after = dynamoStores(second.client, second.tableNames);

    expect(journalled?.status).toBe('completed');
    expect(await after.journal.get(e.id)).toEqual(journalled);
    expect(await after.portfolio.load(p)).toEqual(books);
  });
});
