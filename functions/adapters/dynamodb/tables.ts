/**
 * The three tables (DESIGN.md §7), defined once: the CDK stack builds them from these definitions
 * and local mode creates them from the same ones, so a key or index cannot differ between the two.
 */
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

export interface KeyDef {
  readonly name: string;
  readonly type: 'S' | 'N';
}

export interface IndexDef {
  readonly indexName: string;
  readonly partitionKey: KeyDef;
  readonly sortKey?: KeyDef;
  /**
   * What the index copies of each item: all of it, or its keys only — then a write costs the
   * index nothing unless it changes the index's key, and a query reads the items by their keys.
   */
  readonly projection: 'ALL' | 'KEYS_ONLY';
}

export interface TableDef {
  /** Logical name: the CDK construct id and the environment variable's stem. */
  readonly id: 'State' | 'Performance' | 'Transactions';
  readonly partitionKey: KeyDef;
  readonly sortKey?: KeyDef;
  readonly indexes: readonly IndexDef[];
  /** The attribute DynamoDB's TTL reads (epoch seconds): an item past it is deleted. */
  readonly ttlAttribute?: string;
}

/**
 * `state`: per portfolio (`pk` = portfolio id) the state's header (`sk` = "state": flags, peak,
 * reserves, the ledger's watermark) and one item per bot (`bot#<bot>`: its books and balance),
 * plus each bot's plan and lock (`plan#<bot>`), its kept returns (`recent#<bot>`) and health
 * (`health#<bot>`), alert cooldowns (`alert#<code>#<bot>`), transfer alerts held for a digest
 * (`digest#<key>`), circuit-breaker state (`breaker#<exchange>`), each exchange's daily total
 * (`daily#<exchange>`) and each transfer's share of it (`dclaim#<transfer>`); what has an
 * `expires_at` is dropped after it.
 */
export const STATE_TABLE: TableDef = {
  id: 'State',
  partitionKey: { name: 'pk', type: 'S' },
  sortKey: { name: 'sk', type: 'S' },
  indexes: [],
  ttlAttribute: 'expires_at',
};

/**
 * `performance`: per bot (`pk` = `<portfolio>#<bot>`) a time series keyed by ISO time (`sk`),
 * each snapshot dropped after its `expires_at` (core/retention.ts).
 */
export const PERFORMANCE_TABLE: TableDef = {
  id: 'Performance',
  partitionKey: { name: 'pk', type: 'S' },
  sortKey: { name: 'sk', type: 'S' },
  indexes: [],
  ttlAttribute: 'expires_at',
};

/** `transactions`: the journal, one item per transfer id, indexed by status and by bot. */
export const TRANSACTIONS_TABLE: TableDef = {
  id: 'Transactions',
  partitionKey: { name: 'id', type: 'S' },
  indexes: [
    {
      indexName: 'by-status',
      partitionKey: { name: 'status_key', type: 'S' },
      sortKey: { name: 'created_at', type: 'S' },
      projection: 'ALL',
    },
    {
      indexName: 'by-bot',
      partitionKey: { name: 'bot_key', type: 'S' },
      sortKey: { name: 'created_at', type: 'S' },
      // Read only by a bot's history (the CLI, the board): each step's write then costs it nothing.
      projection: 'KEYS_ONLY',
    },
  ],
};

export const TABLES = [STATE_TABLE, PERFORMANCE_TABLE, TRANSACTIONS_TABLE] as const;

/** Environment variable that carries a table's name to the functions: STATE_TABLE_NAME, … */
export const tableEnvName = (def: TableDef): string => `${def.id.toUpperCase()}_TABLE_NAME`;

/** The CreateTable request local mode and the storage tests use (on-demand, like the stack). */
export function createTableInput(def: TableDef, tableName: string): CreateTableCommandInput {
  const keys = [
    def.partitionKey,
    def.sortKey,
    ...def.indexes.flatMap((i) => [i.partitionKey, i.sortKey]),
  ];
  const attributes = new Map<string, KeyDef>();
  for (const k of keys) if (k) attributes.set(k.name, k);
  const schema = (pk: KeyDef, sk?: KeyDef) => [
    { AttributeName: pk.name, KeyType: 'HASH' as const },
    ...(sk ? [{ AttributeName: sk.name, KeyType: 'RANGE' as const }] : []),
  ];
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [...attributes.values()].map((k) => ({
      AttributeName: k.name,
      AttributeType: k.type,
    })),
    KeySchema: schema(def.partitionKey, def.sortKey),
    ...(def.indexes.length > 0 && {
      GlobalSecondaryIndexes: def.indexes.map((i) => ({
        IndexName: i.indexName,
        KeySchema: schema(i.partitionKey, i.sortKey),
        Projection: { ProjectionType: i.projection },
      })),
    }),
  };
}
