/**
 * What every part of the DynamoDB store shares: the document client (numbers unmarshalled as exact
 * strings), the three table names and the clock.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { isConditionalCheckFailed } from './errors.ts';

/** The physical names of the three tables (DESIGN.md §7). */
export interface TableNames {
  readonly state: string;
  readonly performance: string;
  readonly transactions: string;
}

export interface TransferOwner {
  readonly portfolioId: string;
  readonly botId: string;
}

export interface StoreContext {
  readonly doc: DynamoDBDocumentClient;
  readonly tables: TableNames;
  readonly now: () => Date;
  /**
   * Transfer id → its portfolio and bot, learnt from reads and writes (a transition needs them for
   * the index keys; neither ever changes).
   */
  readonly ownerOfTransfer: Map<string, TransferOwner>;
}

/**
 * The document client the store talks through. Numbers come back wrapped (exact digit strings),
 * never as JS numbers. A document client built elsewhere must have been made the same way.
 *
 * Beware: lib-dynamodb keeps the translate config on the wrapped client's shared config object,
 * so wrapping the same DynamoDBClient again with other options changes ours too. The readers in
 * codec.ts refuse a JS number, so such a mistake fails loudly instead of losing digits.
 */
export function documentClient(
  client: DynamoDBClient | DynamoDBDocumentClient,
): DynamoDBDocumentClient {
  if (client instanceof DynamoDBDocumentClient) {
    if (client.config.translateConfig?.unmarshallOptions?.wrapNumbers !== true) {
      throw new TypeError(
        'DynamoStore needs a document client built with unmarshallOptions: { wrapNumbers: true }',
      );
    }
    return client;
  }
  if (!(client instanceof DynamoDBClient)) throw new TypeError('expected a DynamoDBClient');
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true },
    unmarshallOptions: { wrapNumbers: true },
  });
}

/** An item without its `undefined` fields (DynamoDB has no undefined; we never rely on the client to drop them). */
export function compact<T extends Record<string, unknown>>(item: T): T {
  return Object.fromEntries(Object.entries(item).filter(([, v]) => v !== undefined)) as T;
}

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));

/** Exponential backoff with full jitter, capped: attempt 0 → up to `baseMs`. */
export const backoffMs = (attempt: number, baseMs = 20, capMs = 1_000): number =>
  Math.random() * Math.min(capMs, baseMs * 2 ** attempt);

/** A conditional write: true when it was made, false when its condition did not hold. */
export async function conditionally(write: () => Promise<unknown>): Promise<boolean> {
  try {
    await write();
    return true;
  } catch (err) {
    if (isConditionalCheckFailed(err)) return false;
    throw err;
  }
}

/** Updates the state table's item `key` if `condition` holds; false when it did not. */
export function conditionalUpdate(
  ctx: StoreContext,
  key: Record<string, string>,
  update: string,
  condition: string,
  names: Record<string, string>,
  values: Record<string, unknown>,
): Promise<boolean> {
  return conditionally(() =>
    ctx.doc.send(
      new UpdateCommand({
        TableName: ctx.tables.state,
        Key: key,
        UpdateExpression: update,
        ConditionExpression: condition,
        ExpressionAttributeNames: names,
        ...(Object.keys(values).length > 0 && { ExpressionAttributeValues: values }),
      }),
    ),
  );
}

/**
 * The small items of a portfolio in the state table whose sort key starts with `prefix`
 * (`plan#`, `digest#`), every page of them, each with the rest of its sort key (the bot id).
 */
export async function itemsByPrefix(
  ctx: StoreContext,
  portfolioId: string,
  prefix: string,
): Promise<{ readonly key: string; readonly item: Record<string, unknown> }[]> {
  const found: { key: string; item: Record<string, unknown> }[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await ctx.doc.send(
      new QueryCommand({
        TableName: ctx.tables.state,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': portfolioId, ':prefix': prefix },
        ConsistentRead: true,
        ...(start !== undefined && { ExclusiveStartKey: start }),
      }),
    );
    for (const item of out.Items ?? []) {
      const sk = item.sk;
      if (typeof sk === 'string') found.push({ key: sk.slice(prefix.length), item });
    }
    start = out.LastEvaluatedKey;
  } while (start !== undefined);
  return found;
}
