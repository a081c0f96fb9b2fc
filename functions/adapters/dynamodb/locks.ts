/**
 * Bot locks, kept in the bot's plan item (`plan#<bot>`, plans.ts): `lock_owner` (a transfer id)
 * and `lock_until` (ms), each taken, moved and freed with one conditional write of that item —
 * so the write that ends a transfer's plan frees its lock too (`PlanStore.releaseBot`). A lock
 * item of 0.1 (`lock#<bot>`) is no longer read.
 */
import type { LockStore } from '../../core/store-ports.ts';
import { readString } from './codec.ts';
import { conditionalUpdate, itemsByPrefix, type StoreContext } from './context.ts';
import { PLAN_PREFIX, planKey } from './plans.ts';

const NAMES = { '#owner': 'lock_owner', '#until': 'lock_until' };
const TAKE = 'SET #owner = :owner, #until = :until';

export class DynamoLockStore implements LockStore {
  constructor(private readonly ctx: StoreContext) {}

  /** Takes (or renews) the lock when it is free, already ours, or expired. */
  lockBot(portfolioId: string, botId: string, owner: string, ttlMs: number): Promise<boolean> {
    const now = this.ctx.now().getTime();
    return conditionalUpdate(
      this.ctx,
      planKey(portfolioId, botId),
      TAKE,
      'attribute_not_exists(#owner) OR #owner = :owner OR #until < :now',
      NAMES,
      { ':owner': owner, ':until': now + ttlMs, ':now': now },
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
    return conditionalUpdate(this.ctx, planKey(portfolioId, botId), TAKE, '#owner = :from', NAMES, {
      ':owner': to,
      ':until': this.ctx.now().getTime() + ttlMs,
      ':from': from,
    });
  }

  /** Bot id → the owner of its lock, for every locked bot of the portfolio (expired ones included). */
  async lockHolders(portfolioId: string): Promise<Map<string, string>> {
    const holders = new Map<string, string>();
    for (const { key, item } of await itemsByPrefix(this.ctx, portfolioId, PLAN_PREFIX)) {
      if (item.lock_owner !== undefined) {
        holders.set(key, readString(`lock of ${key}`, item, 'lock_owner'));
      }
    }
    return holders;
  }

  /** Releases the lock if `owner` holds it; someone else's lock (or none) is left as it is. */
  async unlockBot(portfolioId: string, botId: string, owner: string): Promise<void> {
    await conditionalUpdate(
      this.ctx,
      planKey(portfolioId, botId),
      'REMOVE #owner, #until',
      '#owner = :owner',
      NAMES,
      { ':owner': owner },
    );
  }
}
