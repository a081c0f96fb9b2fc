/**
 * The transfer journal in the `transactions` table: one item per transfer id. Every write that
 * must agree is a single-item conditional write: an entry is created only if its id is new, and a
 * status moves only from the status the caller saw (DESIGN.md §4).
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
  type JournalEntry,
  type TransferStatus,
} from '../../core/transfer.ts';
import {
  botKey,
  Expr,
  historyItem,
  type Item,
  journalEntryFromItem,
  journalItem,
  oldestFirstOnce,
  statusKey,
  unappliedKey,
} from './codec.ts';
import { backoffMs, compact, type StoreContext, sleep } from './context.ts';
import { isConditionalCheckFailed } from './errors.ts';

/** Conditional puts in flight at once in `putPlanned`. */
const PUT_CONCURRENCY = 8;
/** Transfer ids whose portfolio is remembered (an id's portfolio never changes). */
const PORTFOLIO_CACHE_SIZE = 10_000;

/** The portfolio a transfer belongs to: remembered from an earlier read or write, else read. */
async function portfolioOf(ctx: StoreContext, id: string): Promise<string | undefined> {
  const known = ctx.portfolioOfTransfer.get(id);
  if (known !== undefined) return known;
  const item = await getJournalItem(ctx, id);
  return item && remember(ctx, journalEntryFromItem(item)).portfolioId;
}

function remember(ctx: StoreContext, entry: JournalEntry): JournalEntry {
  const cache = ctx.portfolioOfTransfer;
  if (cache.size >= PORTFOLIO_CACHE_SIZE) cache.clear();
  cache.set(entry.id, entry.portfolioId);
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
        Item: compact(journalItem(e)),
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

/** All items under one index key (every page), or the first `limit` of them. */
async function queryIndex(
  ctx: StoreContext,
  indexName: string,
  keyAttribute: string,
  key: string,
  opts: { newestFirst?: boolean; limit?: number | undefined } = {},
): Promise<JournalEntry[]> {
  const found: JournalEntry[] = [];
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
        ScanIndexForward: !opts.newestFirst,
        ...(remaining !== undefined && { Limit: remaining }),
        ...(start !== undefined && { ExclusiveStartKey: start }),
      }),
    );
    for (const item of out.Items ?? []) found.push(remember(ctx, journalEntryFromItem(item)));
    start = out.LastEvaluatedKey;
  } while (start !== undefined);
  return opts.limit === undefined ? found : found.slice(0, opts.limit);
}

export class DynamoJournal implements Journal {
  constructor(private readonly ctx: StoreContext) {}

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

    // The status index key is `<portfolio>#<status>` and an update cannot build it from the item,
    // so the portfolio id is known beforehand (remembered, or read once: it never changes) and the
    // condition pins it, so the key can never name another portfolio.
    const pid = await portfolioOf(this.ctx, id);
    if (pid === undefined) return undefined;

    const at = this.ctx.now().toISOString();
    const x = new Expr();
    const change = historyItem({
      status: to,
      at,
      ...(patch.note !== undefined && { note: patch.note }),
    });
    // A completed entry waits under its own index key until the ledger has applied it.
    const key = to === 'completed' ? unappliedKey(pid) : statusKey(pid, to);
    const sets = [
      `${x.name('status')} = ${x.value(to)}`,
      `${x.name('status_key')} = ${x.value(key)}`,
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
    if (guard.noCallInFlight) conditions.push(...noCallInFlight(x, guard.noCallInFlight));
    return update(this.ctx, id, `SET ${sets.join(', ')}`, conditions, x);
  }

  async claimSubmit(id: string, claim: SubmitClaim): Promise<JournalEntry | undefined> {
    if (!Number.isSafeInteger(claim.attempt) || claim.attempt < 1) {
      throw new RangeError(
        `transfer ${id}: attempt must be a whole number ≥ 1, got ${claim.attempt}`,
      );
    }
    const pid = await portfolioOf(this.ctx, id);
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
      sets.push(`${x.name('status_key')} = ${x.value(statusKey(pid, 'submitted'))}`);
      conditions.push(`${x.name('status')} = ${x.value('validated')}`);
    } else {
      conditions.push(`${x.name('status')} = ${x.value('submitted')}`);
    }
    conditions.push(...noCallInFlight(x, { attempts: claim.attempt - 1, at: claim.now }));
    return update(this.ctx, id, `SET ${sets.join(', ')}`, conditions, x);
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

  async byStatus(
    portfolioId: string,
    statuses: readonly TransferStatus[],
  ): Promise<JournalEntry[]> {
    const found: JournalEntry[] = [];
    for (const status of new Set(statuses)) {
      found.push(
        ...(await queryIndex(this.ctx, 'by-status', 'status_key', statusKey(portfolioId, status))),
      );
      if (status === 'completed') found.push(...(await this.completedUnapplied(portfolioId)));
    }
    return oldestFirstOnce(found);
  }

  completedUnapplied(portfolioId: string): Promise<JournalEntry[]> {
    return queryIndex(this.ctx, 'by-status', 'status_key', unappliedKey(portfolioId));
  }

  /** The bot's entries, newest first: the index gives their ids, the table the entries. */
  async byBot(portfolioId: string, botId: string, limit?: number): Promise<JournalEntry[]> {
    const ids: string[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const remaining = limit === undefined ? undefined : limit - ids.length;
      if (remaining !== undefined && remaining <= 0) break;
      const out = await this.ctx.doc.send(
        new QueryCommand({
          TableName: this.ctx.tables.transactions,
          IndexName: 'by-bot',
          KeyConditionExpression: 'bot_key = :k',
          ExpressionAttributeValues: { ':k': botKey(portfolioId, botId) },
          ProjectionExpression: 'id',
          ScanIndexForward: false,
          ...(remaining !== undefined && { Limit: remaining }),
          ...(start !== undefined && { ExclusiveStartKey: start }),
        }),
      );
      for (const item of out.Items ?? []) ids.push(String(item.id));
      start = out.LastEvaluatedKey;
    } while (start !== undefined);
    const items = await getJournalItems(this.ctx, limit === undefined ? ids : ids.slice(0, limit));
    return items.map((item) => remember(this.ctx, journalEntryFromItem(item)));
  }
}
