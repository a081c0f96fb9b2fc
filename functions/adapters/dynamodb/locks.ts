/**
 * Small coordination items in the `state` table, beside the portfolio's state item: a bot's
 * transfer lock (`lock#<bot>`: owner and expiry in ms) and alert cooldowns (`alert#<key>`: when
 * the alert was last sent). Each is claimed with one conditional write.
 */
import { DeleteCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { readString } from './codec.ts';
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

/**
 * Moves the lock from `from` to `to` if `from` still holds it (expired or not): for a holder the
 * caller knows to be over, such as a transfer that reached a final status and died before its release.
 */
export function takeOverLock(
  ctx: StoreContext,
  portfolioId: string,
  botId: string,
  from: string,
  to: string,
  ttlMs: number,
): Promise<boolean> {
  return conditionalPut(
    ctx,
    { ...lockKey(portfolioId, botId), owner: to, expires_at: ctx.now().getTime() + ttlMs },
    '#owner = :from',
    { '#owner': 'owner' },
    { ':from': from },
  );
}

/** Bot id → the owner of its lock, for every lock item of the portfolio (expired ones included). */
export async function lockHolders(
  ctx: StoreContext,
  portfolioId: string,
): Promise<Map<string, string>> {
  const holders = new Map<string, string>();
  let start: Record<string, unknown> | undefined;
  do {
    const out = await ctx.doc.send(
      new QueryCommand({
        TableName: ctx.tables.state,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': portfolioId, ':prefix': 'lock#' },
        ConsistentRead: true,
        ...(start !== undefined && { ExclusiveStartKey: start }),
      }),
    );
    for (const item of out.Items ?? []) {
      const sk = readString(`lock of ${portfolioId}`, item, 'sk');
      holders.set(sk.slice('lock#'.length), readString(`lock ${sk}`, item, 'owner'));
    }
    start = out.LastEvaluatedKey;
  } while (start !== undefined);
  return holders;
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
