/**
 * Applying a completed journal entry to the ledger projection (the state item's reserves and bot
 * fields) exactly once, with single-item conditional writes only (dynalite has no transactions).
 *
 * The protocol, for entry id X:
 *   (0) read the state item (consistently): its `ledger_epoch` E and whether X is in `applying`;
 *   (1) read the journal item (consistently): refuse unless `completed`; if `ledger_applied` is
 *       true, the deltas are in: only tidy up (4) and return;
 *   (2) unless X is already in `applying`: one UpdateItem on the state item that ADDs every delta
 *       and adds X to the string set `applying`, on condition that X is not in `applying` and
 *       `ledger_epoch` is still E. Its ReturnValues give the reserve's new balance (pot_after);
 *   (3) set `ledger_applied = true` (and pot_before/pot_after if this call did step 2) on the
 *       journal item;
 *   (4) remove X from `applying` and add 1 to `ledger_epoch`, on condition that X is there.
 *
 * Why it applies once. X enters `applying` only through a successful step 2 and leaves it only in
 * step 4, which always comes after step 3 has made `ledger_applied` true, and `ledger_applied`
 * never goes back. So when step 2 succeeds, X was either never applied, or applied and removed.
 * A removal before our read (0) was preceded by step 3, which our later read (1) would have seen;
 * a removal after it bumped the epoch, so our condition fails. Either way step 2 cannot succeed
 * twice. The epoch is what makes this hold for concurrent callers, not only sequential retries: a
 * caller whose read (1) saw `ledger_applied = false` just before another caller finished (3) and
 * (4) would otherwise find X gone from `applying` and apply the deltas a second time. A failed
 * step 2 means "already applying" or "the epoch moved": we start over from (0), a bounded number
 * of times. A crash anywhere leaves a state from which the next call finishes the job.
 *
 * Two more things ride on step 2 and step 3. A transfer out of a reserve holds its amount while
 * in flight (claims.ts): step 2 ends the hold in the same write that takes the amount from the
 * reserve, so the reserve's room never counts the money twice or not at all. And step 3 moves the
 * entry from the "completed, not applied" index key to the plain `completed` one. Step 4 also
 * records the last entry applied: with `ledger_epoch` (one bump per entry applied) that is the
 * projection's watermark — how many completed entries it holds.
 */
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { reserveOf } from '../../core/accounts.ts';
import {
  type LedgerDelta,
  type LedgerEffects,
  ledgerDeltas,
  ledgerEffects,
} from '../../core/ledger.ts';
import { type Money, moneyFromUnits } from '../../core/money.ts';
import type { Ledger, LedgerStore, LedgerWatermark } from '../../core/store-ports.ts';
import { claimedAmount, type JournalEntry } from '../../core/transfer.ts';
import { HOLDING, holdAttribute } from './claims.ts';
import {
  BOT_FIELDS,
  bindingAttribute,
  botAttribute,
  capitalAttribute,
  confirmationAttribute,
  Expr,
  fundedBotOfAttribute,
  type Item,
  journalEntryFromItem,
  ledgerAttribute,
  readBoolean,
  readInteger,
  readOptionalInteger,
  readOptionalString,
  readStringSet,
  reserveAttribute,
  retiredAttribute,
  statusKey,
} from './codec.ts';
import { backoffMs, type StoreContext, sleep } from './context.ts';
import {
  isConditionalCheckFailed,
  LedgerContentionError,
  NotCompletedError,
  StateNotFoundError,
  TransferNotFoundError,
} from './errors.ts';
import { getJournalItem } from './journal.ts';
import { bindingAttributes, PROTECTED_EPISODE, stateKey } from './portfolio-state.ts';

const APPLYING = 'applying';
const EPOCH = 'ledger_epoch';
const LAST_APPLIED = 'last_applied';
const LAST_APPLIED_AT = 'last_applied_at';
/** Bots whose fields one `replaceLedger` update sets (an update expression is at most 4 KB). */
const BOTS_PER_REPLACE = 25;
/** Fresh starts of the protocol when other entries' writes keep moving the epoch. */
const MAX_ATTEMPTS = 12;

interface Pots {
  readonly before: Money;
  readonly after: Money;
}

async function readWatermark(
  ctx: StoreContext,
  portfolioId: string,
): Promise<{
  epoch: bigint | undefined;
  applying: ReadonlySet<string>;
  holding: ReadonlySet<string>;
  lastApplied: { id: string; at: string } | undefined;
}> {
  const out = await ctx.doc.send(
    new GetCommand({
      TableName: ctx.tables.state,
      Key: stateKey(portfolioId),
      ConsistentRead: true,
      ProjectionExpression: '#pk, #applying, #epoch, #holding, #last, #lastAt',
      ExpressionAttributeNames: {
        '#pk': 'pk',
        '#applying': APPLYING,
        '#epoch': EPOCH,
        '#holding': HOLDING,
        '#last': LAST_APPLIED,
        '#lastAt': LAST_APPLIED_AT,
      },
    }),
  );
  if (out.Item === undefined) throw new StateNotFoundError(portfolioId);
  const where = `state of ${portfolioId}`;
  const last = readOptionalString(where, out.Item, LAST_APPLIED);
  const lastAt = readOptionalString(where, out.Item, LAST_APPLIED_AT);
  return {
    epoch: readOptionalInteger(where, out.Item, EPOCH),
    applying: readStringSet(where, out.Item, APPLYING),
    holding: readStringSet(where, out.Item, HOLDING),
    lastApplied: last !== undefined && lastAt !== undefined ? { id: last, at: lastAt } : undefined,
  };
}

/**
 * Step 2. When the entry holds reserve money (`held`), the same write ends the hold. Returns the
 * reserve side's balance before and after.
 */
async function addDeltas(
  ctx: StoreContext,
  entry: JournalEntry,
  epoch: bigint | undefined,
  held: boolean,
): Promise<Pots | undefined> {
  const effects = ledgerEffects(entry);
  const closed = effects.close?.botId;
  // A bot whose books close loses every field: no delta is added to what is removed.
  const totals = sumByAttribute(
    ledgerDeltas(entry).filter((d) => d.target.kind !== 'bot' || d.target.botId !== closed),
  );
  const x = new Expr();
  const adds = [...totals].map(([attribute, delta]) => `${x.name(attribute)} ${x.value(delta)}`);
  adds.push(`${x.name(APPLYING)} ${x.value(new Set([entry.id]))}`);
  const { sets, removes } = effectUpdates(x, effects, entry);
  // A completed protect marks its bot protected for the black-swan episode under way.
  if (entry.kind === 'protect') {
    adds.push(`${x.name(PROTECTED_EPISODE)} ${x.value(new Set([entry.botId]))}`);
  }
  const holdCondition = `contains(${x.name(HOLDING)}, ${x.value(entry.id)})`;
  let deletes = '';
  const reserve = reserveOf(entry.from);
  if (held && reserve !== undefined) {
    // By the amount held, which the exchange's record may have changed (`claimedAmount`).
    adds.push(`${x.name(holdAttribute(reserve))} ${x.value(-claimedAmount(entry))}`);
    deletes = ` DELETE ${x.name(HOLDING)} ${x.value(new Set([entry.id]))}`;
  }
  const epochCondition =
    epoch === undefined
      ? `attribute_not_exists(${x.name(EPOCH)})`
      : `${x.name(EPOCH)} = ${x.value(epoch)}`;
  const out = await ctx.doc.send(
    new UpdateCommand({
      TableName: ctx.tables.state,
      Key: stateKey(entry.portfolioId),
      UpdateExpression: `ADD ${adds.join(', ')}${deletes}${sets.length > 0 ? ` SET ${sets.join(', ')}` : ''}${removes.length > 0 ? ` REMOVE ${removes.join(', ')}` : ''}`,
      ConditionExpression: [
        `attribute_exists(${x.name('pk')})`,
        `NOT contains(${x.name(APPLYING)}, ${x.value(entry.id)})`,
        epochCondition,
        deletes ? holdCondition : `NOT ${holdCondition}`,
      ].join(' AND '),
      ReturnValues: 'UPDATED_NEW',
      ...x.attributes(),
    }),
  );
  const pot = potAttribute(entry);
  const delta = pot === undefined ? undefined : totals.get(pot);
  if (pot === undefined || delta === undefined || out.Attributes === undefined) return undefined;
  const after = readInteger(`state of ${entry.portfolioId}`, out.Attributes as Item, pot);
  return { before: moneyFromUnits(after - delta), after: moneyFromUnits(after) };
}

/**
 * The SET and REMOVE clauses of an entry's effects: a bot bound where it sits (a binding once
 * set stays until the books close), a retired bot's every field removed and its account kept.
 */
function effectUpdates(
  x: Expr,
  effects: LedgerEffects,
  entry: Pick<JournalEntry, 'kind' | 'botId'>,
): { sets: string[]; removes: string[] } {
  const sets: string[] = [];
  const removes: string[] = [];
  if (effects.bind) {
    for (const [attribute, value] of Object.entries(
      bindingAttributes(effects.bind.botId, effects.bind.binding),
    )) {
      const name = x.name(attribute);
      sets.push(`${name} = if_not_exists(${name}, ${x.value(value)})`);
    }
  }
  if (effects.close) {
    const { botId, account } = effects.close;
    for (const field of BOT_FIELDS) removes.push(x.name(botAttribute(botId, field)));
    for (const part of ['account', 'pool', 'exchange'] as const) {
      removes.push(x.name(bindingAttribute(botId, part)));
    }
    removes.push(x.name(confirmationAttribute(botId)));
    if (account !== undefined)
      sets.push(`${x.name(retiredAttribute(botId))} = ${x.value(account)}`);
  }
  if (entry.kind === 'adoption') removes.push(x.name(retiredAttribute(entry.botId)));
  return { sets, removes };
}

/** Step 3: the entry leaves the "not applied" index key. */
async function markApplied(
  ctx: StoreContext,
  entry: JournalEntry,
  pots: Pots | undefined,
): Promise<void> {
  const x = new Expr();
  const sets = [
    `${x.name('ledger_applied')} = ${x.value(true)}`,
    `${x.name('status_key')} = ${x.value(statusKey(entry.portfolioId, 'completed'))}`,
  ];
  if (pots) {
    sets.push(`${x.name('pot_before')} = ${x.value(pots.before)}`);
    sets.push(`${x.name('pot_after')} = ${x.value(pots.after)}`);
  }
  await ctx.doc.send(
    new UpdateCommand({
      TableName: ctx.tables.transactions,
      Key: { id: entry.id },
      UpdateExpression: `SET ${sets.join(', ')}`,
      ConditionExpression: `attribute_exists(${x.name('id')})`,
      ...x.attributes(),
    }),
  );
}

/** Step 4: only after step 3. Bumps the epoch so that no stale caller can apply X again. */
async function forgetApplying(ctx: StoreContext, portfolioId: string, id: string): Promise<void> {
  try {
    await ctx.doc.send(
      new UpdateCommand({
        TableName: ctx.tables.state,
        Key: stateKey(portfolioId),
        UpdateExpression: 'DELETE #applying :ids ADD #epoch :one SET #last = :id, #lastAt = :at',
        ConditionExpression: 'contains(#applying, :id)',
        ExpressionAttributeNames: {
          '#applying': APPLYING,
          '#epoch': EPOCH,
          '#last': LAST_APPLIED,
          '#lastAt': LAST_APPLIED_AT,
        },
        ExpressionAttributeValues: {
          ':ids': new Set([id]),
          ':one': 1n,
          ':id': id,
          ':at': ctx.now().toISOString(),
        },
      }),
    );
  } catch (err) {
    // Another caller removed it already.
    if (!isConditionalCheckFailed(err)) throw err;
  }
}

/** The reserve whose balance the journal records as the pot (the spec's pot_balance_before/after). */
function potAttribute(entry: Pick<JournalEntry, 'from' | 'to'>): string | undefined {
  const reserve = reserveOf(entry.to) ?? reserveOf(entry.from);
  return reserve && reserveAttribute(reserve);
}

/** One ADD per attribute (DynamoDB refuses two paths that overlap in one expression). */
function sumByAttribute(deltas: readonly LedgerDelta[]): Map<string, bigint> {
  const totals = new Map<string, bigint>();
  for (const d of deltas) {
    const attribute = ledgerAttribute(d.target);
    totals.set(attribute, (totals.get(attribute) ?? 0n) + d.delta);
  }
  return totals;
}

export class DynamoLedgerStore implements LedgerStore {
  constructor(private readonly ctx: StoreContext) {}

  /**
   * Applies `ledgerDeltas` of the stored entry with `entry.id` exactly once. The stored entry is
   * the authority (its status and amount), not the caller's copy.
   */
  async applyCompleted(entry: JournalEntry): Promise<void> {
    const { id, portfolioId } = entry;
    for (let attempt = 1; ; attempt++) {
      const state = await readWatermark(this.ctx, portfolioId);
      const item = await getJournalItem(this.ctx, id);
      if (item === undefined) throw new TransferNotFoundError(id);
      const stored = journalEntryFromItem(item);
      if (stored.portfolioId !== portfolioId) throw new TransferNotFoundError(id);
      if (stored.status !== 'completed') throw new NotCompletedError(id, stored.status);

      if (readBoolean(`transfer ${id}`, item, 'ledger_applied', false)) {
        if (state.applying.has(id)) await forgetApplying(this.ctx, portfolioId, id);
        return;
      }
      let pots: Pots | undefined;
      if (!state.applying.has(id)) {
        try {
          pots = await addDeltas(this.ctx, stored, state.epoch, state.holding.has(id));
        } catch (err) {
          if (!isConditionalCheckFailed(err)) throw err;
          if (attempt >= MAX_ATTEMPTS) throw new LedgerContentionError(id, attempt);
          await sleep(backoffMs(attempt));
          continue;
        }
      }
      await markApplied(this.ctx, stored, pots);
      await forgetApplying(this.ctx, portfolioId, id);
      return;
    }
  }

  /** The projection's watermark and what is in flight on it. */
  async watermark(portfolioId: string): Promise<LedgerWatermark> {
    const marks = await readWatermark(this.ctx, portfolioId);
    return {
      applied: marks.epoch ?? 0n,
      applying: marks.applying,
      ...(marks.lastApplied && { lastApplied: marks.lastApplied }),
    };
  }

  /**
   * Sets the ledger fields to `ledger` (a rebuild from the journal), on condition that the projection
   * is still at `watermark`: no entry applied since (the epoch) and none half applied. Bots the ledger does
   * not know lose their ledger fields (they are unfunded in the journal's view); balances, refill
   * blocks and holds are left alone. More bots than fit one update take several, each with the same
   * condition: an apply in between makes the rest refuse, and the caller recomputes.
   */
  async replace(portfolioId: string, ledger: Ledger, watermark: LedgerWatermark): Promise<boolean> {
    const out = await this.ctx.doc.send(
      new GetCommand({
        TableName: this.ctx.tables.state,
        Key: stateKey(portfolioId),
        ConsistentRead: true,
      }),
    );
    if (out.Item === undefined) throw new StateNotFoundError(portfolioId);
    const funded = Object.keys(out.Item)
      .map(fundedBotOfAttribute)
      .filter((id): id is string => id !== undefined);
    const FIELDS = ['capitalBase', 'contributed', 'harvested', 'protected', 'refills'] as const;
    const botIds = [...new Set([...ledger.bots.keys(), ...funded])].sort();
    for (let i = 0; i === 0 || i < botIds.length; i += BOTS_PER_REPLACE) {
      const x = new Expr();
      const sets: string[] = [];
      const removes: string[] = [];
      if (i === 0) {
        for (const [name, amount] of ledger.reserves) {
          sets.push(`${x.name(reserveAttribute(name))} = ${x.value(amount)}`);
        }
        for (const [name, amount] of ledger.capital ?? []) {
          sets.push(`${x.name(capitalAttribute(name))} = ${x.value(amount)}`);
        }
      }
      for (const botId of botIds.slice(i, i + BOTS_PER_REPLACE)) {
        const b = ledger.bots.get(botId);
        const values = b && [
          b.capitalBase,
          b.contributed,
          b.harvested,
          b.protected,
          BigInt(b.refills),
        ];
        FIELDS.forEach((field, k) => {
          const attribute = x.name(botAttribute(botId, field));
          if (values) sets.push(`${attribute} = ${x.value(values[k])}`);
          else removes.push(attribute);
        });
        if (b?.binding) {
          for (const [attribute, value] of Object.entries(bindingAttributes(botId, b.binding))) {
            sets.push(`${x.name(attribute)} = ${x.value(value)}`);
          }
        }
      }
      const epoch =
        watermark.applied === 0n
          ? `attribute_not_exists(${x.name(EPOCH)})`
          : `${x.name(EPOCH)} = ${x.value(watermark.applied)}`;
      const expression = [
        sets.length > 0 ? `SET ${sets.join(', ')}` : '',
        removes.length > 0 ? `REMOVE ${removes.join(', ')}` : '',
      ].join(' ');
      if (expression.trim() === '') continue;
      try {
        await this.ctx.doc.send(
          new UpdateCommand({
            TableName: this.ctx.tables.state,
            Key: stateKey(portfolioId),
            UpdateExpression: expression,
            ConditionExpression: `${epoch} AND attribute_not_exists(${x.name(APPLYING)})`,
            ...x.attributes(),
          }),
        );
      } catch (err) {
        if (isConditionalCheckFailed(err)) return false;
        throw err;
      }
    }
    return true;
  }
}
