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
 * - a share of the exchange's `daily_transfer_limit` over a rolling 24 hours: one item per
 *   exchange (`daily#<exchange>`) with every claim of the last day (amount, when it was claimed)
 *   and a version; a claim is written only if the version is still the one the total was
 *   computed from, and a decision's transfers (a refill's legs) are claimed together or not at
 *   all.
 *
 * Both are idempotent per transfer id: claiming twice counts once, releasing twice frees once.
 */
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type Money, moneyFromUnits, ZERO } from '../../core/money.ts';
import type { ClaimStore, DailyClaim, HoldResult, ReserveHold } from '../../core/store-ports.ts';
import {
  Expr,
  type Item,
  readInteger,
  readOptionalInteger,
  readStringSet,
  reserveAttribute,
} from './codec.ts';
import { backoffMs, type StoreContext, sleep } from './context.ts';
import {
  isConditionalCheckFailed,
  LedgerContentionError,
  MalformedItemError,
  StateNotFoundError,
} from './errors.ts';
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

/** One item per exchange: every claim of the last 24 hours, by transfer id. */
const dailyKey = (portfolioId: string, exchange: string) => ({
  pk: portfolioId,
  sk: `daily#${exchange}`,
});

/** A claim counts for this long after it was made (a rolling day, DESIGN.md §4). */
const DAY_MS = 86_400_000;

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
    claims: readonly DailyClaim[],
    limit: Money,
  ): Promise<{ claimed: boolean; used: Money }> {
    const first = claims[0];
    if (first === undefined) return { claimed: true, used: ZERO };
    const key = dailyKey(portfolioId, first.exchange);
    const now = Date.parse(first.at);
    for (let attempt = 1; ; attempt++) {
      const { version, entries } = await this.#readDaily(portfolioId, key);
      const windowStart = now - DAY_MS;
      const live = [...entries].filter(([, c]) => c.at > windowStart);
      const used = moneyFromUnits(live.reduce((total, [, c]) => total + c.amount, 0n));
      const missing = claims.filter((c) => !entries.has(c.transferId));
      if (missing.length === 0) return { claimed: true, used };
      const adding = missing.reduce((total, c) => total + c.amount, 0n);
      if (used + adding > limit) return { claimed: false, used };
      const kept = new Map(live);
      for (const c of missing) kept.set(c.transferId, { amount: c.amount, at: Date.parse(c.at) });
      if (await this.#writeDaily(key, version, kept)) {
        return { claimed: true, used: moneyFromUnits(used + adding) };
      }
      if (attempt >= MAX_ATTEMPTS) throw new LedgerContentionError(first.transferId, attempt);
      await sleep(backoffMs(attempt));
    }
  }

  async releaseDaily(
    portfolioId: string,
    claim: Pick<DailyClaim, 'exchange' | 'transferId'>,
  ): Promise<void> {
    const key = dailyKey(portfolioId, claim.exchange);
    for (let attempt = 1; ; attempt++) {
      const { version, entries } = await this.#readDaily(portfolioId, key);
      if (!entries.has(claim.transferId)) return;
      const kept = new Map(entries);
      kept.delete(claim.transferId);
      if (await this.#writeDaily(key, version, kept)) return;
      if (attempt >= MAX_ATTEMPTS) throw new LedgerContentionError(claim.transferId, attempt);
      await sleep(backoffMs(attempt));
    }
  }

  /** The exchange's claims (transfer id → amount, ms claimed) and the version they were read at. */
  async #readDaily(
    portfolioId: string,
    key: Record<string, string>,
  ): Promise<{ version: bigint; entries: Map<string, { amount: bigint; at: number }> }> {
    const out = await this.ctx.doc.send(
      new GetCommand({ TableName: this.ctx.tables.state, Key: key, ConsistentRead: true }),
    );
    const where = `daily claims of ${portfolioId}`;
    const entries = new Map<string, { amount: bigint; at: number }>();
    if (!out.Item) return { version: 0n, entries };
    const map = out.Item.claims;
    if (map !== undefined && (typeof map !== 'object' || map === null)) {
      throw new MalformedItemError(where, 'claims', map, 'a map of transfer claims');
    }
    for (const [id, c] of Object.entries((map ?? {}) as Record<string, Item>)) {
      entries.set(id, {
        amount: readInteger(`${where} ${id}`, c, 'amount'),
        at: Number(readInteger(`${where} ${id}`, c, 'at')),
      });
    }
    return { version: readOptionalInteger(where, out.Item, 'version') ?? 0n, entries };
  }

  /** Writes the claims if nobody wrote since `version`; false when someone did (read again). */
  async #writeDaily(
    key: Record<string, string>,
    version: bigint,
    entries: ReadonlyMap<string, { amount: bigint; at: number }>,
  ): Promise<boolean> {
    const claims = Object.fromEntries(
      [...entries].map(([id, c]) => [id, { amount: c.amount, at: BigInt(c.at) }]),
    );
    try {
      await this.ctx.doc.send(
        new UpdateCommand({
          TableName: this.ctx.tables.state,
          Key: key,
          UpdateExpression: 'SET #claims = :claims, #version = :next',
          ConditionExpression:
            version === 0n ? 'attribute_not_exists(#version)' : '#version = :version',
          ExpressionAttributeNames: { '#claims': 'claims', '#version': 'version' },
          ExpressionAttributeValues: {
            ':claims': claims,
            ':next': version + 1n,
            ...(version !== 0n && { ':version': version }),
          },
        }),
      );
      return true;
    } catch (err) {
      if (isConditionalCheckFailed(err)) return false;
      throw err;
    }
  }
}
