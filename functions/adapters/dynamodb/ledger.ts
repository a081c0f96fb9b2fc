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
 */
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type LedgerDelta, ledgerDeltas } from '../../core/ledger.ts';
import { type Money, moneyFromUnits } from '../../core/money.ts';
import type { JournalEntry } from '../../core/transfer.ts';
import {
  Expr,
  type Item,
  journalEntryFromItem,
  ledgerAttribute,
  readBoolean,
  readInteger,
  readOptionalInteger,
  readStringSet,
  reserveAttribute,
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
import { stateKey } from './portfolio-state.ts';

const APPLYING = 'applying';
const EPOCH = 'ledger_epoch';
/** Fresh starts of the protocol when other entries' writes keep moving the epoch. */
const MAX_ATTEMPTS = 12;

interface Pots {
  readonly before: Money;
  readonly after: Money;
}

/**
 * Applies `ledgerDeltas` of the stored entry with `entry.id` exactly once. The stored entry is
 * the authority (its status and amount), not the caller's copy.
 */
export async function applyCompleted(ctx: StoreContext, entry: JournalEntry): Promise<void> {
  const { id, portfolioId } = entry;
  for (let attempt = 1; ; attempt++) {
    const state = await readLedgerMarks(ctx, portfolioId);
    const item = await getJournalItem(ctx, id);
    if (item === undefined) throw new TransferNotFoundError(id);
    const stored = journalEntryFromItem(item);
    if (stored.portfolioId !== portfolioId) throw new TransferNotFoundError(id);
    if (stored.status !== 'completed') throw new NotCompletedError(id, stored.status);

    if (readBoolean(`transfer ${id}`, item, 'ledger_applied', false)) {
      if (state.applying.has(id)) await forgetApplying(ctx, portfolioId, id);
      return;
    }
    let pots: Pots | undefined;
    if (!state.applying.has(id)) {
      try {
        pots = await addDeltas(ctx, stored, state.epoch);
      } catch (err) {
        if (!isConditionalCheckFailed(err)) throw err;
        if (attempt >= MAX_ATTEMPTS) throw new LedgerContentionError(id, attempt);
        await sleep(backoffMs(attempt));
        continue;
      }
    }
    await markApplied(ctx, id, pots);
    await forgetApplying(ctx, portfolioId, id);
    return;
  }
}

async function readLedgerMarks(
  ctx: StoreContext,
  portfolioId: string,
): Promise<{ epoch: bigint | undefined; applying: ReadonlySet<string> }> {
  const out = await ctx.doc.send(
    new GetCommand({
      TableName: ctx.tables.state,
      Key: stateKey(portfolioId),
      ConsistentRead: true,
      ProjectionExpression: '#pk, #applying, #epoch',
      ExpressionAttributeNames: { '#pk': 'pk', '#applying': APPLYING, '#epoch': EPOCH },
    }),
  );
  if (out.Item === undefined) throw new StateNotFoundError(portfolioId);
  const where = `state of ${portfolioId}`;
  return {
    epoch: readOptionalInteger(where, out.Item, EPOCH),
    applying: readStringSet(where, out.Item, APPLYING),
  };
}

/** Step 2. Returns the reserve side's balance before and after. */
async function addDeltas(
  ctx: StoreContext,
  entry: JournalEntry,
  epoch: bigint | undefined,
): Promise<Pots | undefined> {
  const totals = sumByAttribute(ledgerDeltas(entry));
  const x = new Expr();
  const adds = [...totals].map(([attribute, delta]) => `${x.name(attribute)} ${x.value(delta)}`);
  adds.push(`${x.name(APPLYING)} ${x.value(new Set([entry.id]))}`);
  const epochCondition =
    epoch === undefined
      ? `attribute_not_exists(${x.name(EPOCH)})`
      : `${x.name(EPOCH)} = ${x.value(epoch)}`;
  const out = await ctx.doc.send(
    new UpdateCommand({
      TableName: ctx.tables.state,
      Key: stateKey(entry.portfolioId),
      UpdateExpression: `ADD ${adds.join(', ')}`,
      ConditionExpression: `attribute_exists(${x.name('pk')}) AND NOT contains(${x.name(APPLYING)}, ${x.value(entry.id)}) AND ${epochCondition}`,
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

/** Step 3. */
async function markApplied(ctx: StoreContext, id: string, pots: Pots | undefined): Promise<void> {
  const x = new Expr();
  const sets = [`${x.name('ledger_applied')} = ${x.value(true)}`];
  if (pots) {
    sets.push(`${x.name('pot_before')} = ${x.value(pots.before)}`);
    sets.push(`${x.name('pot_after')} = ${x.value(pots.after)}`);
  }
  await ctx.doc.send(
    new UpdateCommand({
      TableName: ctx.tables.transactions,
      Key: { id },
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
        UpdateExpression: 'DELETE #applying :ids ADD #epoch :one',
        ConditionExpression: 'contains(#applying, :id)',
        ExpressionAttributeNames: { '#applying': APPLYING, '#epoch': EPOCH },
        ExpressionAttributeValues: { ':ids': new Set([id]), ':one': 1n, ':id': id },
      }),
    );
  } catch (err) {
    // Another caller removed it already.
    if (!isConditionalCheckFailed(err)) throw err;
  }
}

/** The reserve whose balance the journal records as the pot (the spec's pot_balance_before/after). */
function potAttribute(entry: Pick<JournalEntry, 'from' | 'to'>): string | undefined {
  const reserve = [entry.to, entry.from].find((a) => a.startsWith('reserve:'));
  return reserve && reserveAttribute(reserve.slice('reserve:'.length));
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
