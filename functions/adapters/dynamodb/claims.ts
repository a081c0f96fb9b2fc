/**
 * Claims a transfer makes before it may move money, each a single-item conditional write, so two
 * transfers racing for the same money cannot both get it (DESIGN.md §4, the guards):
 *
 * - a reserve hold: on the state item, `hold:<reserve>` sums the amounts that in-flight transfers
 *   out of the reserve will take, and the string set `holding` names them. A hold is granted only
 *   while the reserve less every hold stays at or above a floor (0, or the emergency minimum), and
 *   the condition pins the reserve and hold values it was computed from. The ledger ends the hold
 *   in the very write that applies the transfer (ledger.ts); `releaseReserve` ends it when nothing
 *   moved. So the projection can never be spent below its floor by transfers in flight together.
 * - a share of the exchange's `daily_transfer_limit`: one item per exchange and UTC day
 *   (`daily#<exchange>#<day>`) with the day's total `used` and the `ids` counted in it.
 *
 * Both are idempotent per transfer id: claiming twice counts once, releasing twice frees once.
 */
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type Money, moneyFromUnits, ZERO } from '../../core/money.ts';
import type { ClaimStore, DailyClaim, HoldResult, ReserveHold } from '../../core/store-ports.ts';
import { Expr, type Item, readOptionalInteger, readStringSet, reserveAttribute } from './codec.ts';
import { backoffMs, type StoreContext, sleep } from './context.ts';
import { isConditionalCheckFailed, LedgerContentionError, StateNotFoundError } from './errors.ts';
import { stateKey } from './portfolio-state.ts';

/** The state item's set of transfers holding reserve money. */
export const HOLDING = 'holding';
/** The state item's attribute summing the holds on one reserve. */
export const holdAttribute = (reserve: string): string => `hold:${reserve}`;

const MAX_ATTEMPTS = 12;

/**
 * Takes a transfer's `amount` out of the sum `total` and its id out of the set `ids`, once: a
 * transfer no longer in the set (released before, applied, never granted) changes nothing.
 */
async function release(
  ctx: StoreContext,
  key: Record<string, string>,
  total: string,
  ids: string,
  claim: { readonly transferId: string; readonly amount: Money },
): Promise<void> {
  const x = new Expr();
  try {
    await ctx.doc.send(
      new UpdateCommand({
        TableName: ctx.tables.state,
        Key: key,
        UpdateExpression: `ADD ${x.name(total)} ${x.value(-claim.amount)} DELETE ${x.name(ids)} ${x.value(new Set([claim.transferId]))}`,
        ConditionExpression: `contains(${x.name(ids)}, ${x.value(claim.transferId)})`,
        ...x.attributes(),
      }),
    );
  } catch (err) {
    if (!isConditionalCheckFailed(err)) throw err;
  }
}

const dailyKey = (portfolioId: string, c: Pick<DailyClaim, 'exchange' | 'day'>) => ({
  pk: portfolioId,
  sk: `daily#${c.exchange}#${c.day}`,
});

function usedOf(portfolioId: string, item: Item | undefined): Money {
  if (!item) return ZERO;
  return moneyFromUnits(readOptionalInteger(`daily total of ${portfolioId}`, item, 'used') ?? 0n);
}

export class DynamoClaimStore implements ClaimStore {
  constructor(private readonly ctx: StoreContext) {}

  async holdReserve(portfolioId: string, hold: ReserveHold, floor: Money): Promise<HoldResult> {
    const reserveName = reserveAttribute(hold.reserve);
    const holdName = holdAttribute(hold.reserve);
    const where = `state of ${portfolioId}`;
    for (let attempt = 1; ; attempt++) {
      const out = await this.ctx.doc.send(
        new GetCommand({
          TableName: this.ctx.tables.state,
          Key: stateKey(portfolioId),
          ConsistentRead: true,
          ProjectionExpression: '#pk, #reserve, #hold, #holding',
          ExpressionAttributeNames: {
            '#pk': 'pk',
            '#reserve': reserveName,
            '#hold': holdName,
            '#holding': HOLDING,
          },
        }),
      );
      if (out.Item === undefined) throw new StateNotFoundError(portfolioId);
      if (readStringSet(where, out.Item, HOLDING).has(hold.transferId)) return { held: true };
      const reserve = readOptionalInteger(where, out.Item, reserveName);
      const held = readOptionalInteger(where, out.Item, holdName);
      const available = moneyFromUnits((reserve ?? 0n) - (held ?? 0n));
      if (available - hold.amount < floor) return { held: false, available };

      const x = new Expr();
      const pin = (attribute: string, value: bigint | undefined) =>
        value === undefined
          ? `attribute_not_exists(${x.name(attribute)})`
          : `${x.name(attribute)} = ${x.value(value)}`;
      try {
        await this.ctx.doc.send(
          new UpdateCommand({
            TableName: this.ctx.tables.state,
            Key: stateKey(portfolioId),
            UpdateExpression: `ADD ${x.name(holdName)} ${x.value(hold.amount)}, ${x.name(HOLDING)} ${x.value(new Set([hold.transferId]))}`,
            ConditionExpression: [
              pin(reserveName, reserve),
              pin(holdName, held),
              `NOT contains(${x.name(HOLDING)}, ${x.value(hold.transferId)})`,
            ].join(' AND '),
            ...x.attributes(),
          }),
        );
        return { held: true };
      } catch (err) {
        if (!isConditionalCheckFailed(err)) throw err;
        if (attempt >= MAX_ATTEMPTS) throw new LedgerContentionError(hold.transferId, attempt);
        await sleep(backoffMs(attempt));
      }
    }
  }

  releaseReserve(portfolioId: string, hold: ReserveHold): Promise<void> {
    return release(this.ctx, stateKey(portfolioId), holdAttribute(hold.reserve), HOLDING, hold);
  }

  async holders(portfolioId: string): Promise<ReadonlySet<string>> {
    const out = await this.ctx.doc.send(
      new GetCommand({
        TableName: this.ctx.tables.state,
        Key: stateKey(portfolioId),
        ConsistentRead: true,
        ProjectionExpression: '#pk, #holding',
        ExpressionAttributeNames: { '#pk': 'pk', '#holding': HOLDING },
      }),
    );
    if (out.Item === undefined) throw new StateNotFoundError(portfolioId);
    return readStringSet(`state of ${portfolioId}`, out.Item, HOLDING);
  }

  async claimDaily(
    portfolioId: string,
    claim: DailyClaim,
    limit: Money,
  ): Promise<{ claimed: boolean; used: Money }> {
    if (claim.amount <= limit) {
      const x = new Expr();
      try {
        const out = await this.ctx.doc.send(
          new UpdateCommand({
            TableName: this.ctx.tables.state,
            Key: dailyKey(portfolioId, claim),
            UpdateExpression: `ADD ${x.name('used')} ${x.value(claim.amount)}, ${x.name('ids')} ${x.value(new Set([claim.transferId]))}`,
            ConditionExpression: `(attribute_not_exists(${x.name('used')}) OR ${x.name('used')} <= ${x.value(limit - claim.amount)}) AND NOT contains(${x.name('ids')}, ${x.value(claim.transferId)})`,
            ReturnValues: 'UPDATED_NEW',
            ...x.attributes(),
          }),
        );
        return { claimed: true, used: usedOf(portfolioId, out.Attributes) };
      } catch (err) {
        if (!isConditionalCheckFailed(err)) throw err;
      }
    }
    // Refused: already counted (a repeated claim), or over the limit.
    const out = await this.ctx.doc.send(
      new GetCommand({
        TableName: this.ctx.tables.state,
        Key: dailyKey(portfolioId, claim),
        ConsistentRead: true,
      }),
    );
    const ids = out.Item
      ? readStringSet(`daily total of ${portfolioId}`, out.Item, 'ids')
      : new Set();
    return { claimed: ids.has(claim.transferId), used: usedOf(portfolioId, out.Item) };
  }

  releaseDaily(portfolioId: string, claim: DailyClaim): Promise<void> {
    return release(this.ctx, dailyKey(portfolioId, claim), 'used', 'ids', claim);
  }
}
