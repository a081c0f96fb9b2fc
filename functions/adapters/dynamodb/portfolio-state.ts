/**
 * The portfolio's state item in the `state` table (`pk` = portfolio id, `sk` = "state"). Its
 * attributes are flat so the ledger can ADD to each one in a single conditional write:
 * `as_of`, `cycle_id`, `peak_equity`, `halted`, `black_swan`, `last_rebalance` (when the
 * allocation strategy last ran, absent until it has), `reserve:<name>`, and per bot
 * `bot:<id>:balance|capital_base|contributed|harvested|protected|refills|refill_blocked`.
 * A bot is funded when its `capital_base` attribute exists.
 */
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Money } from '../../core/money.ts';
import { ZERO } from '../../core/money.ts';
import type {
  BalanceConfirmation,
  Opening,
  PortfolioState,
  ReserveHoldFlag,
} from '../../core/state.ts';
import type { CycleSnapshot, PortfolioStore } from '../../core/store-ports.ts';
import type { BotBinding } from '../../core/transfer.ts';
import {
  type BotField,
  bindingAttribute,
  botAttribute,
  capitalAttribute,
  confirmationAttribute,
  Expr,
  type Item,
  PEAK_FLOWS_SEEN,
  reserveAttribute,
  retiredAttribute,
} from './codec.ts';
import type { StoreContext } from './context.ts';
import { isConditionalCheckFailed, StateNotFoundError } from './errors.ts';
import {
  HALTED_AT,
  OPENING,
  PROTECTED_EPISODE,
  RESERVE_HOLD,
  stateFromItem,
  stateKey,
} from './state-item.ts';

export { PROTECTED_EPISODE, STATE_SK, stateFromItem, stateKey } from './state-item.ts';

/** Balances written per UpdateItem in `saveCycle` (an update expression is at most 4 KB). */
const BALANCES_PER_UPDATE = 100;

const balanceAttributes = (balances: [string, Money][]): [string, unknown][] =>
  balances.map(([botId, balance]) => [botAttribute(botId, 'balance'), balance]);

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
): Promise<boolean> {
  const x = new Expr();
  const sets = [
    ...attributes.map(([name, value]) => `${x.name(name)} = ${x.value(value)}`),
    ...ifAbsent.map(
      ([name, value]) => `${x.name(name)} = if_not_exists(${x.name(name)}, ${x.value(value)})`,
    ),
  ];
  const remove = removes.length > 0 ? ` REMOVE ${removes.map((r) => x.name(r)).join(', ')}` : '';
  const older =
    notNewerThan === undefined
      ? ''
      : ` AND (attribute_not_exists(${x.name('as_of')}) OR ${x.name('as_of')} <= ${x.value(notNewerThan)})`;
  try {
    await ctx.doc.send(
      new UpdateCommand({
        TableName: ctx.tables.state,
        Key: stateKey(portfolioId),
        UpdateExpression: `${sets.length > 0 ? `SET ${sets.join(', ')}` : ''}${remove}`,
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

function stateAttributes(state: PortfolioState): Item {
  const item: Item = {
    as_of: state.asOf,
    peak_equity: state.peakEquity,
    halted: state.flags.halted,
    black_swan: state.flags.blackSwan,
    ...(state.lastRebalance !== undefined && { last_rebalance: state.lastRebalance }),
  };
  for (const [name, amount] of state.reserves) item[reserveAttribute(name)] = amount;
  for (const [botId, b] of state.bots) {
    const fields: [BotField, unknown][] = [
      ['balance', b.balance],
      ['capitalBase', b.capitalBase],
      ['contributed', b.contributed],
      ['harvested', b.harvested],
      ['protected', b.protected],
      ['refills', BigInt(b.refills)],
      ['refillBlocked', b.refillBlocked],
    ];
    for (const [field, value] of fields) item[botAttribute(botId, field)] = value;
    if (b.binding) Object.assign(item, bindingAttributes(botId, b.binding));
  }
  if (state.opening) item[OPENING] = openingItem(state.opening);
  for (const [name, amount] of state.capital ?? []) item[capitalAttribute(name)] = amount;
  for (const [botId, account] of state.retired ?? []) item[retiredAttribute(botId)] = account;
  return item;
}

export const bindingAttributes = (botId: string, b: BotBinding): Item => ({
  [bindingAttribute(botId, 'account')]: b.account,
  [bindingAttribute(botId, 'pool')]: b.pool,
  [bindingAttribute(botId, 'exchange')]: b.exchange,
});

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

  async load(portfolioId: string): Promise<PortfolioState | undefined> {
    const out = await this.ctx.doc.send(
      new GetCommand({
        TableName: this.ctx.tables.state,
        Key: stateKey(portfolioId),
        ConsistentRead: true,
      }),
    );
    return out.Item && stateFromItem(portfolioId, out.Item);
  }

  async init(portfolioId: string, state: PortfolioState): Promise<boolean> {
    try {
      await this.ctx.doc.send(
        new PutCommand({
          TableName: this.ctx.tables.state,
          Item: { ...stateKey(portfolioId), ...stateAttributes(state) },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return true;
    } catch (err) {
      if (isConditionalCheckFailed(err)) return false;
      throw err;
    }
  }

  /** Sets the cycle's snapshot fields; the ledger fields (reserves, capital bases, …) are not touched. */
  async saveCycle(portfolioId: string, snapshot: CycleSnapshot): Promise<void> {
    const balances = [...snapshot.balances];
    // Balances first, the header last: a reader never sees a new as_of over old balances. A
    // cycle of an older slot that ends late (overlapping cycles) writes nothing over a newer one's.
    for (let i = BALANCES_PER_UPDATE; i < balances.length; i += BALANCES_PER_UPDATE) {
      const written = await setAttributes(
        this.ctx,
        portfolioId,
        balanceAttributes(balances.slice(i, i + BALANCES_PER_UPDATE)),
        [],
        snapshot.asOf,
      );
      if (!written) return;
    }
    await setAttributes(
      this.ctx,
      portfolioId,
      [
        ...balanceAttributes(balances.slice(0, BALANCES_PER_UPDATE)),
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
      [
        // A new episode starts with nobody protected; none is under way after it ended.
        ...(snapshot.newProtectEpisode ? [PROTECTED_EPISODE] : []),
        ...(snapshot.confirmationsEnded ?? []).map(confirmationAttribute),
      ],
      snapshot.asOf,
      snapshot.haltedAt === undefined ? [] : [[HALTED_AT, snapshot.haltedAt]],
    );
  }

  /** Blocks or unblocks a bot's refills (DESIGN.md §3, `no_refill_policy`). */
  async setRefillBlocked(portfolioId: string, botId: string, blocked: boolean): Promise<void> {
    await setAttributes(this.ctx, portfolioId, [[botAttribute(botId, 'refillBlocked'), blocked]]);
  }

  /** An operator's confirmation of a bot's balance, until a cycle's reading ends it. */
  async confirmBalance(portfolioId: string, botId: string, c: BalanceConfirmation): Promise<void> {
    const map = { balance: c.balance, at: c.at, reason: c.reason, by: c.by };
    await setAttributes(this.ctx, portfolioId, [[confirmationAttribute(botId), map]]);
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
