/**
 * Alert cooldowns in the `state` table (`alert#<key>`: when the alert was last sent), each claimed
 * with one conditional write, so the cooldown holds across Lambda invocations; and a transfer's
 * alerts held for the next digest (`digest#<key>`, the key naming the transfer and its status):
 * the alert and when it was held, put only if the key is new — so the hold is also the claim that
 * reports a transfer's status once. Once its digest went out the item is kept, shrunk to when it
 * was sent (`sent_at`), so a notify step run again holds nothing; DynamoDB's TTL drops it a day
 * later, and a flush deletes one it finds a day past that (local mode has no TTL).
 */
import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import pMap from 'p-map';
import { ALERT_SEVERITY, type Alert, type AlertCode } from '../../core/alerts.ts';
import type { CooldownStore } from '../../core/store-ports.ts';
import { type Item, readOptionalString, readString, sentOf } from './codec.ts';
import { conditionalUpdate, itemsByPrefix, type StoreContext } from './context.ts';
import { MalformedItemError } from './errors.ts';

const DIGEST = 'digest#';
/** Held alerts marked sent at once after their digest went out. */
const RELEASE_CONCURRENCY = 16;
/** How long a sent transfer alert is remembered (a notify step is retried within minutes). */
const SENT_TTL_S = 86_400;

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
    return conditionalUpdate(
      this.ctx,
      alertKey(portfolioId, key),
      'SET #sent = :now',
      'attribute_not_exists(#sent) OR #sent <= :cutoff',
      { '#sent': 'sent_at' },
      { ':now': nowMs, ':cutoff': nowMs - cooldownMs },
    );
  }

  async sentSince(portfolioId: string, sinceMs: number) {
    const [claims, digests] = await Promise.all([
      itemsByPrefix(this.ctx, portfolioId, 'alert#'),
      itemsByPrefix(this.ctx, portfolioId, DIGEST),
    ]);
    return sentOf([...claims, ...digests], sinceMs);
  }

  async hold(portfolioId: string, key: string, alert: Alert): Promise<void> {
    // Held already (or sent already): nothing changes.
    await conditionalUpdate(
      this.ctx,
      { pk: portfolioId, sk: `${DIGEST}${key}` },
      'SET #held = :at, #alert = :alert',
      'attribute_not_exists(#held)',
      { '#held': 'held_at', '#alert': 'alert' },
      {
        ':at': this.ctx.now().toISOString(),
        ':alert': {
          code: alert.code,
          message: alert.message,
          ...(alert.botId !== undefined && { bot_id: alert.botId }),
          ...(alert.pool !== undefined && { pool: alert.pool }),
        },
      },
    );
  }

  async held(portfolioId: string): Promise<{ key: string; alert: Alert }[]> {
    const items = await itemsByPrefix(this.ctx, portfolioId, DIGEST);
    const nowS = Math.floor(this.ctx.now().getTime() / 1000);
    const forgotten = items.filter(
      ({ item }) => item.expires_at !== undefined && Number(item.expires_at) + SENT_TTL_S < nowS,
    );
    await pMap(
      forgotten,
      ({ item }) =>
        this.ctx.doc.send(
          new DeleteCommand({
            TableName: this.ctx.tables.state,
            Key: { pk: item.pk, sk: item.sk },
          }),
        ),
      {
        concurrency: RELEASE_CONCURRENCY,
      },
    );
    return items
      .filter(({ item }) => item.sent_at === undefined)
      .map(({ key, item }) => ({ key, at: String(item.held_at), alert: alertOf(key, item.alert) }))
      .sort((a, b) => a.at.localeCompare(b.at) || a.key.localeCompare(b.key))
      .map(({ key, alert }) => ({ key, alert }));
  }

  async release(portfolioId: string, keys: readonly string[]): Promise<void> {
    const now = this.ctx.now().getTime();
    await pMap(
      keys,
      (key) =>
        // Refused when another flush sent it already.
        conditionalUpdate(
          this.ctx,
          { pk: portfolioId, sk: `${DIGEST}${key}` },
          'SET #sent = :now, #expires = :expires REMOVE #alert',
          'attribute_exists(#alert)',
          { '#sent': 'sent_at', '#expires': 'expires_at', '#alert': 'alert' },
          { ':now': now, ':expires': Math.floor(now / 1000) + SENT_TTL_S },
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
