/**
 * The DynamoDB stores of a portfolio over the three tables of tables.ts: the journal, the
 * portfolio state, the ledger projection, claims, locks, bot plans, alert cooldowns and the performance
 * series — one adapter per port, sharing one document client. They work the same on AWS, DynamoDB
 * Local and dynalite: every write that must agree is a single-item conditional write (no
 * transactions), and every amount is an exact integer of 10⁻⁸ units in an N attribute.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Stores } from '../../core/store-ports.ts';
import { DynamoClaimStore } from './claims.ts';
import { documentClient, type StoreContext, type TableNames } from './context.ts';
import { DynamoCooldownStore } from './cooldowns.ts';
import { DynamoHeartbeatStore } from './heartbeats.ts';
import { DynamoJournal } from './journal.ts';
import { DynamoLedgerStore } from './ledger.ts';
import { DynamoLockStore } from './locks.ts';
import { DynamoPerformanceStore } from './performance.ts';
import { DynamoPlanStore } from './plans.ts';
import { DynamoPortfolioStore } from './portfolio-state.ts';

export type { TableNames } from './context.ts';

export interface DynamoStoreOptions {
  /** The clock for history timestamps and lock expiry. @default () => new Date() */
  readonly now?: () => Date;
}

/**
 * Every store of a portfolio on DynamoDB.
 * @param client a DynamoDBClient (wrapped here), or a document client built with
 *   `unmarshallOptions: { wrapNumbers: true }`
 */
export function dynamoStores(
  client: DynamoDBClient | DynamoDBDocumentClient,
  tables: TableNames,
  options: DynamoStoreOptions = {},
): Stores {
  const ctx: StoreContext = {
    doc: documentClient(client),
    tables: { ...tables },
    now: options.now ?? (() => new Date()),
    ownerOfTransfer: new Map(),
  };
  return {
    journal: new DynamoJournal(ctx),
    portfolio: new DynamoPortfolioStore(ctx),
    ledger: new DynamoLedgerStore(ctx),
    claims: new DynamoClaimStore(ctx),
    locks: new DynamoLockStore(ctx),
    plans: new DynamoPlanStore(ctx),
    cooldowns: new DynamoCooldownStore(ctx),
    performance: new DynamoPerformanceStore(ctx),
    heartbeats: new DynamoHeartbeatStore(ctx),
  };
}
