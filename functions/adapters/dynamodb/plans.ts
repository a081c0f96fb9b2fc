/**
 * Bot plans in the `state` table (`plan#<bot>`: the cycle that planned the bot, the transfer ids
 * of that plan, when it was claimed), each claimed and released with one conditional write — so
 * two cycles can never both journal money for one bot, whatever the journal index shows.
 */
import { DeleteCommand, GetCommand } from '@aws-sdk/lib-dynamodb';
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
        at: plan.at,
      },
      `attribute_not_exists(pk) OR #cycle = :cycle${over === undefined ? '' : ' OR #cycle = :over'}`,
      { '#cycle': 'cycle_id' },
      { ':cycle': plan.cycleId, ...(over !== undefined && { ':over': over }) },
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
      plans.set(key, planFromItem(item));
    }
    return plans;
  }

  async releaseBot(portfolioId: string, botId: string, cycleId: string): Promise<void> {
    try {
      await this.ctx.doc.send(
        new DeleteCommand({
          TableName: this.ctx.tables.state,
          Key: planKey(portfolioId, botId),
          ConditionExpression: '#cycle = :cycle',
          ExpressionAttributeNames: { '#cycle': 'cycle_id' },
          ExpressionAttributeValues: { ':cycle': cycleId },
        }),
      );
    } catch (err) {
      // Another cycle's plan holds it now, or none does: nothing of ours to release.
      if (!isConditionalCheckFailed(err)) throw err;
    }
  }
}
