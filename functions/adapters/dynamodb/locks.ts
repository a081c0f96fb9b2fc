/**
 * Bot locks in the `state` table, beside the portfolio's state item: `lock#<bot>` with the
 * owner (a transfer id) and the expiry in ms. Each is taken with one conditional write.
 */
import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import type { LockStore } from '../../core/store-ports.ts';
import { readString } from './codec.ts';
import { conditionalPut, itemsByPrefix, type StoreContext } from './context.ts';
import { isConditionalCheckFailed } from './errors.ts';

export const lockKey = (portfolioId: string, botId: string) => ({
  pk: portfolioId,
  sk: `lock#${botId}`,
});

export class DynamoLockStore implements LockStore {
  constructor(private readonly ctx: StoreContext) {}

  /** Takes (or renews) the lock when it is free, already ours, or expired. */
  async lockBot(
    portfolioId: string,
    botId: string,
    owner: string,
    ttlMs: number,
  ): Promise<boolean> {
    const now = this.ctx.now().getTime();
    return conditionalPut(
      this.ctx,
      { ...lockKey(portfolioId, botId), owner, expires_at: now + ttlMs },
      'attribute_not_exists(pk) OR #owner = :owner OR #expires < :now',
      { '#owner': 'owner', '#expires': 'expires_at' },
      { ':owner': owner, ':now': now },
    );
  }

  /**
   * Moves the lock from `from` to `to` if `from` still holds it (expired or not): for a holder the
   * caller knows to be over, such as a transfer that reached a final status and died before its release.
   */
  takeOverLock(
    portfolioId: string,
    botId: string,
    from: string,
    to: string,
    ttlMs: number,
  ): Promise<boolean> {
    return conditionalPut(
      this.ctx,
      { ...lockKey(portfolioId, botId), owner: to, expires_at: this.ctx.now().getTime() + ttlMs },
      '#owner = :from',
      { '#owner': 'owner' },
      { ':from': from },
    );
  }

  /** Bot id → the owner of its lock, for every lock item of the portfolio (expired ones included). */
  async lockHolders(portfolioId: string): Promise<Map<string, string>> {
    const holders = new Map<string, string>();
    for (const { key, item } of await itemsByPrefix(this.ctx, portfolioId, 'lock#')) {
      holders.set(key, readString(`lock of ${key}`, item, 'owner'));
    }
    return holders;
  }

  /** Releases the lock if `owner` holds it; someone else's lock (or none) is left as it is. */
  async unlockBot(portfolioId: string, botId: string, owner: string): Promise<void> {
    try {
      await this.ctx.doc.send(
        new DeleteCommand({
          TableName: this.ctx.tables.state,
          Key: lockKey(portfolioId, botId),
          ConditionExpression: '#owner = :owner',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: { ':owner': owner },
        }),
      );
    } catch (err) {
      if (!isConditionalCheckFailed(err)) throw err;
    }
  }
}
