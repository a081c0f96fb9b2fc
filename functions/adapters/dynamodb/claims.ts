/**
 * Claims a transfer makes before it may move money, each a single-item conditional write, so two
 * transfers racing for the same money cannot both get it (DESIGN.md §4, the guards):
 *
 * - a reserve hold: on the state item, `hold:<reserve>` sums the amounts that in-flight transfers
 *   out of the reserve will take, and the string set `holding` names them. A hold is granted only
 *   while the reserve less every hold stays at or above a floor (0, or the emergency minimum): the
 *   condition bounds the reserve from below (at least what was read) and the holds from above
 *   (at most what leaves room for this one), so holds racing for one reserve refuse each other
 *   only when it would not cover them all. The ledger ends the hold
 *   in the very write that applies the transfer (ledger.ts); `releaseReserve` ends it when nothing
 *   moved. So the projection can never be spent below its floor by transfers in flight together.
 * - a share of the exchange's `daily_transfer_limit` over a rolling 24 hours: one item per
 *   exchange (`daily#<exchange>`) sums the amounts claimed in each quarter hour (`q:<n>`, n
 *   quarter hours since 1970) and carries a version. A claim is written only if the version is
 *   still the one the total was computed from and the newest quarter has grown by no more than
 *   the room the total left; only a claim that adds a quarter, adds to an older one or prunes
 *   bumps the version. Claims into the newest quarter may only make it grow and releases only
 *   shrink quarters, so between a claim's read and its write, with the version unchanged, the
 *   total grew by at most the newest quarter's growth — which the condition bounds: claims
 *   racing in one quarter refuse each other only when the limit would not cover them all.
 *   A decision's transfers (a refill's legs) are
 *   claimed together or not at all. A quarter's claims count until 24 hours after the quarter
 *   ends: never less than 24 hours, at most 15 minutes more. Each transfer's share is then
 *   recorded in an item of its own (`dclaim#<transfer>`), which a repeated claim finds and a
 *   release marks. The total is written before the share's record, and a release marks the
 *   record before it takes the share off: a crash in between, or a claim racing its own retry,
 *   can only count a share too long, never too little. Neither item grows with the fleet.
 *
 * Both are idempotent per transfer id: claiming twice counts once, releasing twice frees once.
 */
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type Money, moneyFromUnits, ZERO } from '../../core/money.ts';
import type { ClaimStore, DailyClaim, HoldResult, ReserveHold } from '../../core/store-ports.ts';
import {
  Expr,
  readInteger,
  readOptionalInteger,
  readString,
  readStringSet,
  reserveAttribute,
} from './codec.ts';
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

/** One item per exchange: the amounts claimed per quarter hour of the last day and a version. */
const dailyKey = (portfolioId: string, exchange: string) => ({
  pk: portfolioId,
  sk: `daily#${exchange}`,
});

/** A transfer's share of its exchange's daily total. */
const shareKey = (portfolioId: string, transferId: string) => ({
  pk: portfolioId,
  sk: `dclaim#${transferId}`,
});

/** A claim counts for a day after its quarter hour ends (a rolling day, DESIGN.md §4). */
const DAY_MS = 86_400_000;
const QUARTER_MS = 900_000;
const quarterOf = (ms: number): number => Math.floor(ms / QUARTER_MS);
const quarterAttribute = (q: number): string => `q:${q}`;
/** The quarters whose claims still count at `nowMs`. */
const counts = (q: number, nowMs: number): boolean => (q + 1) * QUARTER_MS + DAY_MS > nowMs;
/** A share's record outlives every quarter it could count in. */
const SHARE_TTL_S = 2 * 86_400;

interface Share {
  readonly exchange: string;
  readonly quarter: number;
  readonly amount: bigint;
  readonly released: boolean;
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

      // Bounds, not the values read: whatever else changed, the reserve is no smaller and the
      // holds no larger than leave this one above the floor — so racing holds of one reserve
      // refuse each other only when it would not cover them all.
      const x = new Expr();
      const reserveBound =
        reserve === undefined
          ? `(attribute_not_exists(${x.name(reserveName)}) OR ${x.name(reserveName)} >= ${x.value(0n)})`
          : `${x.name(reserveName)} >= ${x.value(reserve)}`;
      const mostHeld = (reserve ?? 0n) - hold.amount - floor;
      const holdBound = `${x.name(holdName)} <= ${x.value(mostHeld)}`;
      try {
        await this.ctx.doc.send(
          new UpdateCommand({
            TableName: this.ctx.tables.state,
            Key: stateKey(portfolioId),
            UpdateExpression: `ADD ${x.name(holdName)} ${x.value(hold.amount)}, ${x.name(HOLDING)} ${x.value(new Set([hold.transferId]))}`,
            ConditionExpression: [
              reserveBound,
              mostHeld >= 0n
                ? `(attribute_not_exists(${x.name(holdName)}) OR ${holdBound})`
                : holdBound,
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
    const quarter = quarterOf(now);
    for (let attempt = 1; ; attempt++) {
      const shares = await Promise.all(claims.map((c) => this.#share(portfolioId, c.transferId)));
      const daily = await this.#readDaily(portfolioId, key, now);
      // A transfer counted before is not counted again; the others of its group are added.
      const missing = claims.filter((_, i) => shares[i] === undefined);
      if (missing.length === 0) return { claimed: true, used: daily.used };
      const adding = missing.reduce((total, c) => total + c.amount, 0n);
      if (daily.used + adding > limit) return { claimed: false, used: daily.used };
      const x = new Expr();
      const q = x.name(quarterAttribute(quarter));
      const version = x.name('version');
      // Adding to the newest quarter, with nothing to prune, leaves the version as it is.
      const same = daily.newest?.quarter === quarter && daily.expired.length === 0;
      const removes = daily.expired.map((e) => x.name(quarterAttribute(e)));
      const update = same
        ? `ADD ${q} ${x.value(adding)}`
        : `ADD ${q} ${x.value(adding)}, ${version} ${x.value(1n)}${removes.length > 0 ? ` REMOVE ${removes.join(', ')}` : ''}`;
      const room = limit - daily.used - adding;
      const conditions = [
        daily.version === 0n
          ? `attribute_not_exists(${version})`
          : `${version} = ${x.value(daily.version)}`,
        ...(daily.newest === undefined
          ? []
          : [
              `${x.name(quarterAttribute(daily.newest.quarter))} <= ${x.value(daily.newest.amount + room)}`,
            ]),
      ];
      try {
        await this.ctx.doc.send(
          new UpdateCommand({
            TableName: this.ctx.tables.state,
            Key: key,
            UpdateExpression: update,
            ConditionExpression: conditions.join(' AND '),
            ...x.attributes(),
          }),
        );
      } catch (err) {
        if (!isConditionalCheckFailed(err)) throw err;
        if (attempt >= MAX_ATTEMPTS) throw new LedgerContentionError(first.transferId, attempt);
        await sleep(backoffMs(attempt));
        continue;
      }
      await Promise.all(missing.map((c) => this.#recordShare(portfolioId, c, quarter)));
      return { claimed: true, used: moneyFromUnits(daily.used + adding) };
    }
  }

  async releaseDaily(
    portfolioId: string,
    claim: Pick<DailyClaim, 'exchange' | 'transferId'>,
  ): Promise<void> {
    const share = await this.#share(portfolioId, claim.transferId);
    if (!share || share.released) return;
    try {
      await this.ctx.doc.send(
        new UpdateCommand({
          TableName: this.ctx.tables.state,
          Key: shareKey(portfolioId, claim.transferId),
          UpdateExpression: 'SET #released = :yes',
          ConditionExpression: 'attribute_not_exists(#released)',
          ExpressionAttributeNames: { '#released': 'released' },
          ExpressionAttributeValues: { ':yes': true },
        }),
      );
    } catch (err) {
      if (isConditionalCheckFailed(err)) return; // released by another caller
      throw err;
    }
    const x = new Expr();
    const q = x.name(quarterAttribute(share.quarter));
    try {
      await this.ctx.doc.send(
        new UpdateCommand({
          TableName: this.ctx.tables.state,
          Key: dailyKey(portfolioId, share.exchange),
          // Only shrinks a quarter: racing claims need not know (the version stays).
          UpdateExpression: `ADD ${q} ${x.value(-share.amount)}`,
          // A quarter that no longer counts was dropped: nothing to give back.
          ConditionExpression: `attribute_exists(${q})`,
          ...x.attributes(),
        }),
      );
    } catch (err) {
      if (!isConditionalCheckFailed(err)) throw err;
    }
  }

  /** The exchange's total of the claims that count at `nowMs`, the quarters that no longer do. */
  async #readDaily(
    portfolioId: string,
    key: Record<string, string>,
    nowMs: number,
  ): Promise<{
    version: bigint;
    used: Money;
    expired: number[];
    newest?: { quarter: number; amount: bigint };
  }> {
    const out = await this.ctx.doc.send(
      new GetCommand({ TableName: this.ctx.tables.state, Key: key, ConsistentRead: true }),
    );
    const where = `daily claims of ${portfolioId}`;
    const item = out.Item ?? {};
    let used = 0n;
    const expired: number[] = [];
    let newest: { quarter: number; amount: bigint } | undefined;
    for (const attribute of Object.keys(item)) {
      const m = /^q:(\d+)$/.exec(attribute);
      if (!m) continue;
      const q = Number(m[1]);
      const amount = readInteger(where, item, attribute);
      if (counts(q, nowMs)) used += amount;
      else expired.push(q);
      if (newest === undefined || q > newest.quarter) newest = { quarter: q, amount };
    }
    return {
      version: readOptionalInteger(where, item, 'version') ?? 0n,
      used: moneyFromUnits(used),
      expired,
      ...(newest !== undefined && { newest }),
    };
  }

  async #share(portfolioId: string, transferId: string): Promise<Share | undefined> {
    const out = await this.ctx.doc.send(
      new GetCommand({
        TableName: this.ctx.tables.state,
        Key: shareKey(portfolioId, transferId),
        ConsistentRead: true,
      }),
    );
    if (!out.Item) return undefined;
    const where = `daily share of ${transferId}`;
    return {
      exchange: readString(where, out.Item, 'exchange'),
      quarter: Number(readInteger(where, out.Item, 'quarter')),
      amount: readInteger(where, out.Item, 'amount'),
      released: out.Item.released === true,
    };
  }

  async #recordShare(portfolioId: string, c: DailyClaim, quarter: number): Promise<void> {
    await this.ctx.doc
      .send(
        new PutCommand({
          TableName: this.ctx.tables.state,
          Item: {
            ...shareKey(portfolioId, c.transferId),
            exchange: c.exchange,
            quarter: BigInt(quarter),
            amount: c.amount,
            expires_at: BigInt(Math.floor(Date.parse(c.at) / 1000) + SHARE_TTL_S),
          },
          ConditionExpression: 'attribute_not_exists(sk)',
        }),
      )
      .catch((err: unknown) => {
        if (!isConditionalCheckFailed(err)) throw err;
      });
  }
}
