/**
 * The portfolio's state in the `state` table: a header and one item per bot (state-item.ts has
 * the layout). A cycle's save writes each bot's balance on its own item and the header last; the
 * ledger's fields are written only by ledger.ts.
 */
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import pMap from 'p-map';
import type { Money } from '../../core/money.ts';
import { ZERO } from '../../core/money.ts';
import type {
  BalanceConfirmation,
  Opening,
  PortfolioState,
  ReserveHoldFlag,
} from '../../core/state.ts';
import type { CycleSnapshot, PortfolioStore } from '../../core/store-ports.ts';
import {
  BINDING_PARTS,
  type BotField,
  botAttribute,
  CONFIRMED,
  capitalAttribute,
  Expr,
  type Item,
  PEAK_FLOWS_SEEN,
  RETIRED,
  reserveAttribute,
} from './codec.ts';
import { itemsByPrefix, type StoreContext } from './context.ts';
import { isConditionalCheckFailed, StateNotFoundError } from './errors.ts';
import { ensureLayout, isUpgraded } from './layout.ts';
import {
  BALANCE_AT,
  BOT_SK_PREFIX,
  botItemKey,
  HALTED_AT,
  LAYOUT,
  LAYOUT_VERSION,
  OPENING,
  PROTECT_EPISODE,
  PROTECTED_IN,
  RESERVE_HOLD,
  stateFromItems,
  stateKey,
} from './state-item.ts';

export { STATE_SK, stateFromItems, stateKey } from './state-item.ts';

/** Bot items a cycle's save writes at once. */
const SAVE_CONCURRENCY = 16;

/** SET on the existing state item; a missing item is an error (the state is created by `init`). */
async function setAttributes(
  ctx: StoreContext,
  portfolioId: string,
  attributes: [string, unknown][],
  removes: readonly string[] = [],
  /** Only over a state of this cycle or an older one (never over a newer cycle's). */
  notNewerThan?: string,
  /** SET only where the item has none yet. */
  ifAbsent: readonly [string, unknown][] = [],
  /** Numbers ADDed to. */
  adds: readonly [string, bigint][] = [],
): Promise<boolean> {
  const x = new Expr();
  const sets = [
    ...attributes.map(([name, value]) => `${x.name(name)} = ${x.value(value)}`),
    ...ifAbsent.map(
      ([name, value]) => `${x.name(name)} = if_not_exists(${x.name(name)}, ${x.value(value)})`,
    ),
  ];
  const remove = removes.length > 0 ? ` REMOVE ${removes.map((r) => x.name(r)).join(', ')}` : '';
  const add =
    adds.length > 0 ? ` ADD ${adds.map(([n, v]) => `${x.name(n)} ${x.value(v)}`).join(', ')}` : '';
  const older =
    notNewerThan === undefined
      ? ''
      : ` AND (attribute_not_exists(${x.name('as_of')}) OR ${x.name('as_of')} <= ${x.value(notNewerThan)})`;
  try {
    await ctx.doc.send(
      new UpdateCommand({
        TableName: ctx.tables.state,
        Key: stateKey(portfolioId),
        UpdateExpression:
          `${sets.length > 0 ? `SET ${sets.join(', ')}` : ''}${remove}${add}`.trim(),
        ConditionExpression: `attribute_exists(${x.name('pk')})${older}`,
        ...x.attributes(),
      }),
    );
    return true;
  } catch (err) {
    if (!isConditionalCheckFailed(err)) throw err;
    if (notNewerThan !== undefined && (await stateExists(ctx, portfolioId))) return false;
    throw new StateNotFoundError(portfolioId);
  }
}

async function stateExists(ctx: StoreContext, portfolioId: string): Promise<boolean> {
  const out = await ctx.doc.send(
    new GetCommand({
      TableName: ctx.tables.state,
      Key: stateKey(portfolioId),
      ConsistentRead: true,
      ProjectionExpression: 'pk',
    }),
  );
  return out.Item !== undefined;
}

/** The header's attributes of a state (its bots are items of their own: `botItems`). */
function headerAttributes(state: PortfolioState): Item {
  const item: Item = {
    as_of: state.asOf,
    peak_equity: state.peakEquity,
    halted: state.flags.halted,
    black_swan: state.flags.blackSwan,
    [LAYOUT]: LAYOUT_VERSION,
    ...(state.lastRebalance !== undefined && { last_rebalance: state.lastRebalance }),
  };
  for (const [name, amount] of state.reserves) item[reserveAttribute(name)] = amount;
  if (state.opening) item[OPENING] = openingItem(state.opening);
  for (const [name, amount] of state.capital ?? []) item[capitalAttribute(name)] = amount;
  return item;
}

/** The bot items of a state: its funded bots' books, its retired bots' accounts. */
function botItems(portfolioId: string, state: PortfolioState): Item[] {
  const items = new Map<string, Item>();
  for (const [botId, b] of state.bots) {
    const item: Item = botItemKey(portfolioId, botId);
    const fields: [BotField, unknown][] = [
      ['balance', b.balance ?? ZERO],
      ['capitalBase', b.capitalBase],
      ['contributed', b.contributed],
      ['harvested', b.harvested],
      ['protected', b.protected],
      ['refills', BigInt(b.refills)],
      ['refillBlocked', b.refillBlocked],
    ];
    for (const [field, value] of fields) item[botAttribute(field)] = value;
    if (b.binding) for (const part of BINDING_PARTS) item[part] = b.binding[part];
    if (state.protectedThisEpisode?.has(botId)) item[PROTECTED_IN] = 0n;
    items.set(botId, item);
  }
  for (const [botId, account] of state.retired ?? []) {
    items.set(botId, {
      ...(items.get(botId) ?? botItemKey(portfolioId, botId)),
      [RETIRED]: account,
    });
  }
  return [...items.values()];
}

function openingItem(o: Opening): Item {
  return {
    at: o.at,
    total_capital: o.totalCapital,
    reserves: Object.fromEntries(o.reserves),
    ...(o.verifiedAt !== undefined && { verified_at: o.verifiedAt }),
  };
}

export class DynamoPortfolioStore implements PortfolioStore {
  constructor(private readonly ctx: StoreContext) {}

  /** The whole state; with `bot`, the header and that bot's item only (what a transfer's guards read). */
  async load(
    portfolioId: string,
    opts: { readonly bot?: string } = {},
  ): Promise<PortfolioState | undefined> {
    const out = await this.ctx.doc.send(
      new GetCommand({
        TableName: this.ctx.tables.state,
        Key: stateKey(portfolioId),
        ConsistentRead: true,
      }),
    );
    if (out.Item === undefined) return undefined;
    const header = isUpgraded(out.Item)
      ? out.Item
      : await ensureLayout(this.ctx, portfolioId, out.Item);
    if (opts.bot !== undefined) {
      const bot = await this.ctx.doc.send(
        new GetCommand({
          TableName: this.ctx.tables.state,
          Key: botItemKey(portfolioId, opts.bot),
          ConsistentRead: true,
        }),
      );
      return stateFromItems(portfolioId, header, bot.Item ? [bot.Item] : []);
    }
    const bots = await itemsByPrefix(this.ctx, portfolioId, BOT_SK_PREFIX);
    return stateFromItems(
      portfolioId,
      header,
      bots.map((b) => b.item),
    );
  }

  async init(portfolioId: string, state: PortfolioState): Promise<boolean> {
    try {
      await this.ctx.doc.send(
        new PutCommand({
          TableName: this.ctx.tables.state,
          Item: { ...stateKey(portfolioId), ...headerAttributes(state) },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (err) {
      if (isConditionalCheckFailed(err)) return false;
      throw err;
    }
    // The header is new: nobody has written a bot item of this portfolio's yet.
    await pMap(
      botItems(portfolioId, state),
      (Item) => this.ctx.doc.send(new PutCommand({ TableName: this.ctx.tables.state, Item })),
      { concurrency: SAVE_CONCURRENCY },
    );
    return true;
  }

  /**
   * Sets the cycle's snapshot fields; the ledger fields (reserves, capital bases, …) are not
   * touched. Balances first, each on its bot's item and never over a newer cycle's reading, the
   * header last: a reader never sees a new `as_of` over old balances, and a cycle of an older slot
   * that ends late (overlapping cycles) writes nothing over a newer one's.
   */
  async saveCycle(portfolioId: string, snapshot: CycleSnapshot): Promise<void> {
    if (!(await stateExists(this.ctx, portfolioId))) throw new StateNotFoundError(portfolioId);
    const ended = new Set(snapshot.confirmationsEnded ?? []);
    const botIds = [...new Set([...snapshot.balances.keys(), ...ended])];
    await pMap(
      botIds,
      async (botId) => {
        const balance = snapshot.balances.get(botId);
        const x = new Expr();
        const at = x.name(BALANCE_AT);
        const sets =
          balance === undefined
            ? []
            : [
                `${x.name(botAttribute('balance'))} = ${x.value(balance)}`,
                `${at} = ${x.value(snapshot.asOf)}`,
              ];
        const clauses = [
          sets.length > 0 ? `SET ${sets.join(', ')}` : '',
          ended.has(botId) ? `REMOVE ${x.name(CONFIRMED)}` : '',
        ];
        try {
          await this.ctx.doc.send(
            new UpdateCommand({
              TableName: this.ctx.tables.state,
              Key: botItemKey(portfolioId, botId),
              UpdateExpression: clauses.filter((c) => c !== '').join(' '),
              ConditionExpression: `attribute_not_exists(${at}) OR ${at} <= ${x.value(snapshot.asOf)}`,
              ...x.attributes(),
            }),
          );
        } catch (err) {
          if (!isConditionalCheckFailed(err)) throw err; // a newer cycle's reading is there
        }
      },
      { concurrency: SAVE_CONCURRENCY },
    );
    await setAttributes(
      this.ctx,
      portfolioId,
      [
        ['as_of', snapshot.asOf],
        ['cycle_id', snapshot.cycleId],
        ['peak_equity', snapshot.peakEquity],
        [PEAK_FLOWS_SEEN, snapshot.peakFlowsSeen ?? ZERO],
        // A cycle sets halted, never clears it (only `resume` does): an operator's halt made
        // while the cycle ran is never undone by the cycle's older view.
        ...(snapshot.flags.halted ? ([['halted', true]] as [string, unknown][]) : []),
        ['black_swan', snapshot.flags.blackSwan],
        ...(snapshot.lastRebalance === undefined
          ? []
          : ([['last_rebalance', snapshot.lastRebalance]] as [string, unknown][])),
      ],
      [],
      snapshot.asOf,
      snapshot.haltedAt === undefined ? [] : [[HALTED_AT, snapshot.haltedAt]],
      // A new episode starts with nobody protected: the bots' marks are of the one before.
      snapshot.newProtectEpisode ? [[PROTECT_EPISODE, 1n]] : [],
    );
  }

  /** Blocks or unblocks a bot's refills (DESIGN.md §3, `no_refill_policy`). */
  async setRefillBlocked(portfolioId: string, botId: string, blocked: boolean): Promise<void> {
    await this.#setOnBot(portfolioId, botId, botAttribute('refillBlocked'), blocked);
  }

  /** An operator's confirmation of a bot's balance, until a cycle's reading ends it. */
  async confirmBalance(portfolioId: string, botId: string, c: BalanceConfirmation): Promise<void> {
    const map = { balance: c.balance, at: c.at, reason: c.reason, by: c.by };
    await this.#setOnBot(portfolioId, botId, CONFIRMED, map);
  }

  async #setOnBot(portfolioId: string, botId: string, attribute: string, value: unknown) {
    if (!(await stateExists(this.ctx, portfolioId))) throw new StateNotFoundError(portfolioId);
    await this.ctx.doc.send(
      new UpdateCommand({
        TableName: this.ctx.tables.state,
        Key: botItemKey(portfolioId, botId),
        UpdateExpression: 'SET #a = :v',
        ExpressionAttributeNames: { '#a': attribute },
        ExpressionAttributeValues: { ':v': value },
      }),
    );
  }

  /**
   * Records the opening layout of books that have none (written before openings were recorded),
   * and the booked capital from it; false when the state has one already.
   */
  async recordOpening(portfolioId: string, opening: Opening): Promise<boolean> {
    const x = new Expr();
    const sets = [
      `${x.name(OPENING)} = ${x.value(openingItem(opening))}`,
      ...[...opening.reserves].map(
        ([name, amount]) => `${x.name(capitalAttribute(name))} = ${x.value(amount)}`,
      ),
    ];
    try {
      await this.ctx.doc.send(
        new UpdateCommand({
          TableName: this.ctx.tables.state,
          Key: stateKey(portfolioId),
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: `attribute_exists(${x.name('pk')}) AND attribute_not_exists(${x.name(OPENING)})`,
          ...x.attributes(),
        }),
      );
      return true;
    } catch (err) {
      if (isConditionalCheckFailed(err)) return false;
      throw err;
    }
  }

  /** The exchange was seen holding the opening reserves (once; later calls change nothing). */
  async verifyOpening(portfolioId: string, at: string): Promise<void> {
    const x = new Expr();
    try {
      await this.ctx.doc.send(
        new UpdateCommand({
          TableName: this.ctx.tables.state,
          Key: stateKey(portfolioId),
          UpdateExpression: `SET ${x.name(OPENING)}.${x.name('verified_at')} = ${x.value(at)}`,
          ConditionExpression: `attribute_exists(${x.name(OPENING)}) AND attribute_not_exists(${x.name(OPENING)}.${x.name('verified_at')})`,
          ...x.attributes(),
        }),
      );
    } catch (err) {
      if (!isConditionalCheckFailed(err)) throw err;
    }
  }

  /** Sets reconciliation's hold on the reserves, or lifts it (`undefined`). */
  async setReserveHold(portfolioId: string, hold: ReserveHoldFlag | undefined): Promise<void> {
    if (hold) {
      await setAttributes(this.ctx, portfolioId, [[RESERVE_HOLD, { at: hold.at, why: hold.why }]]);
    } else {
      await setAttributes(this.ctx, portfolioId, [], [RESERVE_HOLD]);
    }
  }

  /** An operator's halt or resume; a resume may also set the peak the drawdown is measured from. */
  async setHalted(
    portfolioId: string,
    halted: boolean,
    peak?: { readonly equity: Money; readonly flowsSeen: Money },
    at?: string,
  ): Promise<void> {
    await setAttributes(
      this.ctx,
      portfolioId,
      [
        ['halted', halted],
        ...(peak === undefined
          ? []
          : ([
              ['peak_equity', peak.equity],
              [PEAK_FLOWS_SEEN, peak.flowsSeen],
            ] as [string, unknown][])),
      ],
      halted ? [] : [HALTED_AT],
      undefined,
      halted && at !== undefined ? [[HALTED_AT, at]] : [],
    );
  }
}
