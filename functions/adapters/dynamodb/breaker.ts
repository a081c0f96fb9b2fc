/**
 * Circuit-breaker state in the `state` table (DESIGN.md §7): one item per portfolio and exchange,
 * `pk` = portfolio id, `sk` = `breaker#<exchange>`, holding the count of failures in a row and,
 * while open, `open_until` (ms) and the current probe's `probe_until`. Every change is one atomic
 * write — an ADD, or a conditional update — so concurrent Lambdas agree on who opened the
 * circuit and who may probe it.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { BreakerState, BreakerStore } from '../../core/ports.ts';
import { readInteger, readOptionalInteger } from './codec.ts';
import { documentClient } from './context.ts';
import { isConditionalCheckFailed } from './errors.ts';

export const breakerKey = (portfolioId: string, exchange: string) => ({
  pk: portfolioId,
  sk: `breaker#${exchange}`,
});

export class DynamoBreakerStore implements BreakerStore {
  readonly #doc: DynamoDBDocumentClient;

  /**
   * @param client the client the DynamoStore uses (wrapped the same way), or its document client
   * @param stateTable the `state` table's name
   */
  constructor(
    client: DynamoDBClient | DynamoDBDocumentClient,
    private readonly stateTable: string,
    private readonly portfolioId: string,
  ) {
    this.#doc = documentClient(client);
  }

  async read(exchange: string): Promise<BreakerState> {
    const key = breakerKey(this.portfolioId, exchange);
    const { Item: item } = await this.#doc.send(
      new GetCommand({ TableName: this.stateTable, Key: key }),
    );
    if (!item) return { failures: 0 };
    const where = `${key.pk}/${key.sk}`;
    const openUntil = readOptionalInteger(where, item, 'open_until');
    return {
      failures: Number(readOptionalInteger(where, item, 'failures') ?? 0n),
      ...(openUntil !== undefined && { openUntil: Number(openUntil) }),
    };
  }

  async recordFailure(
    exchange: string,
    nowMs: number,
    threshold: number,
    openUntil: number,
  ): Promise<boolean> {
    const key = breakerKey(this.portfolioId, exchange);
    const { Attributes: after = {} } = await this.#doc.send(
      new UpdateCommand({
        TableName: this.stateTable,
        Key: key,
        UpdateExpression: 'ADD failures :one SET updated_at = :now',
        ExpressionAttributeValues: { ':one': 1, ':now': nowMs },
        ReturnValues: 'ALL_NEW',
      }),
    );
    const failures = readInteger(`${key.pk}/${key.sk}`, after, 'failures');
    if (failures < BigInt(threshold)) return false;
    if (after.open_until !== undefined) {
      // Already open (a probe failed, or calls failed together): keep it open longer, no new alert.
      await this.#doc.send(
        new UpdateCommand({
          TableName: this.stateTable,
          Key: key,
          UpdateExpression: 'SET open_until = :until REMOVE probe_until',
          ExpressionAttributeValues: { ':until': openUntil },
        }),
      );
      return false;
    }
    try {
      await this.#doc.send(
        new UpdateCommand({
          TableName: this.stateTable,
          Key: key,
          UpdateExpression: 'SET open_until = :until, opened_at = :now REMOVE probe_until',
          ConditionExpression: 'attribute_not_exists(open_until)',
          ExpressionAttributeValues: { ':until': openUntil, ':now': nowMs },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false; // another failure opened it first
      throw error;
    }
  }

  async recordSuccess(exchange: string): Promise<void> {
    await this.#doc.send(
      new UpdateCommand({
        TableName: this.stateTable,
        Key: breakerKey(this.portfolioId, exchange),
        UpdateExpression: 'SET failures = :zero REMOVE open_until, probe_until, opened_at',
        ExpressionAttributeValues: { ':zero': 0 },
      }),
    );
  }

  async claimProbe(exchange: string, nowMs: number, probeUntil: number): Promise<boolean> {
    try {
      await this.#doc.send(
        new UpdateCommand({
          TableName: this.stateTable,
          Key: breakerKey(this.portfolioId, exchange),
          UpdateExpression: 'SET probe_until = :probe',
          ConditionExpression:
            'open_until <= :now AND (attribute_not_exists(probe_until) OR probe_until <= :now)',
          ExpressionAttributeValues: { ':probe': probeUntil, ':now': nowMs },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }
}
