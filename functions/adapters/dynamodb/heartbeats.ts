/**
 * The bots' health in the `state` table: one item per bot, `health#<bot>`, beside the portfolio's
 * state item. Its attributes are written by different writers, each only its own: `push` and
 * `rate` by the heartbeat endpoint (one conditional write on both, so two heartbeats racing can
 * never both be taken, and a replay never is), `pull`, `judged` and `position` by the cycle. Each is a JSON
 * string: small, read whole, and compared whole by the condition.
 */

import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type PositionReading, storedPosition } from '../../core/exposure.ts';
import type { HealthFacts, HealthStatus, PulledHealth, PushedHealth } from '../../core/health.ts';
import type { PushRecord } from '../../core/heartbeat.ts';
import type { HeartbeatStore } from '../../core/store-ports.ts';
import { documentClient, itemsByPrefix, type StoreContext } from './context.ts';
import { isConditionalCheckFailed } from './errors.ts';
import { HEALTH_PREFIX, healthFactsOfItem, healthKey, parsed } from './health-item.ts';

export class DynamoHeartbeatStore implements HeartbeatStore {
  constructor(private readonly ctx: StoreContext) {}

  async healthFacts(portfolioId: string): Promise<Map<string, HealthFacts>> {
    const items = await itemsByPrefix(this.ctx, portfolioId, HEALTH_PREFIX);
    return new Map(items.map(({ key, item }) => [key, healthFactsOfItem(item)]));
  }

  async pushRecord(portfolioId: string, botId: string): Promise<PushRecord | undefined> {
    const out = await this.ctx.doc.send(
      new GetCommand({
        TableName: this.ctx.tables.state,
        Key: healthKey(portfolioId, botId),
        ConsistentRead: true,
      }),
    );
    const item = out.Item;
    if (!item) return undefined;
    const push = parsed<PushedHealth>(item.push);
    const rate = parsed<NonNullable<PushRecord['rate']>>(item.rate);
    return { ...(push && { push }), ...(rate && { rate }) };
  }

  async putPush(
    portfolioId: string,
    botId: string,
    prev: PushRecord | undefined,
    next: Required<PushRecord>,
  ): Promise<boolean> {
    const values: Record<string, unknown> = {
      ':push': JSON.stringify(next.push),
      ':rate': JSON.stringify(next.rate),
    };
    const conditions: string[] = [];
    if (prev?.push) {
      conditions.push('#push = :prevPush');
      values[':prevPush'] = JSON.stringify(prev.push);
    } else conditions.push('attribute_not_exists(#push)');
    if (prev?.rate) {
      conditions.push('#rate = :prevRate');
      values[':prevRate'] = JSON.stringify(prev.rate);
    } else conditions.push('attribute_not_exists(#rate)');
    try {
      await this.ctx.doc.send(
        new UpdateCommand({
          TableName: this.ctx.tables.state,
          Key: healthKey(portfolioId, botId),
          UpdateExpression: 'SET #push = :push, #rate = :rate',
          ConditionExpression: conditions.join(' AND '),
          ExpressionAttributeNames: { '#push': 'push', '#rate': 'rate' },
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (err) {
      if (isConditionalCheckFailed(err)) return false;
      throw err;
    }
  }

  async recordPull(portfolioId: string, botId: string, pulled: PulledHealth): Promise<void> {
    await this.ctx.doc.send(
      new UpdateCommand({
        TableName: this.ctx.tables.state,
        Key: healthKey(portfolioId, botId),
        UpdateExpression: 'SET #pull = :pull',
        ExpressionAttributeNames: { '#pull': 'pull' },
        ExpressionAttributeValues: { ':pull': JSON.stringify(pulled) },
      }),
    );
  }

  async recordPositions(
    portfolioId: string,
    positions: ReadonlyMap<string, PositionReading>,
    asOf: string,
  ): Promise<void> {
    for (const [botId, p] of positions) {
      await this.ctx.doc.send(
        new UpdateCommand({
          TableName: this.ctx.tables.state,
          Key: healthKey(portfolioId, botId),
          UpdateExpression: 'SET #position = :position',
          ExpressionAttributeNames: { '#position': 'position' },
          ExpressionAttributeValues: { ':position': JSON.stringify(storedPosition(p, asOf)) },
        }),
      );
    }
  }

  async recordJudged(
    portfolioId: string,
    statuses: ReadonlyMap<string, HealthStatus>,
  ): Promise<void> {
    for (const [botId, status] of statuses) {
      await this.ctx.doc.send(
        new UpdateCommand({
          TableName: this.ctx.tables.state,
          Key: healthKey(portfolioId, botId),
          UpdateExpression: 'SET #judged = :judged',
          ExpressionAttributeNames: { '#judged': 'judged' },
          ExpressionAttributeValues: { ':judged': status },
        }),
      );
    }
  }
}

/**
 * The heartbeat store alone, over the state table only: for the heartbeat function, which has
 * access to nothing else.
 */
export function dynamoHeartbeatStore(client: DynamoDBClient, stateTable: string): HeartbeatStore {
  return new DynamoHeartbeatStore({
    doc: documentClient(client),
    tables: { state: stateTable, performance: '', transactions: '' },
    now: () => new Date(),
    ownerOfTransfer: new Map(),
  });
}
