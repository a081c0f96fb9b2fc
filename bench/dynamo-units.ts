/**
 * DynamoDB's bill, counted on a client: a middleware asks every request for its consumed capacity
 * and adds up the read and write units as AWS bills them (on-demand: a read unit per 4 KB read
 * consistently, half that eventually consistent; a write unit per 1 KB written, the larger of the
 * item before and after). dynalite reports them for item and batch requests; for a Query or Scan
 * it reports none, so they are computed here from the items returned, by DynamoDB's item-size
 * rules. A write to a table with global secondary indexes is billed again in each index: once
 * more for an item written or changed there, twice when the write changes the index's key (a
 * delete and a put in the index); an index of keys only is not written by an update that leaves
 * its key alone.
 *
 * `scope` names who the units go to (`cycle` unless the caller's async context says otherwise):
 * the bench sets `transfer` for the requests of transfer executions. `reset` starts the cycle's
 * count again; the transfers' adds up over the run.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';

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

const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem']);

interface Capacity {
  readonly TableName?: string;
  readonly CapacityUnits?: number;
}

/**
 * Counts every request `client` sends from now on, by scope. `indexes` gives each table's number
 * of global secondary indexes.
 */
export function countUnits(
  client: DynamoDBClient,
  /** Each table's global secondary indexes: their partition key's attribute, their projection. */
  indexes: Readonly<Record<string, readonly { key: string; keysOnly: boolean }[]>>,
  journalTable: string,
): {
  readonly by: Record<Scope, Units>;
  /** Units by scope, operation, table and kind of key (`bot#`, `state`…): where they go. */
  readonly detail: Map<string, number>;
  reset(): void;
} {
  const by: Record<Scope, Units> = { cycle: zero(), transfer: zero() };
  const detail = new Map<string, number>();
  const note = (what: string, n: number) => detail.set(what, (detail.get(what) ?? 0) + n);
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
      const result = await next(args);
      const output = result.output as {
        ConsumedCapacity?: Capacity | Capacity[];
        Items?: Record<string, AttributeValue>[];
      };
      const input = args.input as {
        TableName?: string;
        ConsistentRead?: boolean;
        Key?: Record<string, AttributeValue>;
        Item?: Record<string, AttributeValue>;
        ExpressionAttributeNames?: Record<string, string>;
      };
      const touched = new Set(Object.values(input.ExpressionAttributeNames ?? {}));
      const indexWrites = (table: string) =>
        (indexes[table] ?? []).reduce((n, { key, keysOnly }) => {
          if (operation !== 'UpdateItem') return n + 1;
          if (touched.has(key)) return n + 2;
          return n + (keysOnly ? 0 : 1);
        }, 0);
      const who = scope.getStore() ?? 'cycle';
      const units = by[who];
      const sk = (input.Key ?? input.Item)?.sk?.S;
      const what = `${who} ${operation} ${input.TableName ?? ''} ${sk === undefined ? '' : sk.replace(/[#:].*$/, '#')}`;
      units.requests += 1;
      const consumed = [output.ConsumedCapacity ?? []].flat();
      if (consumed.length > 0) {
        for (const c of consumed) {
          const n = c.CapacityUnits ?? 0;
          if (!WRITES.has(operation)) {
            units.rcu += n;
            note(`${what} rcu`, n);
            continue;
          }
          const billed = n * (1 + indexWrites(c.TableName ?? ''));
          units.wcu += billed;
          note(`${what} wcu`, billed);
          if (c.TableName === journalTable) units.journalWcu += billed;
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
