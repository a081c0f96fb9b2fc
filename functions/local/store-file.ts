/**
 * The embedded store's own files read directly, for `botfolio status`: the data folder's LevelDB
 * opened with the library dynalite itself uses (its `level`), its items decoded as the store
 * decodes them (codec.ts, state-item.ts) — no dynalite server, no SDK client, no HTTP, so the
 * command costs little more than Node's start.
 *
 * Only when this process can take the folder's LevelDB lock: while another process has the store
 * open (`botfolio run`, another command) LevelDB refuses, and so does a folder without a store or
 * without the three tables ready; `openStoreFile` then answers undefined and the command takes
 * the usual way (local-store.ts: the holder's served store, or a dynalite of its own). Holding
 * the lock, nobody writes while it reads: what it reads is what dynalite would answer.
 *
 * dynalite's layout (its db/index.js): one LevelDB, values JSON in DynamoDB's attribute-value
 * form; an item under `item-<table>~<key>`, a global index's copy (all of it, or its keys) under
 * `index-global~<table>~<index>~<key>`, the table's description under `table~<table>`. A key is
 * `<6 hex of md5("Outliers" + hash key)>/<hex of the hash key>/` then, if any, `<hex of the range
 * key>/`, and for an index the table key's hash prefix: a query reads one hash key's range in key
 * order (reversed for newest first), which this module reads the same way.
 */

import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { botKey, journalEntryFromItem, sentOf } from '../adapters/dynamodb/codec.ts';
import type { TableNames } from '../adapters/dynamodb/context.ts';
import { HEALTH_PREFIX, healthFactsOfItem } from '../adapters/dynamodb/health-item.ts';
import { journalReads } from '../adapters/dynamodb/journal-index.ts';
import { snapshotFromItem } from '../adapters/dynamodb/performance-item.ts';
import { STATE_SK, stateFromItems } from '../adapters/dynamodb/state-item.ts';
import type { HealthFacts } from '../core/health.ts';
import type { PortfolioState } from '../core/state.ts';
import type { BotSnapshot } from '../core/store-ports.ts';
import type { JournalEntry, TransferStatus } from '../core/transfer.ts';

/** The part of classic-level's API used here (dynalite ships it through `level`). */
interface LevelDb {
  open(): Promise<void>;
  close(): Promise<void>;
  iterator(range: { gte: string; lt: string; reverse?: boolean; limit?: number }): LevelIterator;
}
/** An iterator: read in a loop, or moved with `seek` (reverse: to the last key ≤ the target). */
interface LevelIterator extends AsyncIterable<[string, string]> {
  next(): Promise<[string, string] | undefined>;
  seek(target: string): void;
  close(): Promise<void>;
}
type LevelClass = new (
  location: string,
  options: { valueEncoding: 'utf8'; createIfMissing: false },
) => LevelDb;

const requireHere = createRequire(import.meta.url);
/**
 * dynalite's own LevelDB class: its `level`, resolved from dynalite (not loaded) — in the shipped
 * CLI that same `level` bundled beside this chunk as one file (bin/build-cli.ts), 35 modules
 * fewer to find and load, its add-on still loaded from where npm installed it.
 */
const levelOfDynalite = (): LevelClass =>
  (
    (process.env.BOTFOLIO_CLI_BUNDLE === '1'
      ? requireHere('./level.cjs')
      : createRequire(requireHere.resolve('dynalite'))('level')) as { Level: LevelClass }
  ).Level;

/** A DynamoDB attribute value (JSON form) as lib-dynamodb unmarshals it, numbers as digit strings. */
function native(av: unknown): unknown {
  const [type, v] = Object.entries(av as Record<string, unknown>)[0] ?? [];
  switch (type) {
    case 'S':
    case 'N':
    case 'BOOL':
      return v;
    case 'NULL':
      return null;
    case 'SS':
    case 'NS':
      return new Set(v as string[]);
    case 'L':
      return (v as unknown[]).map(native);
    case 'M':
      return unmarshall(v as Record<string, unknown>);
    default:
      // Binary values: the store writes none.
      throw new TypeError(`store file: attribute type ${type} is not read here`);
  }
}

function unmarshall(item: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, av] of Object.entries(item)) out[name] = native(av);
  return out;
}

const hex = (s: string) => Buffer.from(s, 'utf8').toString('hex');
/** The key prefix of one hash key (a string) in dynalite's layout. */
const hashKeyPrefix = (value: string) =>
  `${createHash('md5').update('Outliers').update(Buffer.from(value, 'utf8')).digest('hex').slice(0, 6)}/${hex(value)}/`;

/** Whether the table's description is there, ACTIVE, with these indexes ACTIVE. */
function ready(description: string | undefined, indexes: readonly string[]): boolean {
  if (description === undefined) return false;
  const t = JSON.parse(description) as {
    TableStatus?: string;
    GlobalSecondaryIndexes?: { IndexName?: string; IndexStatus?: string }[];
  };
  const gsis = t.GlobalSecondaryIndexes ?? [];
  return (
    t.TableStatus === 'ACTIVE' &&
    gsis.every((i) => i.IndexStatus === 'ACTIVE') &&
    indexes.every((name) => gsis.some((i) => i.IndexName === name))
  );
}

/** What `status` reads of the books, straight from the store's files. */
export interface StoreFile {
  /** The portfolio's state, as `PortfolioStore.load`. */
  loadState(portfolioId: string): Promise<PortfolioState | undefined>;
  /** As `CooldownStore.sentSince`. */
  sentSince(portfolioId: string, sinceMs: number): Promise<{ key: string; sentAt: number }[]>;
  /** As `Journal.byStatus`. */
  byStatus(portfolioId: string, statuses: readonly TransferStatus[]): Promise<JournalEntry[]>;
  /** As `Journal.byBot`: the bot's newest entries first. */
  byBot(portfolioId: string, botId: string, limit: number): Promise<JournalEntry[]>;
  /** As `PerformanceStore.endOfDay`: the last snapshot of each day that has one, oldest first. */
  endOfDay(portfolioId: string, botId: string, days: readonly string[]): Promise<BotSnapshot[]>;
  /** As `HeartbeatStore.healthFacts`. */
  healthFacts(portfolioId: string): Promise<Map<string, HealthFacts>>;
  close(): Promise<void>;
}

/**
 * The store in `storeDir` (`<data>/dynamo`), opened here and locked until `close`; undefined when
 * it cannot be read this way (locked by another process, missing, tables not ready).
 */
export async function openStoreFile(
  storeDir: string,
  tables: TableNames,
): Promise<StoreFile | undefined> {
  // No store yet: left to the usual way, which creates it (LevelDB would make the folder first).
  if (!existsSync(join(storeDir, 'CURRENT'))) return undefined;
  const db = new (levelOfDynalite())(storeDir, { valueEncoding: 'utf8', createIfMissing: false });
  try {
    await db.open();
  } catch {
    return undefined; // locked (LEVEL_LOCKED) or unreadable: the usual way decides
  }
  const range = async (prefix: string, opts: { reverse?: boolean; limit?: number } = {}) => {
    const entries: [string, string][] = [];
    for await (const entry of db.iterator({ gte: prefix, lt: `${prefix}~`, ...opts })) {
      entries.push(entry);
    }
    return entries;
  };
  const items = async (prefix: string, opts?: { reverse?: boolean; limit?: number }) =>
    (await range(prefix, opts)).map(([, v]) =>
      unmarshall(JSON.parse(v) as Record<string, unknown>),
    );
  /** The value under exactly `key`. */
  const exact = async (key: string) => {
    const [entry] = await range(key, { limit: 1 });
    return entry?.[0] === key ? entry[1] : undefined;
  };
  try {
    const [state, performance, transactions] = await Promise.all([
      exact(`table~${tables.state}`),
      exact(`table~${tables.performance}`),
      exact(`table~${tables.transactions}`),
    ]);
    if (
      !ready(state, []) ||
      !ready(performance, []) ||
      !ready(transactions, ['by-status', 'by-bot'])
    ) {
      await db.close();
      return undefined;
    }
  } catch (error) {
    await db.close();
    throw error;
  }
  const stateItems = (pk: string) => items(`item-${tables.state}~${hashKeyPrefix(pk)}`);
  const journalItemKey = (id: string) => `item-${tables.transactions}~${hashKeyPrefix(id)}`;
  const indexItems = (index: string, key: string, opts?: { reverse?: boolean; limit?: number }) =>
    items(`index-global~${tables.transactions}~${index}~${hashKeyPrefix(key)}`, opts);
  const journal = journalReads({
    // The index holds the keys (a data folder made before may hold whole copies): the entries
    // are read from the table by id.
    async underBotKey(key, opts = {}) {
      const found: JournalEntry[] = [];
      const range = {
        reverse: opts.newestFirst === true,
        ...(opts.limit !== undefined && { limit: opts.limit }),
      };
      for (const { id } of await indexItems('by-bot', key, range)) {
        const value = typeof id === 'string' ? await exact(journalItemKey(id)) : undefined;
        if (value !== undefined) {
          found.push(
            journalEntryFromItem(unmarshall(JSON.parse(value) as Record<string, unknown>)),
          );
        }
      }
      return found;
    },
    underStatusKey: async (key) => (await indexItems('by-status', key)).map(journalEntryFromItem),
  });
  return {
    async loadState(portfolioId) {
      const items = await stateItems(portfolioId);
      const header = items.find((i) => i.sk === STATE_SK);
      return header && stateFromItems(portfolioId, header, items);
    },
    async sentSince(portfolioId, sinceMs) {
      const kept = (await stateItems(portfolioId)).flatMap((item) => {
        const sk = typeof item.sk === 'string' ? item.sk : '';
        const prefix = ['alert#', 'digest#'].find((p) => sk.startsWith(p));
        return prefix === undefined ? [] : [{ key: sk.slice(prefix.length), item }];
      });
      return sentOf(kept, sinceMs);
    },
    byStatus: (portfolioId, statuses) => journal.byStatus(portfolioId, statuses),
    byBot: (portfolioId, botId, limit) => journal.byBot(portfolioId, botId, limit),
    async endOfDay(portfolioId, botId, days) {
      // The range key starts with the snapshot's ISO time, so a day's rows share a key prefix:
      // one iterator, newest first; each day's first row is its close, then a seek skips the rest
      // of that day — a read per day that has rows (plus one), not an iterator per day.
      const bot = `item-${tables.performance}~${hashKeyPrefix(botKey(portfolioId, botId))}`;
      const dayStart = (day: string) => `${bot}${hex(`${day}T`)}`;
      const wanted = new Set(days);
      const sorted = [...wanted].sort();
      const [first, last] = [sorted[0], sorted.at(-1)];
      if (first === undefined || last === undefined) return [];
      const it = db.iterator({ gte: dayStart(first), lt: `${dayStart(last)}~`, reverse: true });
      const closes: BotSnapshot[] = [];
      try {
        for (let entry = await it.next(); entry; entry = await it.next()) {
          const [key, value] = entry;
          const day = Buffer.from(key.slice(bot.length, bot.length + 20), 'hex').toString('utf8');
          if (wanted.has(day)) {
            closes.push(snapshotFromItem(unmarshall(JSON.parse(value) as Record<string, unknown>)));
          }
          it.seek(dayStart(day)); // every row of `day` sorts at or after its day prefix
        }
      } finally {
        await it.close();
      }
      return closes.reverse();
    },
    async healthFacts(portfolioId) {
      const out = new Map<string, HealthFacts>();
      for (const item of await stateItems(portfolioId)) {
        if (typeof item.sk === 'string' && item.sk.startsWith(HEALTH_PREFIX)) {
          out.set(item.sk.slice(HEALTH_PREFIX.length), healthFactsOfItem(item));
        }
      }
      return out;
    },
    close: () => db.close(),
  };
}
