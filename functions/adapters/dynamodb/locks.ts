/**
 * Small coordination items in the `state` table, beside the portfolio's state item: a bot's
 * transfer lock (`lock#<bot>`: owner and expiry in ms) and alert cooldowns (`alert#<key>`: when
 * the alert was last sent). Each is claimed with one conditional write.
 */
import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { StoreContext } from './context.ts';
import { isConditionalCheckFailed } from './errors.ts';

export const lockKey = (portfolioId: string, botId: string) => ({
  pk: portfolioId,
  sk: `lock#${botId}`,
});
export const alertKey = (portfolioId: string, key: string) => ({
  pk: portfolioId,
  sk: `alert#${key}`,
});

/** Takes (or renews) the lock when it is free, already ours, or expired. */
export async function lockBot(
  ctx: StoreContext,
  portfolioId: string,
  botId: string,
  owner: string,
  ttlMs: number,
): Promise<boolean> {
  const now = ctx.now().getTime();
  return conditionalPut(
    ctx,
    { ...lockKey(portfolioId, botId), owner, expires_at: now + ttlMs },
    'attribute_not_exists(pk) OR #owner = :owner OR #expires < :now',
    { '#owner': 'owner', '#expires': 'expires_at' },
    { ':owner': owner, ':now': now },
  );
}

/** Releases the lock if `owner` holds it; someone else's lock (or none) is left as it is. */
export async function unlockBot(
  ctx: StoreContext,
  portfolioId: string,
  botId: string,
  owner: string,
): Promise<void> {
  try {
    await ctx.doc.send(
      new DeleteCommand({
        TableName: ctx.tables.state,
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

/** True (and records `nowMs`) when the alert was never sent or last sent at least `cooldownMs` ago. */
export function claimAlert(
  ctx: StoreContext,
  portfolioId: string,
  key: string,
  nowMs: number,
  cooldownMs: number,
): Promise<boolean> {
  return conditionalPut(
    ctx,
    { ...alertKey(portfolioId, key), sent_at: nowMs },
    'attribute_not_exists(pk) OR #sent <= :cutoff',
    { '#sent': 'sent_at' },
    { ':cutoff': nowMs - cooldownMs },
  );
}

async function conditionalPut(
  ctx: StoreContext,
  item: Record<string, unknown>,
  condition: string,
  names: Record<string, string>,
  values: Record<string, unknown>,
): Promise<boolean> {
  try {
    await ctx.doc.send(
      new PutCommand({
        TableName: ctx.tables.state,
        Item: item,
        ConditionExpression: condition,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    );
    return true;
  } catch (err) {
    if (isConditionalCheckFailed(err)) return false;
    throw err;
  }
}
