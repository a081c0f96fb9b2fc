import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { TABLES, type TableDef, tableEnvName } from '../../functions/adapters/dynamodb/tables.ts';
import { logicalIdOf, synthesize } from './support.ts';

// Prepare (once for the file): the stack of the example portfolio.
const { stack, template } = synthesize();

const keySchema = (def: Pick<TableDef, 'partitionKey' | 'sortKey'>) => [
  { AttributeName: def.partitionKey.name, KeyType: 'HASH' },
  ...(def.sortKey ? [{ AttributeName: def.sortKey.name, KeyType: 'RANGE' }] : []),
];

describe('storage', () => {
  it('builds exactly the three tables of tables.ts', () => {
    // Assess
    template.resourceCountIs('AWS::DynamoDB::Table', TABLES.length);
  });

  it.each(TABLES.map((def) => [def.id, def] as const))(
    'builds the %s table with its key schema and indexes, on demand, PITR, encrypted',
    (_id, def) => {
      // Act
      const table = stack.node.findChild('Storage').node.findChild(def.id);
      // Assess
      const matching = template.findResources('AWS::DynamoDB::Table', {
        Properties: Match.objectLike({
          KeySchema: keySchema(def),
          BillingMode: 'PAY_PER_REQUEST',
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          SSESpecification: { SSEEnabled: true },
          DeletionProtectionEnabled: true,
          TimeToLiveSpecification: def.ttlAttribute
            ? { AttributeName: def.ttlAttribute, Enabled: true }
            : Match.absent(),
          GlobalSecondaryIndexes:
            def.indexes.length === 0
              ? Match.absent()
              : def.indexes.map((index) => ({
                  IndexName: index.indexName,
                  KeySchema: keySchema(index),
                  Projection: { ProjectionType: index.projection },
                })),
        }),
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
      });
      expect(Object.keys(matching)).toContain(logicalIdOf(stack, table));
    },
  );

  it("lets DynamoDB's TTL drop the performance snapshots past their expires_at", () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      TimeToLiveSpecification: { AttributeName: 'expires_at', Enabled: true },
    });
  });

  it('gives both functions every table name under tableEnvName', () => {
    // Assess
    const tableEnv = Object.fromEntries(
      TABLES.map((def) => [
        tableEnvName(def),
        { Ref: logicalIdOf(stack, stack.node.findChild('Storage').node.findChild(def.id)) },
      ]),
    );
    for (const fn of [stack.cycle.function, stack.transferStep]) {
      expect(
        template.toJSON().Resources[logicalIdOf(stack, fn)]?.Properties.Environment.Variables,
      ).toMatchObject(tableEnv);
    }
  });

  it('grants the journal indexes by name, not index/*', () => {
    // Act
    const policies = JSON.stringify(template.findResources('AWS::IAM::Policy'));
    // Assess
    expect(policies).toContain('/index/by-status');
    expect(policies).toContain('/index/by-bot');
    expect(policies).not.toContain('/index/*');
  });

  it('lets deletion protection be turned off', () => {
    // Act
    const { template: unprotected } = synthesize({ props: { deletionProtection: false } });
    // Assess
    unprotected.allResourcesProperties('AWS::DynamoDB::Table', {
      DeletionProtectionEnabled: false,
    });
  });
});
