/**
 * Bot locks, kept in the bot's plan item (`plan#<bot>`, plans.ts): `lock_owner` (a transfer id)
 * and `lock_until` (ms), each taken, moved and freed with one conditional write of that item —
 * so the write that ends a transfer's plan frees its lock too (`PlanStore.releaseBot`).
 *
 * A lock of 0.1 (its own item, `lock#<bot>`, with `owner` and `expires_at` in ms) still holds
 * while it runs: a transfer that took one before an upgrade may still be running after it. A lock
 * is taken only when no other transfer holds such an item unexpired (one read); the item is
 * deleted when its owner takes the new lock, when it is taken over from an owner that ended, and
 * by an unlock of its owner. Once none is left the read finds nothing.
 */
import { DeleteCommand, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { LockStore } from '../../core/store-ports.ts';
import { type Item, readInteger, readString } from './codec.ts';
import { conditionally, conditionalUpdate, itemsByPrefix, type StoreContext } from './context.ts';
import { PLAN_PREFIX, planKey } from './plans.ts';

const NAMES = { '#owner': 'lock_owner', '#until': 'lock_until' };
const TAKE = 'SET #owner = :owner, #until = :until';

const LEGACY_PREFIX = 'lock#';
const legacyKey = (portfolioId: string, botId: string) => ({
  pk: portfolioId,
  sk: `${LEGACY_PREFIX}${botId}`,
});

function legacyLockOf(botId: string, item: Item): { owner: string; until: number } {
  const where = `lock ${LEGACY_PREFIX}${botId}`;
  return {
    owner: readString(where, item, 'owner'),
    until: Number(readInteger(where, item, 'expires_at')),
  };
}

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
    const legacy = await this.legacyLock(portfolioId, botId);
    if (legacy !== undefined && legacy.owner !== owner && legacy.until >= now) return false;
    const taken = await conditionalUpdate(
      this.ctx,
      planKey(portfolioId, botId),
      TAKE,
      'attribute_not_exists(#owner) OR #owner = :owner OR #until < :now',
      NAMES,
      { ':owner': owner, ':until': now + ttlMs, ':now': now },
    );
    if (taken && legacy !== undefined) await this.dropLegacy(portfolioId, botId, legacy.owner);
    return taken;
  }

  /**
   * Moves the lock from `from` to `to` if `from` still holds it (expired or not): for a holder the
   * caller knows to be over, such as a transfer that reached a final status and died before its release.
   */
  async takeOverLock(
    portfolioId: string,
    botId: string,
    from: string,
    to: string,
    ttlMs: number,
  ): Promise<boolean> {
    const take = { ':owner': to, ':until': this.ctx.now().getTime() + ttlMs };
    const key = planKey(portfolioId, botId);
    const moved = { ...take, ':from': from };
    if (await conditionalUpdate(this.ctx, key, TAKE, '#owner = :from', NAMES, moved)) return true;
    // A lock of 0.1 held by `from`: deleted, the lock is taken if no one took it meanwhile.
    if (!(await this.dropLegacy(portfolioId, botId, from))) return false;
    return conditionalUpdate(this.ctx, key, TAKE, 'attribute_not_exists(#owner)', NAMES, take);
  }

  /**
   * Bot id → the owner of its lock, for every locked bot of the portfolio (expired ones included);
   * a lock of 0.1 where no other is held, or where it has not expired.
   */
  async lockHolders(portfolioId: string): Promise<Map<string, string>> {
    const holders = new Map<string, string>();
    for (const { key, item } of await itemsByPrefix(this.ctx, portfolioId, PLAN_PREFIX)) {
      if (item.lock_owner !== undefined) {
        holders.set(key, readString(`lock of ${key}`, item, 'lock_owner'));
      }
    }
    const now = this.ctx.now().getTime();
    for (const { key, item } of await itemsByPrefix(this.ctx, portfolioId, LEGACY_PREFIX)) {
      const legacy = legacyLockOf(key, item);
      if (!holders.has(key) || legacy.until >= now) holders.set(key, legacy.owner);
    }
    return holders;
  }

  /** Releases the lock if `owner` holds it; someone else's lock (or none) is left as it is. */
  async unlockBot(portfolioId: string, botId: string, owner: string): Promise<void> {
    const freed = await conditionalUpdate(
      this.ctx,
      planKey(portfolioId, botId),
      'REMOVE #owner, #until',
      '#owner = :owner',
      NAMES,
      { ':owner': owner },
    );
    if (!freed) await this.dropLegacy(portfolioId, botId, owner);
  }

  private async legacyLock(
    portfolioId: string,
    botId: string,
  ): Promise<{ owner: string; until: number } | undefined> {
    const { Item: item } = await this.ctx.doc.send(
      new GetCommand({
        TableName: this.ctx.tables.state,
        Key: legacyKey(portfolioId, botId),
        ConsistentRead: true,
      }),
    );
    return item === undefined ? undefined : legacyLockOf(botId, item);
  }

  /** Deletes a lock of 0.1 if `owner` holds it: true when it did. */
  private dropLegacy(portfolioId: string, botId: string, owner: string): Promise<boolean> {
    return conditionally(() =>
      this.ctx.doc.send(
        new DeleteCommand({
          TableName: this.ctx.tables.state,
          Key: legacyKey(portfolioId, botId),
          ConditionExpression: '#owner = :owner',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: { ':owner': owner },
        }),
      ),
    );
  }
}
