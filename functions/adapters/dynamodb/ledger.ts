/**
 * Applying a completed journal entry to the ledger projection exactly once, with single-item
 * conditional writes only (dynalite has no transactions). An entry's deltas fall on at most two
 * items (state-item.ts): the header (reserves, booked capital, the peak's flows, the hold it ends)
 * and its bot's item (the bot's books, binding, retirement, protect mark). Each item carries its
 * own `applying` (a string set) and `ledger_epoch` (one bump per entry applied to it), and each
 * part is applied by the same protocol, the header's first.
 *
 * The protocol, for entry X:
 *   (H0) read the header (consistently): its epoch E and whether X is in its `applying`;
 *   (J1) read the journal item (consistently): refuse unless `completed`; if `ledger_applied` is
 *        true, every part is in: only tidy up (B4, H4) and return;
 *   (H2) unless X is in the header's `applying`: one UpdateItem on the header that ADDs the
 *        header's deltas and X to `applying`, on condition that X is not in `applying` and the
 *        epoch is still E. Its ReturnValues give the reserve's new balance (pot_after);
 *   if the entry has a bot part, on the bot's item B:
 *   (B0) read B (consistently): its epoch F and whether X is in its `applying`;
 *   (J1') read the journal item again: if `ledger_applied`, go to (B4);
 *   (B2) unless X is in B's `applying`: one UpdateItem on B with the bot's deltas and effects and
 *        X added to `applying`, on condition that X is not in it and B's epoch is still F;
 *   (J5) set `ledger_applied = true` (and pot_before/pot_after if this call did H2) on the
 *        journal item, which settles it in the journal's indexes (journal-index.ts);
 *   (B4) remove X from B's `applying` and bump B's epoch, on condition that X is there;
 *   (H4) the same on the header, which also records the last entry applied.
 *
 * Why each part applies once. X enters an item's `applying` only through a successful H2 (B2)
 * and leaves it only in H4 (B4), which always come after J5 has made `ledger_applied` true, and
 * `ledger_applied` never goes back. So when H2 succeeds, X was either never applied to the
 * header, or applied and removed. A removal before our read H0 was preceded by J5, which our
 * later read J1 would have seen; a removal after it bumped the epoch, so our condition fails.
 * Either way H2 cannot succeed twice; B2 likewise, by B0, J1' and B's epoch (J1' is what makes
 * this hold: a caller whose J1 came before another caller's J5 and whose B0 came after its B4
 * sees X neither in B nor applied by J1 — but J1' sees it). The epochs make this hold for
 * concurrent callers, not only sequential retries. A failed H2 or B2 means "already applying" or
 * "the epoch moved": we start that part over, a bounded number of times. A crash anywhere leaves
 * a state from which the next call finishes the job.
 *
 * Why the header goes first and leaves last: from H2 to H4, X is in the header's `applying`, so
 * an entry with any part applied and not every part is always visible there — the watermark's
 * `applying`, which a rebuild (`replace`) and reconciliation wait on, as they did when the whole
 * projection was one item. The header's epoch counts the entries applied (every entry has a
 * header part, maybe without deltas): the projection's watermark.
 *
 * Two more things ride on H2 and J5. A transfer out of a reserve holds its amount while in flight
 * (claims.ts): H2 ends the hold in the same write that takes the amount from the reserve, so the
 * reserve's room never counts the money twice or not at all. And J5 moves the entry from the
 * journal's unsettled entries to its bot's and its status's (journal-index.ts).
 *
 * What each apply costs does not grow with the fleet: two or three reads and up to five writes,
 * of the header (a few hundred bytes per reserve), one bot item and the journal item.
 */
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { reserveOf } from '../../core/accounts.ts';
import { type Money, moneyFromUnits } from '../../core/money.ts';
import type { Ledger, LedgerStore, LedgerWatermark } from '../../core/store-ports.ts';
import { claimedAmount, type JournalEntry } from '../../core/transfer.ts';
import { HOLDING, holdAttribute } from './claims.ts';
import {
  BINDING_PARTS,
  BOT_FIELDS,
  botAttribute,
  CONFIRMED,
  capitalAttribute,
  Expr,
  type Item,
  journalEntryFromItem,
  RETIRED,
  readBoolean,
  readInteger,
  readOptionalInteger,
  readOptionalString,
  readStringSet,
  reserveAttribute,
} from './codec.ts';
import { backoffMs, itemsByPrefix, type StoreContext, sleep } from './context.ts';
import {
  isConditionalCheckFailed,
  LedgerContentionError,
  NotCompletedError,
  StateNotFoundError,
  TransferNotFoundError,
} from './errors.ts';
import { getJournalItem } from './journal.ts';
import { indexAttributes } from './journal-index.ts';
import { ensureLayout, isUpgraded } from './layout.ts';
import { type Split, split } from './ledger-split.ts';
import {
  BOT_SK_PREFIX,
  botItemKey,
  LAYOUT,
  PROTECT_EPISODE,
  PROTECTED_IN,
  stateKey,
} from './state-item.ts';

const APPLYING = 'applying';
const EPOCH = 'ledger_epoch';
const LAST_APPLIED = 'last_applied';
const LAST_APPLIED_AT = 'last_applied_at';
/** Fresh starts of a part when other entries' writes keep moving its epoch. */
const MAX_ATTEMPTS = 12;

interface Pots {
  readonly before: Money;
  readonly after: Money;
}

interface Marks {
  readonly epoch: bigint | undefined;
  readonly applying: ReadonlySet<string>;
}

interface HeaderMarks extends Marks {
  readonly holding: ReadonlySet<string>;
  readonly episode: bigint;
  readonly lastApplied: { id: string; at: string } | undefined;
}

async function readHeader(ctx: StoreContext, portfolioId: string): Promise<HeaderMarks> {
  const names = {
    '#pk': 'pk',
    '#applying': APPLYING,
    '#epoch': EPOCH,
    '#holding': HOLDING,
    '#last': LAST_APPLIED,
    '#lastAt': LAST_APPLIED_AT,
    '#episode': PROTECT_EPISODE,
    '#layout': LAYOUT,
  };
  const out = await ctx.doc.send(
    new GetCommand({
      TableName: ctx.tables.state,
      Key: stateKey(portfolioId),
      ConsistentRead: true,
      ProjectionExpression: Object.keys(names).join(', '),
      ExpressionAttributeNames: names,
    }),
  );
  if (out.Item === undefined) throw new StateNotFoundError(portfolioId);
  let item: Item = out.Item;
  if (!isUpgraded(item)) item = await ensureLayout(ctx, portfolioId, item);
  const where = `state of ${portfolioId}`;
  const last = readOptionalString(where, item, LAST_APPLIED);
  const lastAt = readOptionalString(where, item, LAST_APPLIED_AT);
  return {
    epoch: readOptionalInteger(where, item, EPOCH),
    applying: readStringSet(where, item, APPLYING),
    holding: readStringSet(where, item, HOLDING),
    episode: readOptionalInteger(where, item, PROTECT_EPISODE) ?? 0n,
    lastApplied: last !== undefined && lastAt !== undefined ? { id: last, at: lastAt } : undefined,
  };
}

async function readBotMarks(ctx: StoreContext, key: Item): Promise<Marks> {
  const out = await ctx.doc.send(
    new GetCommand({
      TableName: ctx.tables.state,
      Key: key,
      ConsistentRead: true,
      ProjectionExpression: '#applying, #epoch',
      ExpressionAttributeNames: { '#applying': APPLYING, '#epoch': EPOCH },
    }),
  );
  const item = out.Item ?? {};
  const where = `bot item ${String(key.sk)}`;
  return {
    epoch: readOptionalInteger(where, item, EPOCH),
    applying: readStringSet(where, item, APPLYING),
  };
}

const epochCondition = (x: Expr, epoch: bigint | undefined): string =>
  epoch === undefined
    ? `attribute_not_exists(${x.name(EPOCH)})`
    : `${x.name(EPOCH)} = ${x.value(epoch)}`;

/**
 * H2. When the entry holds reserve money (`held`), the same write ends the hold. Returns the
 * reserve side's balance before and after.
 */
async function applyHeader(
  ctx: StoreContext,
  entry: JournalEntry,
  parts: Split,
  epoch: bigint | undefined,
  held: boolean,
): Promise<Pots | undefined> {
  const x = new Expr();
  const adds = [...parts.header].map(([a, delta]) => `${x.name(a)} ${x.value(delta)}`);
  adds.push(`${x.name(APPLYING)} ${x.value(new Set([entry.id]))}`);
  const holdCondition = `contains(${x.name(HOLDING)}, ${x.value(entry.id)})`;
  let deletes = '';
  const reserve = reserveOf(entry.from);
  if (held && reserve !== undefined) {
    // By the amount held, which the exchange's record may have changed (`claimedAmount`).
    adds.push(`${x.name(holdAttribute(reserve))} ${x.value(-claimedAmount(entry))}`);
    deletes = ` DELETE ${x.name(HOLDING)} ${x.value(new Set([entry.id]))}`;
  }
  const out = await ctx.doc.send(
    new UpdateCommand({
      TableName: ctx.tables.state,
      Key: stateKey(entry.portfolioId),
      UpdateExpression: `ADD ${adds.join(', ')}${deletes}`,
      ConditionExpression: [
        `attribute_exists(${x.name('pk')})`,
        `NOT contains(${x.name(APPLYING)}, ${x.value(entry.id)})`,
        epochCondition(x, epoch),
        deletes ? holdCondition : `NOT ${holdCondition}`,
      ].join(' AND '),
      ReturnValues: 'UPDATED_NEW',
      ...x.attributes(),
    }),
  );
  const pot = potAttribute(entry);
  const delta = pot === undefined ? undefined : parts.header.get(pot);
  if (pot === undefined || delta === undefined || out.Attributes === undefined) return undefined;
  const after = readInteger(`state of ${entry.portfolioId}`, out.Attributes as Item, pot);
  return { before: moneyFromUnits(after - delta), after: moneyFromUnits(after) };
}

/**
 * B2: the bot's deltas, and its effects — bound where it sits (a binding once set stays until the
 * books close), a retired bot's every field removed and its account kept, a protect's episode.
 */
async function applyBot(
  ctx: StoreContext,
  entry: JournalEntry,
  parts: Split,
  epoch: bigint | undefined,
  episode: bigint,
): Promise<void> {
  const bot = parts.bot;
  if (!bot) return;
  const x = new Expr();
  const adds = [...bot.adds].map(([a, delta]) => `${x.name(a)} ${x.value(delta)}`);
  adds.push(`${x.name(APPLYING)} ${x.value(new Set([entry.id]))}`);
  const sets: string[] = [];
  const removes: string[] = [];
  const { bind, close } = parts.effects;
  if (bind) {
    for (const part of BINDING_PARTS) {
      const name = x.name(part);
      sets.push(`${name} = if_not_exists(${name}, ${x.value(bind.binding[part])})`);
    }
  }
  if (close) {
    for (const field of BOT_FIELDS) removes.push(x.name(botAttribute(field)));
    for (const part of BINDING_PARTS) removes.push(x.name(part));
    removes.push(x.name(CONFIRMED), x.name(PROTECTED_IN));
    if (close.account !== undefined) sets.push(`${x.name(RETIRED)} = ${x.value(close.account)}`);
  }
  if (entry.kind === 'adoption') removes.push(x.name(RETIRED));
  // A completed protect marks its bot protected for the black-swan episode under way.
  if (entry.kind === 'protect') sets.push(`${x.name(PROTECTED_IN)} = ${x.value(episode)}`);
  await ctx.doc.send(
    new UpdateCommand({
      TableName: ctx.tables.state,
      Key: botItemKey(entry.portfolioId, bot.botId),
      UpdateExpression: [
        `ADD ${adds.join(', ')}`,
        sets.length > 0 ? `SET ${sets.join(', ')}` : '',
        removes.length > 0 ? `REMOVE ${removes.join(', ')}` : '',
      ].join(' '),
      ConditionExpression: `NOT contains(${x.name(APPLYING)}, ${x.value(entry.id)}) AND ${epochCondition(x, epoch)}`,
      ...x.attributes(),
    }),
  );
}

/** J5: every part is in; the entry is settled, under its bot and status (journal-index.ts). */
async function markApplied(
  ctx: StoreContext,
  entry: JournalEntry,
  pots: Pots | undefined,
): Promise<void> {
  const x = new Expr();
  const keys = indexAttributes({ ...entry, status: 'completed', ledgerApplied: true });
  const sets = [
    `${x.name('ledger_applied')} = ${x.value(true)}`,
    `${x.name('bot_key')} = ${x.value(keys.bot_key)}`,
    `${x.name('status_key')} = ${x.value(keys.status_key)}`,
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

/** H4 / B4: only after J5. Bumps the item's epoch so that no stale caller can apply X again. */
async function forgetApplying(
  ctx: StoreContext,
  key: Item,
  id: string,
  header: boolean,
): Promise<void> {
  const x = new Expr();
  const last = header
    ? ` SET ${x.name(LAST_APPLIED)} = ${x.value(id)}, ${x.name(LAST_APPLIED_AT)} = ${x.value(ctx.now().toISOString())}`
    : '';
  try {
    await ctx.doc.send(
      new UpdateCommand({
        TableName: ctx.tables.state,
        Key: key,
        UpdateExpression: `DELETE ${x.name(APPLYING)} ${x.value(new Set([id]))} ADD ${x.name(EPOCH)} ${x.value(1n)}${last}`,
        ConditionExpression: `contains(${x.name(APPLYING)}, ${x.value(id)})`,
        ...x.attributes(),
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

/** The stored entry, the authority (its status and amount), not the caller's copy. */
async function storedEntry(
  ctx: StoreContext,
  id: string,
  portfolioId: string,
): Promise<{ entry: JournalEntry; applied: boolean }> {
  const item = await getJournalItem(ctx, id);
  if (item === undefined) throw new TransferNotFoundError(id);
  const entry = journalEntryFromItem(item);
  if (entry.portfolioId !== portfolioId) throw new TransferNotFoundError(id);
  if (entry.status !== 'completed') throw new NotCompletedError(id, entry.status);
  return { entry, applied: readBoolean(`transfer ${id}`, item, 'ledger_applied', false) };
}

export class DynamoLedgerStore implements LedgerStore {
  constructor(private readonly ctx: StoreContext) {}

  /** Applies `ledgerDeltas` of the stored entry with `entry.id` exactly once (the protocol above). */
  async applyCompleted(entry: JournalEntry): Promise<void> {
    const { id, portfolioId } = entry;
    const headerKey = stateKey(portfolioId);
    for (let attempt = 1; ; attempt++) {
      const header = await readHeader(this.ctx, portfolioId); // H0
      const { entry: stored, applied } = await storedEntry(this.ctx, id, portfolioId); // J1
      const parts = split(stored);
      const botKey = parts.bot && botItemKey(portfolioId, parts.bot.botId);
      if (applied) {
        if (botKey) await forgetApplying(this.ctx, botKey, id, false);
        if (header.applying.has(id)) await forgetApplying(this.ctx, headerKey, id, true);
        return;
      }
      let pots: Pots | undefined;
      if (!header.applying.has(id)) {
        try {
          pots = await applyHeader(this.ctx, stored, parts, header.epoch, header.holding.has(id));
        } catch (err) {
          if (!isConditionalCheckFailed(err)) throw err;
          if (attempt >= MAX_ATTEMPTS) throw new LedgerContentionError(id, attempt);
          await sleep(backoffMs(attempt));
          continue;
        }
      }
      if (botKey) await this.#applyBotPart(stored, parts, botKey, header.episode);
      await markApplied(this.ctx, stored, pots); // J5
      if (botKey) await forgetApplying(this.ctx, botKey, id, false); // B4
      await forgetApplying(this.ctx, headerKey, id, true); // H4
      return;
    }
  }

  /** B0, J1′, B2: the bot's part, once, unless the entry is applied already. */
  async #applyBotPart(stored: JournalEntry, parts: Split, key: Item, episode: bigint) {
    for (let attempt = 1; ; attempt++) {
      const marks = await readBotMarks(this.ctx, key);
      if ((await storedEntry(this.ctx, stored.id, stored.portfolioId)).applied) return;
      if (marks.applying.has(stored.id)) return;
      try {
        await applyBot(this.ctx, stored, parts, marks.epoch, episode);
        return;
      } catch (err) {
        if (!isConditionalCheckFailed(err)) throw err;
        if (attempt >= MAX_ATTEMPTS) throw new LedgerContentionError(stored.id, attempt);
        await sleep(backoffMs(attempt));
      }
    }
  }

  /** The projection's watermark and what is in flight on it. */
  async watermark(portfolioId: string): Promise<LedgerWatermark> {
    const marks = await readHeader(this.ctx, portfolioId);
    return {
      applied: marks.epoch ?? 0n,
      applying: marks.applying,
      ...(marks.lastApplied && { lastApplied: marks.lastApplied }),
    };
  }

  /**
   * Sets the ledger fields to `ledger` (a rebuild from the journal), on condition that the
   * projection is still at `watermark`: the header first (no entry applied since, none half
   * applied), then each bot's item, on condition that nothing was applied to it since it was read
   * (its epoch) and nothing is being applied. An entry that starts meanwhile either applies on top
   * of a field already replaced, or makes the replacement of its bot refuse; then the caller
   * recomputes. Bots the ledger does not know lose their ledger fields (they are unfunded in the
   * journal's view); balances, refill blocks and holds are left alone.
   */
  async replace(portfolioId: string, ledger: Ledger, watermark: LedgerWatermark): Promise<boolean> {
    const bots = new Map<string, Item>();
    for (const { key, item } of await itemsByPrefix(this.ctx, portfolioId, BOT_SK_PREFIX)) {
      bots.set(key, item);
    }
    const x = new Expr();
    const sets: string[] = [];
    for (const [name, amount] of ledger.reserves) {
      sets.push(`${x.name(reserveAttribute(name))} = ${x.value(amount)}`);
    }
    for (const [name, amount] of ledger.capital ?? []) {
      sets.push(`${x.name(capitalAttribute(name))} = ${x.value(amount)}`);
    }
    const condition = [
      `attribute_exists(${x.name('pk')})`,
      epochCondition(x, watermark.applied === 0n ? undefined : watermark.applied),
      `attribute_not_exists(${x.name(APPLYING)})`,
    ].join(' AND ');
    sets.push(`${x.name('ledger_replaced_at')} = ${x.value(this.ctx.now().toISOString())}`);
    if (!(await this.#update(stateKey(portfolioId), sets, [], condition, x))) return false;

    const FIELDS = ['capitalBase', 'contributed', 'harvested', 'protected', 'refills'] as const;
    const funded = [...bots]
      .filter(([, item]) => item[botAttribute('capitalBase')] !== undefined)
      .map(([botId]) => botId);
    for (const botId of [...new Set([...ledger.bots.keys(), ...funded])].sort()) {
      const b = ledger.bots.get(botId);
      const y = new Expr();
      const botSets: string[] = [];
      const removes: string[] = [];
      const values = b && [
        b.capitalBase,
        b.contributed,
        b.harvested,
        b.protected,
        BigInt(b.refills),
      ];
      FIELDS.forEach((field, k) => {
        const attribute = y.name(botAttribute(field));
        if (values) botSets.push(`${attribute} = ${y.value(values[k])}`);
        else removes.push(attribute);
      });
      if (b?.binding) {
        for (const part of BINDING_PARTS) {
          botSets.push(`${y.name(part)} = ${y.value(b.binding[part])}`);
        }
      }
      const item = bots.get(botId) ?? {};
      const epoch = readOptionalInteger(`bot item ${botId}`, item, EPOCH);
      const botCondition = `${epochCondition(y, epoch)} AND attribute_not_exists(${y.name(APPLYING)})`;
      if (
        !(await this.#update(botItemKey(portfolioId, botId), botSets, removes, botCondition, y))
      ) {
        return false;
      }
    }
    return true;
  }

  async #update(
    key: Item,
    sets: readonly string[],
    removes: readonly string[],
    condition: string,
    x: Expr,
  ): Promise<boolean> {
    const expression = [
      sets.length > 0 ? `SET ${sets.join(', ')}` : '',
      removes.length > 0 ? `REMOVE ${removes.join(', ')}` : '',
    ].join(' ');
    if (expression.trim() === '') return true;
    try {
      await this.ctx.doc.send(
        new UpdateCommand({
          TableName: this.ctx.tables.state,
          Key: key,
          UpdateExpression: expression,
          ConditionExpression: condition,
          ...x.attributes(),
        }),
      );
      return true;
    } catch (err) {
      if (isConditionalCheckFailed(err)) return false;
      throw err;
    }
  }
}
