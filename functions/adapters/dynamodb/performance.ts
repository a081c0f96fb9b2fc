/**
 * Per-bot performance series in the `performance` table: `pk` = `<portfolio>#<bot>`, `sk` = the
 * snapshot's ISO time + `#` + cycle id (a retried cycle overwrites its own row, never adds one).
 * Writes are batched (25 per BatchWriteItem, the service's limit). Each snapshot carries its
 * `expires_at` (core/retention.ts): DynamoDB's TTL drops it in AWS, `pruneExpired` locally.
 *
 * Each bot's recent returns (core/analytics.ts) sit in the `state` table, one small item per bot
 * (`recent#<bot>`: `at`, `balance` and `net` of the last sample, `returns` a list, null where a
 * period had none), so that one query under the portfolio's key reads the whole fleet's.
 */
import { BatchWriteCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import pMap from 'p-map';
import type { RecentReturns } from '../../core/analytics.ts';
import { DAY_MS } from '../../core/duration.ts';
import { FULL_RESOLUTION_DAYS } from '../../core/retention.ts';
import type { BotSnapshot, PerformanceStore } from '../../core/store-ports.ts';
import { botKey, type Item, readMoney, readString } from './codec.ts';
import { backoffMs, itemsByPrefix, type StoreContext, sleep } from './context.ts';
import { isConditionalCheckFailed, MalformedItemError, UnprocessedWritesError } from './errors.ts';
import { snapshotAttributes, snapshotFromItem, snapshotKey } from './performance-item.ts';

const BATCH_SIZE = 25;
const MAX_ATTEMPTS = 8;
/** End-of-day reads of one bot in flight at once. */
const END_OF_DAY_CONCURRENCY = 31;
/** Bots pruned at once (each a query, then its deletes). */
const PRUNE_CONCURRENCY = 4;
/** Recent-return items written at once. */
const RECENT_CONCURRENCY = 16;
const RECENT_PREFIX = 'recent#';

type WriteRequest =
  | { readonly PutRequest: { readonly Item: Item } }
  | { readonly DeleteRequest: { readonly Key: Item } };

/** One BatchWriteItem, retrying what DynamoDB leaves unprocessed with bounded backoff. */
async function writeBatch(ctx: StoreContext, batch: readonly WriteRequest[]): Promise<void> {
  const table = ctx.tables.performance;
  let requests = [...batch];
  for (let attempt = 1; ; attempt++) {
    const out = await ctx.doc.send(new BatchWriteCommand({ RequestItems: { [table]: requests } }));
    const left = out.UnprocessedItems?.[table] ?? [];
    if (left.length === 0) return;
    if (attempt >= MAX_ATTEMPTS) throw new UnprocessedWritesError(table, left.length, attempt);
    requests = left as WriteRequest[];
    await sleep(backoffMs(attempt, 50, 2_000));
  }
}

/** Every request, 25 to a BatchWriteItem (the service's limit). */
async function writeAll(ctx: StoreContext, requests: readonly WriteRequest[]): Promise<void> {
  for (let i = 0; i < requests.length; i += BATCH_SIZE) {
    await writeBatch(ctx, requests.slice(i, i + BATCH_SIZE));
  }
}

export class DynamoPerformanceStore implements PerformanceStore {
  constructor(private readonly ctx: StoreContext) {}

  async putSnapshots(portfolioId: string, snapshots: readonly BotSnapshot[]): Promise<void> {
    // A batch may not name one key twice: the last snapshot for a key wins, as a put would.
    const byKey = new Map<string, Item>();
    for (const s of snapshots) {
      const key = snapshotKey(portfolioId, s);
      byKey.set(`${key.pk}\u0000${key.sk}`, { ...key, ...snapshotAttributes(s) });
    }
    await writeAll(
      this.ctx,
      [...byKey.values()].map((Item) => ({ PutRequest: { Item } })),
    );
  }

  async pruneExpired(portfolioId: string, botIds: readonly string[], now: Date): Promise<number> {
    // Whatever has expired is older than the full-resolution window: only that range is read.
    const before = new Date(now.getTime() - FULL_RESOLUTION_DAYS * DAY_MS).toISOString();
    const nowSeconds = Math.floor(now.getTime() / 1000);
    const pruned = await pMap(
      botIds,
      async (botId) => {
        const keys: Item[] = [];
        let start: Record<string, unknown> | undefined;
        do {
          const out = await this.ctx.doc.send(
            new QueryCommand({
              TableName: this.ctx.tables.performance,
              KeyConditionExpression: 'pk = :pk AND sk < :before',
              FilterExpression: 'expires_at < :now',
              ExpressionAttributeValues: {
                ':pk': botKey(portfolioId, botId),
                ':before': before,
                ':now': nowSeconds,
              },
              ProjectionExpression: 'pk, sk',
              ...(start !== undefined && { ExclusiveStartKey: start }),
            }),
          );
          for (const item of out.Items ?? []) keys.push({ pk: item.pk, sk: item.sk });
          start = out.LastEvaluatedKey;
        } while (start !== undefined);
        await writeAll(
          this.ctx,
          keys.map((Key) => ({ DeleteRequest: { Key } })),
        );
        return keys.length;
      },
      { concurrency: PRUNE_CONCURRENCY },
    );
    return pruned.reduce((a, b) => a + b, 0);
  }

  async history(portfolioId: string, botId: string, limit?: number): Promise<BotSnapshot[]> {
    const found: BotSnapshot[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const remaining = limit === undefined ? undefined : limit - found.length;
      if (remaining !== undefined && remaining <= 0) break;
      const out = await this.ctx.doc.send(
        new QueryCommand({
          TableName: this.ctx.tables.performance,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': botKey(portfolioId, botId) },
          ScanIndexForward: false,
          ConsistentRead: true,
          ...(remaining !== undefined && { Limit: remaining }),
          ...(start !== undefined && { ExclusiveStartKey: start }),
        }),
      );
      for (const item of out.Items ?? []) found.push(snapshotFromItem(item));
      start = out.LastEvaluatedKey;
    } while (start !== undefined);
    return found.reverse();
  }

  async endOfDay(
    portfolioId: string,
    botId: string,
    days: readonly string[],
  ): Promise<BotSnapshot[]> {
    // The sort key starts with the snapshot's ISO time: a day's newest row is its close.
    const close = async (day: string) => {
      const out = await this.ctx.doc.send(
        new QueryCommand({
          TableName: this.ctx.tables.performance,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :day)',
          ExpressionAttributeValues: { ':pk': botKey(portfolioId, botId), ':day': `${day}T` },
          ScanIndexForward: false,
          Limit: 1,
        }),
      );
      const item = out.Items?.[0];
      return item === undefined ? [] : [snapshotFromItem(item)];
    };
    const closes: BotSnapshot[] = [];
    // A month of days at a time: a year's window is not 366 requests in flight at once.
    for (let i = 0; i < days.length; i += END_OF_DAY_CONCURRENCY) {
      const batch = await Promise.all(days.slice(i, i + END_OF_DAY_CONCURRENCY).map(close));
      closes.push(...batch.flat());
    }
    return closes.sort((a, b) => a.at.localeCompare(b.at));
  }

  async recent(portfolioId: string): Promise<Map<string, RecentReturns>> {
    const out = new Map<string, RecentReturns>();
    for (const { key, item } of await itemsByPrefix(this.ctx, portfolioId, RECENT_PREFIX)) {
      const where = `recent returns of ${key}`;
      const list = item.returns;
      if (!Array.isArray(list)) throw new MalformedItemError(where, 'returns', list, 'a list');
      out.set(key, {
        last: {
          at: readString(where, item, 'at'),
          balance: readMoney(where, item, 'balance'),
          netContributed: readMoney(where, item, 'net'),
        },
        returns: list.map((r) => (r === null ? null : Number(String(r)))),
      });
    }
    return out;
  }

  async putRecent(portfolioId: string, recent: ReadonlyMap<string, RecentReturns>): Promise<void> {
    await pMap(
      [...recent],
      async ([botId, r]) => {
        try {
          await this.ctx.doc.send(
            new UpdateCommand({
              TableName: this.ctx.tables.state,
              Key: { pk: portfolioId, sk: `${RECENT_PREFIX}${botId}` },
              UpdateExpression:
                'SET #at = :at, #balance = :balance, #net = :net, #returns = :returns',
              ConditionExpression: 'attribute_not_exists(#at) OR #at < :at',
              ExpressionAttributeNames: {
                '#at': 'at',
                '#balance': 'balance',
                '#net': 'net',
                '#returns': 'returns',
              },
              ExpressionAttributeValues: {
                ':at': r.last.at,
                ':balance': r.last.balance,
                ':net': r.last.netContributed,
                ':returns': [...r.returns],
              },
            }),
          );
        } catch (err) {
          if (!isConditionalCheckFailed(err)) throw err; // a newer cycle's are there
        }
      },
      { concurrency: RECENT_CONCURRENCY },
    );
  }
}
