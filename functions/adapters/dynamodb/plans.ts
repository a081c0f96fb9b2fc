/**
 * Bot plans in the `state` table (`plan#<bot>`: the cycle that planned the bot, the transfer ids
 * of that plan, when it was claimed, when its balances were read, when it was released), each
 * claimed and released with one conditional write — so two cycles can never both journal money
 * for one bot, whatever the journal index shows. A released plan stays, marked: a cycle whose
 * reading is older than the release cannot claim the bot on it.
 */
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { BotPlan, PlanStore } from '../../core/store-ports.ts';
import { type Item, readString } from './codec.ts';
import { conditionalPut, itemsByPrefix, type StoreContext } from './context.ts';
import { isConditionalCheckFailed, MalformedItemError } from './errors.ts';

const PREFIX = 'plan#';
export const planKey = (portfolioId: string, botId: string) => ({
  pk: portfolioId,
  sk: `${PREFIX}${botId}`,
});

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
    return conditionalPut(
      this.ctx,
      {
        ...planKey(portfolioId, botId),
        cycle_id: plan.cycleId,
        transfer_ids: [...plan.transferIds],
        transfer_key: plan.transferIds.join(','),
        at: plan.at,
        ...(plan.readAt !== undefined && { read_at: plan.readAt }),
      },
      [
        'attribute_not_exists(pk)',
        // Released by the time of this plan's reading: whatever that plan moved, the reading shows.
        plan.readAt === undefined ? 'attribute_exists(#released)' : '#released <= :read',
        // Held by this cycle with the same transfers (a retried one deciding the same), or by the
        // ended plan the caller takes over. A run of the same slot that decided other transfers
        // (another reading: a protect beside a refill) is a second plan: the bot waits for it.
        `(attribute_not_exists(#released) AND ${over === undefined ? '#cycle = :cycle AND #key = :key' : '((#cycle = :cycle AND #key = :key) OR #cycle = :over)'})`,
      ].join(' OR '),
      { '#cycle': 'cycle_id', '#released': 'released_at', '#key': 'transfer_key' },
      {
        ':cycle': plan.cycleId,
        ':key': plan.transferIds.join(','),
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
    return out.Item && planFromItem(out.Item);
  }

  async plans(portfolioId: string): Promise<Map<string, BotPlan>> {
    const plans = new Map<string, BotPlan>();
    for (const { key, item } of await itemsByPrefix(this.ctx, portfolioId, PREFIX)) {
      const plan = planFromItem(item);
      if (plan.releasedAt === undefined) plans.set(key, plan);
    }
    return plans;
  }

  async releaseBot(portfolioId: string, botId: string, cycleId: string): Promise<void> {
    try {
      // Kept, marked released: a cycle that read its balances before now must not claim the bot.
      await this.ctx.doc.send(
        new UpdateCommand({
          TableName: this.ctx.tables.state,
          Key: planKey(portfolioId, botId),
          UpdateExpression: 'SET #released = :now',
          ConditionExpression: '#cycle = :cycle AND attribute_not_exists(#released)',
          ExpressionAttributeNames: { '#cycle': 'cycle_id', '#released': 'released_at' },
          ExpressionAttributeValues: { ':cycle': cycleId, ':now': this.ctx.now().toISOString() },
        }),
      );
    } catch (err) {
      // Another cycle's plan holds it now, or none does: nothing of ours to release.
      if (!isConditionalCheckFailed(err)) throw err;
    }
  }
}
