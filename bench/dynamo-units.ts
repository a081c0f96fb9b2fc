/**
 * DynamoDB's bill, counted on a client: a middleware asks every request for its consumed capacity
 * and adds up the read and write units as AWS bills them (on-demand: a read unit per 4 KB read
 * consistently, half that eventually consistent; a write unit per 1 KB written, the larger of the
 * item before and after). dynalite reports them for item and batch requests; for a Query or Scan
 * it reports none, so they are computed here from the items returned, by DynamoDB's item-size
 * rules. A conditional write that is refused is billed too (AWS bills it, and reports nothing):
 * the units of the item it would have written.
 *
 * A write to a table with global secondary indexes is billed again in each index it changes,
 * judged from the item before and after the write (read on `peek`, a client the counter does not
 * see): a put in the index for an item that enters it, a delete for one that leaves it, both when
 * its key changes, one write for an item that stays under the same key of an index that copies
 * all of it, none for an index of keys only or an item in neither image — an index entry costs
 * the units of what the index copies (the whole item, or its keys: one unit).
 *
 * `scope` names who the units go to (`cycle` unless the caller's async context says otherwise):
 * the bench sets `transfer` for the requests of transfer executions. `reset` starts the cycle's
 * count again; the transfers' adds up over the run.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { type AttributeValue, type DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';

export type Scope = 'cycle' | 'transfer';
export const scope = new AsyncLocalStorage<Scope>();

export interface Units {
  rcu: number;
  wcu: number;
  /** Of `wcu`, the writes to `journalTable` (a cycle's planned entries are its transfers' cost). */
  journalWcu: number;
  requests: number;
}

const zero = (): Units => ({ rcu: 0, wcu: 0, journalWcu: 0, requests: 0 });

/** The size DynamoDB gives a value (bytes): names and values, numbers by their digits. */
export function valueSize(v: AttributeValue): number {
  if (v.S !== undefined) return Buffer.byteLength(v.S);
  if (v.N !== undefined) return numberSize(v.N);
  if (v.B !== undefined) return v.B.length;
  if (v.BOOL !== undefined || v.NULL !== undefined) return 1;
  if (v.SS) return v.SS.reduce((n, s) => n + Buffer.byteLength(s), 0);
  if (v.NS) return v.NS.reduce((n, s) => n + numberSize(s), 0);
  if (v.BS) return v.BS.reduce((n, b) => n + b.length, 0);
  if (v.L) return 3 + v.L.reduce((n, e) => n + 1 + valueSize(e), 0);
  if (v.M) return 3 + itemSize(v.M) + Object.keys(v.M).length;
  return 0;
}

/** Numbers: one byte per two significant digits, plus one. */
const numberSize = (n: string): number => {
  const digits = n.replace(/^-/, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
  return Math.ceil(Math.max(digits.length, 1) / 2) + 1;
};

export function itemSize(item: Record<string, AttributeValue>): number {
  let size = 0;
  for (const [name, value] of Object.entries(item))
    size += Buffer.byteLength(name) + valueSize(value);
  return size;
}

const writeUnits = (item: Record<string, AttributeValue> | undefined): number =>
  Math.max(1, Math.ceil(itemSize(item ?? {}) / 1024));

/** A global secondary index as the counter needs it: its key attributes, what it copies. */
export interface CountedIndex {
  readonly keys: readonly string[];
  readonly keysOnly: boolean;
}

type Image = Record<string, AttributeValue> | undefined;

/** The write units one write costs in one index, from the item before and after it. */
export function indexWriteUnits(index: CountedIndex, before: Image, after: Image): number {
  const inIndex = (item: Image) => item !== undefined && index.keys.every((k) => k in item);
  const entry = (item: Image) => (index.keysOnly ? 1 : writeUnits(item));
  const was = inIndex(before);
  const is = inIndex(after);
  if (!was && !is) return 0;
  if (!was) return entry(after);
  if (!is) return entry(before);
  const sameKey = index.keys.every(
    (k) => JSON.stringify(before?.[k]) === JSON.stringify(after?.[k]),
  );
  if (!sameKey) return entry(before) + entry(after);
  return index.keysOnly ? 0 : entry(after);
}

const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem']);

interface Capacity {
  readonly TableName?: string;
  readonly CapacityUnits?: number;
}

/**
 * Counts every request `client` sends from now on, by scope. `indexes` gives each table's global
 * secondary indexes; `peek` reads the items a write to such a table changes (uncounted).
 */
export function countUnits(
  client: DynamoDBClient,
  indexes: Readonly<Record<string, readonly CountedIndex[]>>,
  journalTable: string,
  peek: DynamoDBClient,
): {
  readonly by: Record<Scope, Units>;
  /** Units by scope, operation, table and kind of key (`bot#`, `state`…): where they go. */
  readonly detail: Map<string, number>;
  reset(): void;
} {
  const by: Record<Scope, Units> = { cycle: zero(), transfer: zero() };
  const detail = new Map<string, number>();
  const note = (what: string, n: number) => detail.set(what, (detail.get(what) ?? 0) + n);
  const image = async (table: string, key: Record<string, AttributeValue>): Promise<Image> =>
    (await peek.send(new GetItemCommand({ TableName: table, Key: key, ConsistentRead: true })))
      .Item;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const request = args.request as { body?: string | Uint8Array };
      const operation = String(context.commandName).replace(/Command$/, '');
      if (request.body !== undefined) {
        const text =
          typeof request.body === 'string'
            ? request.body
            : Buffer.from(
                request.body.buffer,
                request.body.byteOffset,
                request.body.byteLength,
              ).toString();
        const body = JSON.parse(text) as Record<string, unknown>;
        body.ReturnConsumedCapacity = 'TOTAL';
        request.body = JSON.stringify(body);
        (args.request as { headers: Record<string, string> }).headers['content-length'] = String(
          Buffer.byteLength(request.body),
        );
      }
      const input = args.input as {
        TableName?: string;
        ConsistentRead?: boolean;
        Key?: Record<string, AttributeValue>;
        Item?: Record<string, AttributeValue>;
      };
      const table = input.TableName ?? '';
      const tableIndexes = WRITES.has(operation) ? (indexes[table] ?? []) : [];
      const itemKey =
        input.Key ??
        (input.Item &&
          Object.fromEntries(
            Object.entries(input.Item).filter(
              ([name]) => name === 'id' || name === 'pk' || name === 'sk',
            ),
          ));
      const before = tableIndexes.length > 0 && itemKey ? await image(table, itemKey) : undefined;
      const who = scope.getStore() ?? 'cycle';
      const units = by[who];
      const sk = (input.Key ?? input.Item)?.sk?.S;
      const what = `${who} ${operation} ${table} ${sk === undefined ? '' : sk.replace(/[#:].*$/, '#')}`;
      const addWrite = (n: number, refused = false) => {
        units.wcu += n;
        note(`${what} wcu${refused ? ' refused' : ''}`, n);
        if (table === journalTable) units.journalWcu += n;
      };
      units.requests += 1;
      let result: Awaited<ReturnType<typeof next>>;
      try {
        result = await next(args);
      } catch (error) {
        if (WRITES.has(operation) && (error as Error).name === 'ConditionalCheckFailedException') {
          addWrite(writeUnits(input.Item ?? before), true);
        }
        throw error;
      }
      const output = result.output as {
        ConsumedCapacity?: Capacity | Capacity[];
        Items?: Record<string, AttributeValue>[];
      };
      const consumed = [output.ConsumedCapacity ?? []].flat();
      if (consumed.length > 0) {
        for (const c of consumed) {
          const n = c.CapacityUnits ?? 0;
          if (WRITES.has(operation) || operation === 'BatchWriteItem') {
            addWrite(n);
          } else {
            units.rcu += n;
            note(`${what} rcu`, n);
          }
        }
        if (tableIndexes.length > 0 && itemKey) {
          const after = operation === 'DeleteItem' ? undefined : await image(table, itemKey);
          addWrite(tableIndexes.reduce((n, i) => n + indexWriteUnits(i, before, after), 0));
        }
      } else if (output.Items) {
        const bytes = output.Items.reduce((n, item) => n + itemSize(item), 0);
        const n = Math.max(1, Math.ceil(bytes / 4096)) * (input.ConsistentRead ? 1 : 0.5);
        units.rcu += n;
        note(`${what} rcu`, n);
      }
      return result;
    },
    { step: 'build', name: 'countCapacityUnits' },
  );
  return {
    by,
    detail,
    reset() {
      by.cycle = zero();
    },
  };
}
