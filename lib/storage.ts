/**
 * The three tables (DESIGN.md §7), built from the same definitions local mode uses
 * (functions/adapters/dynamodb/tables.ts), so a key or an index cannot differ between the two.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import {
  type KeyDef,
  TABLES,
  type TableDef,
  tableEnvName,
} from '../functions/adapters/dynamodb/tables.ts';

/** What the functions do with items (no table management, no streams). */
const ITEM_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
  'dynamodb:ConditionCheckItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:DescribeTable',
] as const;
/** What they do with an index. */
const INDEX_ACTIONS = ['dynamodb:Query'] as const;

export interface StorageProps {
  /**
   * Refuse to delete the tables (CloudFormation deletion protection). They are retained on stack
   * deletion either way; this also stops a replacement or a console delete.
   * @default true
   */
  readonly deletionProtection?: boolean;
}

/** The state, performance and transactions tables: on-demand, PITR, encrypted, retained. */
export class Storage extends Construct {
  /** Portfolio snapshots, flags, reserve projection, locks, cooldowns, breakers. */
  readonly state: dynamodb.ITable;
  /** Per-bot time series of snapshots. */
  readonly performance: dynamodb.ITable;
  /** The transfer journal. */
  readonly transactions: dynamodb.ITable;
  /**
   * Each table's name under `tableEnvName(def)` (STATE_TABLE_NAME, PERFORMANCE_TABLE_NAME,
   * TRANSACTIONS_TABLE_NAME): what a function granted `grantReadWriteItems` needs to find them.
   */
  readonly environment: Readonly<Record<string, string>>;
  private readonly tables: ReadonlyArray<readonly [TableDef, dynamodb.ITable]>;

  constructor(scope: Construct, id: string, props: StorageProps = {}) {
    super(scope, id);
    const built = TABLES.map((def) => [def, buildTable(this, def, props)] as const);
    const byId = new Map(built.map(([def, table]) => [def.id, table]));
    const get = (tableId: TableDef['id']) => {
      const table = byId.get(tableId);
      if (!table) throw new Error(`no table definition with id ${tableId} in TABLES`);
      return table;
    };
    this.state = get('State');
    this.performance = get('Performance');
    this.transactions = get('Transactions');
    this.tables = built;
    this.environment = Object.fromEntries(
      built.map(([def, table]) => [tableEnvName(def), table.tableName]),
    );
  }

  /**
   * Lets the grantee read and write the items of every table and query its indexes. Granted by
   * hand, indexes by name: the table's `grant*` methods would add `index/*`. The keys are AWS
   * managed (aws/dynamodb), so no KMS grant is needed.
   */
  grantReadWriteItems(grantee: iam.IGrantable): iam.Grant {
    const grants = this.tables.flatMap(([def, table]) => [
      iam.Grant.addToPrincipal({
        grantee,
        actions: [...ITEM_ACTIONS],
        resourceArns: [table.tableArn],
      }),
      ...(def.indexes.length > 0
        ? [
            iam.Grant.addToPrincipal({
              grantee,
              actions: [...INDEX_ACTIONS],
              resourceArns: def.indexes.map((i) => `${table.tableArn}/index/${i.indexName}`),
            }),
          ]
        : []),
    ]);
    return grants.reduce((all, grant) => all.combine(grant));
  }
}

function buildTable(scope: Construct, def: TableDef, props: StorageProps): dynamodb.Table {
  const attribute = (k: KeyDef): dynamodb.Attribute => ({
    name: k.name,
    type: k.type === 'S' ? dynamodb.AttributeType.STRING : dynamodb.AttributeType.NUMBER,
  });
  const table = new dynamodb.Table(scope, def.id, {
    partitionKey: attribute(def.partitionKey),
    sortKey: def.sortKey && attribute(def.sortKey),
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    // A KMS key of the account's (aws/dynamodb): key use shows in CloudTrail.
    encryption: dynamodb.TableEncryption.AWS_MANAGED,
    deletionProtection: props.deletionProtection ?? true,
    removalPolicy: RemovalPolicy.RETAIN,
    ...(def.ttlAttribute && { timeToLiveAttribute: def.ttlAttribute }),
  });
  for (const index of def.indexes) {
    table.addGlobalSecondaryIndex({
      indexName: index.indexName,
      partitionKey: attribute(index.partitionKey),
      sortKey: index.sortKey && attribute(index.sortKey),
      projectionType:
        index.projection === 'ALL'
          ? dynamodb.ProjectionType.ALL
          : dynamodb.ProjectionType.KEYS_ONLY,
    });
  }
  return table;
}
