/**
 * Bot plans in the `state` table (`plan#<bot>`: the cycle that planned the bot, the transfer ids
 * of that plan, when it was claimed, when its balances were read, when it was released), each
 * claimed and released with one conditional write — so two cycles can never both journal money
 * for one bot, whatever the journal index shows. A released plan stays, marked: a cycle whose
 * reading is older than the release cannot claim the bot on it. The same item holds the bot's
 * lock (locks.ts), which a claim leaves as it is and the release of a plan may free with it.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { BotPlan, PlanStore } from '../../core/store-ports.ts';
import { type Item, readString } from './codec.ts';
import { conditionalUpdate, itemsByPrefix, type StoreContext } from './context.ts';
import { MalformedItemError } from './errors.ts';

export const PLAN_PREFIX = 'plan#';
export const planKey = (portfolioId: string, botId: string) => ({
  pk: portfolioId,
  sk: `${PLAN_PREFIX}${botId}`,
});

/** An item with a lock and no plan yet (locks.ts) holds no plan. */
const hasPlan = (item: Item | undefined): item is Item => item?.cycle_id !== undefined;

function planFromItem(item: Item): BotPlan {
  const where = `plan ${String(item.sk)}`;
  const ids = item.transfer_ids;
  if (!Array.isArray(ids) || ids.some((id) => typeof id !== 'string')) {
    throw new MalformedItemError(where, 'transfer_ids', ids, 'a list of transfer ids');
  }
  return {
    cycleId: readString(where, item, 'cycle_id'),
    transferIds: ids as string[],
    at: readString(where, item, 'at'),
    ...(item.read_at !== undefined && { readAt: readString(where, item, 'read_at') }),
    ...(item.released_at !== undefined && { releasedAt: readString(where, item, 'released_at') }),
  };
}

export class DynamoPlanStore implements PlanStore {
  constructor(private readonly ctx: StoreContext) {}

  claimBot(portfolioId: string, botId: string, plan: BotPlan, over?: string): Promise<boolean> {
    // An update, not a put: the bot's lock, in the same item, stays as it is.
    return conditionalUpdate(
      this.ctx,
      planKey(portfolioId, botId),
      [
        'SET #cycle = :cycle, #ids = :ids, #key = :key, #at = :at',
        plan.readAt === undefined ? '' : ', #read = :read',
        ` REMOVE #released${plan.readAt === undefined ? ', #read' : ''}`,
      ].join(''),
      [
        'attribute_not_exists(#cycle)',
        // Released by the time of this plan's reading: whatever that plan moved, the reading shows.
        plan.readAt === undefined ? 'attribute_exists(#released)' : '#released <= :read',
        // Held by this cycle with the same transfers (a retried one deciding the same), or by the
        // ended plan the caller takes over. A run of the same slot that decided other transfers
        // (another reading: a protect beside a refill) is a second plan: the bot waits for it.
        `(attribute_not_exists(#released) AND ${over === undefined ? '#cycle = :cycle AND #key = :key' : '((#cycle = :cycle AND #key = :key) OR #cycle = :over)'})`,
      ].join(' OR '),
      {
        '#cycle': 'cycle_id',
        '#ids': 'transfer_ids',
        '#key': 'transfer_key',
        '#at': 'at',
        '#read': 'read_at',
        '#released': 'released_at',
      },
      {
        ':cycle': plan.cycleId,
        ':ids': [...plan.transferIds],
        ':key': plan.transferIds.join(','),
        ':at': plan.at,
        ...(plan.readAt !== undefined && { ':read': plan.readAt }),
        ...(over !== undefined && { ':over': over }),
      },
    );
  }

  async planOf(portfolioId: string, botId: string): Promise<BotPlan | undefined> {
    const out = await this.ctx.doc.send(
      new GetCommand({
        TableName: this.ctx.tables.state,
        Key: planKey(portfolioId, botId),
        ConsistentRead: true,
      }),
    );
    return hasPlan(out.Item) ? planFromItem(out.Item) : undefined;
  }

  async plans(portfolioId: string): Promise<Map<string, BotPlan>> {
    const plans = new Map<string, BotPlan>();
    for (const { key, item } of await itemsByPrefix(this.ctx, portfolioId, PLAN_PREFIX)) {
      if (!hasPlan(item)) continue;
      const plan = planFromItem(item);
      if (plan.releasedAt === undefined) plans.set(key, plan);
    }
    return plans;
  }

  async releaseBot(
    portfolioId: string,
    botId: string,
    cycleId: string,
    unlock?: string,
  ): Promise<void> {
    // Kept, marked released: a cycle that read its balances before now must not claim the bot.
    const key = planKey(portfolioId, botId);
    const names = { '#cycle': 'cycle_id', '#released': 'released_at' };
    const values = { ':cycle': cycleId, ':now': this.ctx.now().toISOString() };
    const held = '#cycle = :cycle AND attribute_not_exists(#released)';
    const lock = { '#owner': 'lock_owner', '#until': 'lock_until' };
    // The usual end of a transfer: its plan and its lock in one write.
    if (
      unlock !== undefined &&
      (await conditionalUpdate(
        this.ctx,
        key,
        'SET #released = :now REMOVE #owner, #until',
        `${held} AND (attribute_not_exists(#owner) OR #owner = :owner)`,
        { ...names, ...lock },
        { ...values, ':owner': unlock },
      ))
    ) {
      return;
    }
    // Another cycle's plan holds the bot now, or none does, or another transfer the lock: each
    // apart, what is ours.
    await conditionalUpdate(this.ctx, key, 'SET #released = :now', held, names, values);
    if (unlock !== undefined) {
      await conditionalUpdate(this.ctx, key, 'REMOVE #owner, #until', '#owner = :owner', lock, {
        ':owner': unlock,
      });
    }
  }
}
