/**
 * The transfer journal in the `transactions` table: one item per transfer id. Every write that
 * must agree is a single-item conditional write: an entry is created only if its id is new, and a
 * status moves only from the status the caller saw (DESIGN.md §4). Where its indexes hold an entry,
 * and what reads them: journal-index.ts.
 */

import {
  BatchGetCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import pMap from 'p-map';
import type { Journal, JournalPatch, NoCallInFlight, SubmitClaim } from '../../core/store-ports.ts';
import {
  canMove,
  IllegalTransitionError,
  isOperation,
  isTerminal,
  type JournalEntry,
  type TransferStatus,
} from '../../core/transfer.ts';
import { Expr, historyItem, type Item, journalEntryFromItem, journalItem } from './codec.ts';
import { backoffMs, compact, type StoreContext, sleep, type TransferOwner } from './context.ts';
import { isConditionalCheckFailed } from './errors.ts';
import { indexAttributes, journalReads, unsettledKey } from './journal-index.ts';

/** Conditional puts in flight at once in `putPlanned`. */
const PUT_CONCURRENCY = 8;
/** Transfer ids whose portfolio and bot are remembered. */
const OWNER_CACHE_SIZE = 10_000;

/** The portfolio and bot of a transfer: remembered from an earlier read or write, else read. */
async function ownerOf(ctx: StoreContext, id: string): Promise<TransferOwner | undefined> {
  const known = ctx.ownerOfTransfer.get(id);
  if (known !== undefined) return known;
  const item = await getJournalItem(ctx, id);
  return item && remember(ctx, journalEntryFromItem(item));
}

function remember(ctx: StoreContext, entry: JournalEntry): JournalEntry {
  const cache = ctx.ownerOfTransfer;
  if (cache.size >= OWNER_CACHE_SIZE) cache.clear();
  cache.set(entry.id, { portfolioId: entry.portfolioId, botId: entry.botId });
  return entry;
}

/** The raw journal item (strongly consistent), for the ledger's `ledger_applied` flag. */
export async function getJournalItem(ctx: StoreContext, id: string): Promise<Item | undefined> {
  const out = await ctx.doc.send(
    new GetCommand({ TableName: ctx.tables.transactions, Key: { id }, ConsistentRead: true }),
  );
  return out.Item;
}

/** Entries per BatchGetItem (the service's limit). */
const GET_BATCH = 100;

/** The journal items of `ids` (consistently), in that order; an id with no item is left out. */
async function getJournalItems(ctx: StoreContext, ids: readonly string[]): Promise<Item[]> {
  const byId = new Map<string, Item>();
  for (let i = 0; i < ids.length; i += GET_BATCH) {
    let keys: Record<string, unknown>[] = [...new Set(ids.slice(i, i + GET_BATCH))].map((id) => ({
      id,
    }));
    for (let attempt = 1; keys.length > 0; attempt++) {
      const out = await ctx.doc.send(
        new BatchGetCommand({
          RequestItems: { [ctx.tables.transactions]: { Keys: keys, ConsistentRead: true } },
        }),
      );
      for (const item of out.Responses?.[ctx.tables.transactions] ?? []) {
        byId.set(String(item.id), item);
      }
      keys = (out.UnprocessedKeys?.[ctx.tables.transactions]?.Keys ?? []) as Record<
        string,
        unknown
      >[];
      if (keys.length > 0) {
        if (attempt >= 8) throw new Error(`the journal left ${keys.length} reads unprocessed`);
        await sleep(backoffMs(attempt, 50, 2_000));
      }
    }
  }
  return ids.flatMap((id) => {
    const item = byId.get(id);
    return item ? [item] : [];
  });
}

/** Creates the entry unless its id exists (a retried cycle or operation wrote it before): false then. */
async function putNew(ctx: StoreContext, e: JournalEntry): Promise<boolean> {
  try {
    await ctx.doc.send(
      new PutCommand({
        TableName: ctx.tables.transactions,
        Item: compact({ ...journalItem(e), ...indexAttributes(e) }),
        ConditionExpression: 'attribute_not_exists(#id)',
        ExpressionAttributeNames: { '#id': 'id' },
      }),
    );
    remember(ctx, e);
    return true;
  } catch (err) {
    if (isConditionalCheckFailed(err)) return false;
    throw err;
  }
}

/** The conditions that no call was claimed since `attempts` and the last one's lease has ended. */
function noCallInFlight(x: Expr, guard: NoCallInFlight): string[] {
  const attempts = x.name('submit_attempts');
  const lease = x.name('submit_lease_until');
  return [
    guard.attempts === 0
      ? `(attribute_not_exists(${attempts}) OR ${attempts} = ${x.value(0n)})`
      : `${attempts} = ${x.value(BigInt(guard.attempts))}`,
    `(attribute_not_exists(${lease}) OR ${lease} < ${x.value(guard.at)})`,
  ];
}

/** One conditional UpdateItem of a journal item; the entry after it, or undefined when refused. */
async function update(
  ctx: StoreContext,
  id: string,
  expression: string,
  conditions: readonly string[],
  x: Expr,
): Promise<JournalEntry | undefined> {
  try {
    const out = await ctx.doc.send(
      new UpdateCommand({
        TableName: ctx.tables.transactions,
        Key: { id },
        UpdateExpression: expression,
        ConditionExpression: conditions.join(' AND '),
        ReturnValues: 'ALL_NEW',
        ...x.attributes(),
      }),
    );
    return out.Attributes && remember(ctx, journalEntryFromItem(out.Attributes));
  } catch (err) {
    if (isConditionalCheckFailed(err)) return undefined;
    throw err;
  }
}

/** All items under one index key (every page), or the first `limit` of them, as the index has them. */
async function queryIndex(
  ctx: StoreContext,
  indexName: string,
  keyAttribute: string,
  key: string,
  opts: { newestFirst?: boolean; limit?: number | undefined; idsOnly?: boolean } = {},
): Promise<Item[]> {
  const found: Item[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const remaining = opts.limit === undefined ? undefined : opts.limit - found.length;
    if (remaining !== undefined && remaining <= 0) break;
    const out = await ctx.doc.send(
      new QueryCommand({
        TableName: ctx.tables.transactions,
        IndexName: indexName,
        KeyConditionExpression: '#k = :k',
        ExpressionAttributeNames: { '#k': keyAttribute },
        ExpressionAttributeValues: { ':k': key },
        ...(opts.idsOnly && { ProjectionExpression: 'id' }),
        ScanIndexForward: !opts.newestFirst,
        ...(remaining !== undefined && { Limit: remaining }),
        ...(start !== undefined && { ExclusiveStartKey: start }),
      }),
    );
    found.push(...(out.Items ?? []));
    start = out.LastEvaluatedKey;
  } while (start !== undefined);
  return opts.limit === undefined ? found : found.slice(0, opts.limit);
}

export class DynamoJournal implements Journal {
  private readonly reads;

  constructor(private readonly ctx: StoreContext) {
    const entries = (items: readonly Item[]) =>
      items.map((item) => remember(ctx, journalEntryFromItem(item)));
    this.reads = journalReads({
      // `by-bot` copies the keys: the ids from it, the entries from the table, consistently.
      underBotKey: async (key, opts = {}) => {
        const ids = await queryIndex(ctx, 'by-bot', 'bot_key', key, { ...opts, idsOnly: true });
        return entries(
          await getJournalItems(
            ctx,
            ids.map((i) => String(i.id)),
          ),
        );
      },
      underStatusKey: async (key) => entries(await queryIndex(ctx, 'by-status', 'status_key', key)),
    });
  }

  async putPlanned(entries: readonly JournalEntry[]): Promise<string[]> {
    for (const e of entries) {
      if (e.status !== 'planned') {
        throw new IllegalTransitionError(e.id, e.status, 'planned');
      }
    }
    const created = await pMap(entries, (e) => putNew(this.ctx, e), {
      concurrency: PUT_CONCURRENCY,
    });
    return entries.filter((_, i) => created[i]).map((e) => e.id);
  }

  async putOperation(e: JournalEntry): Promise<boolean> {
    if (e.status !== 'completed' || e.ledgerApplied || !isOperation(e.kind)) {
      throw new IllegalTransitionError(e.id, e.status, 'completed');
    }
    return putNew(this.ctx, e);
  }

  async get(id: string): Promise<JournalEntry | undefined> {
    const item = await getJournalItem(this.ctx, id);
    return item && remember(this.ctx, journalEntryFromItem(item));
  }

  async transition(
    id: string,
    from: readonly TransferStatus[],
    to: TransferStatus,
    patch: JournalPatch = {},
    guard: { readonly noCallInFlight?: NoCallInFlight } = {},
  ): Promise<JournalEntry | undefined> {
    if (from.length === 0) throw new RangeError(`transfer ${id}: transition needs a from status`);
    for (const f of from) if (!canMove(f, to)) throw new IllegalTransitionError(id, f, to);

    // The index keys name the portfolio (and the bot) and an update cannot build them from the
    // item, so the portfolio id is known beforehand (remembered, or read once: it never changes)
    // and the condition pins it, so a key can never name another portfolio. A move to `completed`
    // leaves the entry unsettled (the ledger settles it): only failed and rejected need the bot.
    const owner = await ownerOf(this.ctx, id);
    if (owner === undefined) return undefined;
    const { portfolioId: pid, botId: bot } = owner;
    const settles = isTerminal(to) && to !== 'completed';

    const at = this.ctx.now().toISOString();
    const x = new Expr();
    const change = historyItem({
      status: to,
      at,
      ...(patch.note !== undefined && { note: patch.note }),
    });
    const keys = indexAttributes({
      portfolioId: pid,
      botId: bot,
      status: to,
      ledgerApplied: false,
    });
    const sets = [
      `${x.name('status')} = ${x.value(to)}`,
      `${x.name('bot_key')} = ${x.value(keys.bot_key)}`,
      ...(keys.status_key !== undefined
        ? [`${x.name('status_key')} = ${x.value(keys.status_key)}`]
        : []),
      `${x.name('updated_at')} = ${x.value(at)}`,
      `${x.name('history')} = list_append(${x.name('history')}, ${x.value([change])})`,
    ];
    const fields: [string, unknown][] = [
      ['amount', patch.amount],
      ['asked_amount', patch.askedAmount],
      ['exchange_transfer_id', patch.exchangeTransferId],
      ['pot_before', patch.potBefore],
      ['pot_after', patch.potAfter],
      ['error', patch.error],
    ];
    for (const [attribute, value] of fields) {
      if (value !== undefined) sets.push(`${x.name(attribute)} = ${x.value(value)}`);
    }
    const statuses = from.map((f) => x.value(f)).join(', ');
    const conditions = [
      `${x.name('status')} IN (${statuses})`,
      `${x.name('portfolio_id')} = ${x.value(pid)}`,
    ];
    if (settles) conditions.push(`${x.name('bot_id')} = ${x.value(bot)}`);
    if (guard.noCallInFlight) conditions.push(...noCallInFlight(x, guard.noCallInFlight));
    // An entry of 0.1 leaves its status key while unsettled (journal-index.ts).
    const remove = keys.status_key === undefined ? ` REMOVE ${x.name('status_key')}` : '';
    return update(this.ctx, id, `SET ${sets.join(', ')}${remove}`, conditions, x);
  }

  async claimSubmit(id: string, claim: SubmitClaim): Promise<JournalEntry | undefined> {
    if (!Number.isSafeInteger(claim.attempt) || claim.attempt < 1) {
      throw new RangeError(
        `transfer ${id}: attempt must be a whole number ≥ 1, got ${claim.attempt}`,
      );
    }
    const pid = (await ownerOf(this.ctx, id))?.portfolioId;
    if (pid === undefined) return undefined;
    const at = this.ctx.now().toISOString();
    const x = new Expr();
    const change = historyItem({ status: 'submitted', at, note: claim.note });
    const sets = [
      `${x.name('submit_attempts')} = ${x.value(BigInt(claim.attempt))}`,
      `${x.name('submit_lease_until')} = ${x.value(claim.leaseUntil)}`,
      `${x.name('updated_at')} = ${x.value(at)}`,
      `${x.name('history')} = list_append(${x.name('history')}, ${x.value([change])})`,
    ];
    const conditions = [`${x.name('portfolio_id')} = ${x.value(pid)}`];
    if (claim.attempt === 1) {
      // The first call is claimed by the move to `submitted` itself.
      sets.push(`${x.name('status')} = ${x.value('submitted')}`);
      conditions.push(`${x.name('status')} = ${x.value('validated')}`);
    } else {
      conditions.push(`${x.name('status')} = ${x.value('submitted')}`);
    }
    conditions.push(...noCallInFlight(x, { attempts: claim.attempt - 1, at: claim.now }));
    // Unsettled before and after: its index keys stay (a 0.1 entry's status key goes).
    sets.push(`${x.name('bot_key')} = ${x.value(unsettledKey(pid))}`);
    return update(
      this.ctx,
      id,
      `SET ${sets.join(', ')} REMOVE ${x.name('status_key')}`,
      conditions,
      x,
    );
  }

  async endSubmit(id: string, attempt: number, failure?: string): Promise<void> {
    const at = this.ctx.now().toISOString();
    const end = async (withNote: boolean) => {
      const x = new Expr();
      const conditions = [`${x.name('submit_attempts')} = ${x.value(BigInt(attempt))}`];
      let expression = `REMOVE ${x.name('submit_lease_until')}`;
      if (withNote) {
        const note = `attempt ${attempt} returned ${failure}`;
        const change = historyItem({ status: 'submitted', at, note });
        expression += ` SET ${x.name('history')} = list_append(${x.name('history')}, ${x.value([change])}), ${x.name('updated_at')} = ${x.value(at)}`;
        // A history element says the status it was written in: only while still `submitted`.
        conditions.push(`${x.name('status')} = ${x.value('submitted')}`);
      }
      await this.ctx.doc.send(
        new UpdateCommand({
          TableName: this.ctx.tables.transactions,
          Key: { id },
          UpdateExpression: expression,
          ConditionExpression: conditions.join(' AND '),
          ...x.attributes(),
        }),
      );
    };
    try {
      await end(failure !== undefined);
    } catch (err) {
      if (!isConditionalCheckFailed(err)) throw err;
      if (failure === undefined) return; // a later call was claimed: this lease had ended anyway
      try {
        await end(false);
      } catch (again) {
        if (!isConditionalCheckFailed(again)) throw again;
      }
    }
  }

  byStatus(portfolioId: string, statuses: readonly TransferStatus[]): Promise<JournalEntry[]> {
    return this.reads.byStatus(portfolioId, statuses);
  }

  completedUnapplied(portfolioId: string): Promise<JournalEntry[]> {
    return this.reads.completedUnapplied(portfolioId);
  }

  byBot(portfolioId: string, botId: string, limit?: number): Promise<JournalEntry[]> {
    return this.reads.byBot(portfolioId, botId, limit);
  }
}
