/**
 * Alert cooldowns in the `state` table (`alert#<key>`: when the alert was last sent), each claimed
 * with one conditional write, so the cooldown holds across Lambda invocations.
 */
import type { CooldownStore } from '../../core/store-ports.ts';
import { conditionalPut, itemsByPrefix, type StoreContext } from './context.ts';

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
}
