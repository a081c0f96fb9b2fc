/**
 * Moving books written before bot items (every bot's fields on the header, `bot:<id>:<field>`) to
 * the layout of state-item.ts, once, before anything writes a bot item: `load` and the ledger's
 * first read of a header without the layout mark come here.
 *
 * (1) Each bot's fields are copied to its own item, each only where the item has none (a balance
 *     a newer cycle wrote stays); an entry the old protocol left half applied (in `applying`: its
 *     deltas are on the header, bot fields included) is put in its bot item's `applying` too, so
 *     the ledger finishes it without adding the bot's deltas again (ledger.ts).
 * (2) One write removes the legacy attributes from the header and sets the layout mark, on
 *     condition that the ledger did not move (`ledger_epoch`) and no other upgrade finished: the
 *     copies of (1) are then of the header as it still is. A crash between the two leaves copies
 *     that the next upgrade writes again with the same values, or keeps.
 */
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import {
  Expr,
  type Item,
  journalEntryFromItem,
  readOptionalInteger,
  readStringSet,
} from './codec.ts';
import type { StoreContext } from './context.ts';
import { isConditionalCheckFailed, StateNotFoundError } from './errors.ts';
import { getJournalItem } from './journal.ts';
import { touchesBotItem } from './ledger-split.ts';
import {
  botItemKey,
  botOfSortKey,
  LAYOUT,
  LAYOUT_VERSION,
  LEGACY_PROTECTED_EPISODE,
  legacyBotAttribute,
  legacyBotItems,
  stateKey,
} from './state-item.ts';

const APPLYING = 'applying';
const EPOCH = 'ledger_epoch';
const ATTEMPTS = 5;
const REMOVALS_PER_UPDATE = 60;

/** True when the header carries the layout mark. */
export const isUpgraded = (header: Item): boolean => header[LAYOUT] !== undefined;

/**
 * Brings the portfolio's state to bot items if it is not there yet; returns the whole header as
 * it is after. `header` only tells whether to look: it may be a projection, so the upgrade works
 * on the whole header, read afresh.
 */
export async function ensureLayout(
  ctx: StoreContext,
  portfolioId: string,
  header: Item,
): Promise<Item> {
  if (isUpgraded(header)) return header;
  for (let attempt = 1; ; attempt++) {
    const out = await ctx.doc.send(
      new GetCommand({
        TableName: ctx.tables.state,
        Key: stateKey(portfolioId),
        ConsistentRead: true,
      }),
    );
    if (out.Item === undefined) throw new StateNotFoundError(portfolioId);
    if (isUpgraded(out.Item)) return out.Item;
    if (attempt > ATTEMPTS) {
      throw new Error(`the state of ${portfolioId} kept moving while its layout was upgraded`);
    }
    await upgrade(ctx, portfolioId, out.Item);
  }
}

async function upgrade(ctx: StoreContext, portfolioId: string, header: Item): Promise<void> {
  const where = `state of ${portfolioId}`;
  const halfApplied = new Map<string, string[]>();
  for (const id of readStringSet(where, header, APPLYING)) {
    const item = await getJournalItem(ctx, id);
    const entry = item && journalEntryFromItem(item);
    if (entry && touchesBotItem(entry)) {
      halfApplied.set(entry.botId, [...(halfApplied.get(entry.botId) ?? []), id]);
    }
  }
  const items = legacyBotItems(portfolioId, header);
  for (const botId of halfApplied.keys()) {
    if (!items.some((i) => botOfSortKey(i.sk) === botId))
      items.push(botItemKey(portfolioId, botId));
  }
  for (const item of items) {
    const botId = botOfSortKey(item.sk) as string;
    const x = new Expr();
    const sets = Object.entries(item as Item)
      .filter(([name]) => name !== 'pk' && name !== 'sk')
      .map(
        ([name, value]) => `${x.name(name)} = if_not_exists(${x.name(name)}, ${x.value(value)})`,
      );
    const applying = halfApplied.get(botId);
    const add = applying ? `ADD ${x.name(APPLYING)} ${x.value(new Set(applying))}` : '';
    await ctx.doc
      .send(
        new UpdateCommand({
          TableName: ctx.tables.state,
          Key: { pk: item.pk, sk: item.sk },
          UpdateExpression: [sets.length > 0 ? `SET ${sets.join(', ')}` : '', add].join(' '),
          // A bot item the ledger wrote already was upgraded: never copied over again.
          ConditionExpression: `attribute_not_exists(${x.name(EPOCH)})`,
          ...x.attributes(),
        }),
      )
      .catch((err: unknown) => {
        if (!isConditionalCheckFailed(err)) throw err;
      });
  }
  const removes = Object.keys(header).filter(
    (a) => legacyBotAttribute(a) !== undefined || a === LEGACY_PROTECTED_EPISODE,
  );
  const epoch = readOptionalInteger(where, header, EPOCH);
  // An update expression is at most 4 KB: the removals go in batches, the mark with the last.
  // Each has the same condition; a reader meanwhile decodes the bot items, which win.
  for (let i = 0; i === 0 || i < removes.length; i += REMOVALS_PER_UPDATE) {
    const x = new Expr();
    const batch = removes.slice(i, i + REMOVALS_PER_UPDATE).map((a) => x.name(a));
    const clauses = [
      i + REMOVALS_PER_UPDATE >= removes.length
        ? `SET ${x.name(LAYOUT)} = ${x.value(LAYOUT_VERSION)}`
        : '',
      batch.length > 0 ? `REMOVE ${batch.join(', ')}` : '',
    ];
    try {
      await ctx.doc.send(
        new UpdateCommand({
          TableName: ctx.tables.state,
          Key: stateKey(portfolioId),
          UpdateExpression: clauses.filter((c) => c !== '').join(' '),
          ConditionExpression: [
            `attribute_exists(${x.name('pk')})`,
            `attribute_not_exists(${x.name(LAYOUT)})`,
            epoch === undefined
              ? `attribute_not_exists(${x.name(EPOCH)})`
              : `${x.name(EPOCH)} = ${x.value(epoch)}`,
          ].join(' AND '),
          ...x.attributes(),
        }),
      );
    } catch (err) {
      if (isConditionalCheckFailed(err)) return; // moved, or upgraded by another caller: read again
      throw err;
    }
  }
}
