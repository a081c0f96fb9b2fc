/**
 * Alert cooldowns in the `state` table (`alert#<key>`: when the alert was last sent), each claimed
 * with one conditional write, so the cooldown holds across Lambda invocations; and the alerts held
 * for the next digest (`digest#<key>`: the alert, when it was held), one item each.
 */
import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import pMap from 'p-map';
import { ALERT_SEVERITY, type Alert, type AlertCode } from '../../core/alerts.ts';
import type { CooldownStore } from '../../core/store-ports.ts';
import { type Item, readOptionalString, readString } from './codec.ts';
import { conditionalPut, itemsByPrefix, type StoreContext } from './context.ts';
import { isConditionalCheckFailed, MalformedItemError } from './errors.ts';

const DIGEST = 'digest#';
/** Held alerts deleted at once after their digest went out. */
const RELEASE_CONCURRENCY = 16;

export const alertKey = (portfolioId: string, key: string) => ({
  pk: portfolioId,
  sk: `alert#${key}`,
});

export class DynamoCooldownStore implements CooldownStore {
  constructor(private readonly ctx: StoreContext) {}

  /** True (and records `nowMs`) when the alert was never sent or last sent at least `cooldownMs` ago. */
  claimAlert(
    portfolioId: string,
    key: string,
    nowMs: number,
    cooldownMs: number,
  ): Promise<boolean> {
    return conditionalPut(
      this.ctx,
      { ...alertKey(portfolioId, key), sent_at: nowMs },
      'attribute_not_exists(pk) OR #sent <= :cutoff',
      { '#sent': 'sent_at' },
      { ':cutoff': nowMs - cooldownMs },
    );
  }

  async sentSince(portfolioId: string, sinceMs: number) {
    const items = await itemsByPrefix(this.ctx, portfolioId, 'alert#');
    return items
      .map(({ key, item }) => ({ key, sentAt: Number(item.sent_at) }))
      .filter((a) => a.sentAt >= sinceMs)
      .sort((a, b) => b.sentAt - a.sentAt);
  }

  async hold(portfolioId: string, key: string, alert: Alert): Promise<void> {
    const item = {
      pk: portfolioId,
      sk: `${DIGEST}${key}`,
      held_at: this.ctx.now().toISOString(),
      alert: {
        code: alert.code,
        message: alert.message,
        ...(alert.botId !== undefined && { bot_id: alert.botId }),
        ...(alert.pool !== undefined && { pool: alert.pool }),
      },
    };
    try {
      await this.ctx.doc.send(
        new PutCommand({
          TableName: this.ctx.tables.state,
          Item: item,
          ConditionExpression: 'attribute_not_exists(sk)',
        }),
      );
    } catch (err) {
      if (!isConditionalCheckFailed(err)) throw err; // held already
    }
  }

  async held(portfolioId: string): Promise<{ key: string; alert: Alert }[]> {
    const items = await itemsByPrefix(this.ctx, portfolioId, DIGEST);
    return items
      .map(({ key, item }) => ({ key, at: String(item.held_at), alert: alertOf(key, item.alert) }))
      .sort((a, b) => a.at.localeCompare(b.at) || a.key.localeCompare(b.key))
      .map(({ key, alert }) => ({ key, alert }));
  }

  async release(portfolioId: string, keys: readonly string[]): Promise<void> {
    await pMap(
      keys,
      (key) =>
        this.ctx.doc.send(
          new DeleteCommand({
            TableName: this.ctx.tables.state,
            Key: { pk: portfolioId, sk: `${DIGEST}${key}` },
          }),
        ),
      { concurrency: RELEASE_CONCURRENCY },
    );
  }
}

function alertOf(key: string, value: unknown): Alert {
  const where = `held alert ${key}`;
  if (typeof value !== 'object' || value === null) {
    throw new MalformedItemError(where, 'alert', value, 'a map');
  }
  const map = value as Item;
  const code = readString(where, map, 'code');
  if (!(code in ALERT_SEVERITY)) throw new MalformedItemError(where, 'code', code, 'an alert code');
  const botId = readOptionalString(where, map, 'bot_id');
  const pool = readOptionalString(where, map, 'pool');
  return {
    severity: ALERT_SEVERITY[code as AlertCode],
    code: code as AlertCode,
    message: readString(where, map, 'message'),
    ...(botId !== undefined && { botId }),
    ...(pool !== undefined && { pool }),
  };
}
