import { Capture, Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { logicalIdOf, synthesize } from './support.ts';

// Prepare (once for the file)
const { stack, template } = synthesize();
const functionId = logicalIdOf(stack, stack.reconcile.function);
const role = stack.reconcile.function.role;
if (!role) throw new Error('the reconcile function has no role');
const roleId = logicalIdOf(stack, role);
const stateMachineId = logicalIdOf(stack, stack.transferWorkflow.stateMachine);

/** The statements of the inline policies attached to the reconcile function's role. */
function statements(): unknown[] {
  return Object.values(
    template.findResources('AWS::IAM::Policy', {
      Properties: { Roles: Match.arrayWith([{ Ref: roleId }]) },
    }),
  ).flatMap((p) => p.Properties.PolicyDocument.Statement as unknown[]);
}

describe('scheduled reconciliation', () => {
  it('runs the reconcile function every ten minutes', () => {
    // Prepare
    const target = new Capture();
    // Assess
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(10 minutes)',
      State: 'ENABLED',
      Targets: [Match.objectLike({ Arn: target })],
    });
    expect(target.asObject()).toEqual({ 'Fn::GetAtt': [functionId, 'Arn'] });
  });

  it('may start executions of the transfer state machine (planned transfers never started)', () => {
    // Assess
    expect(statements()).toContainEqual(
      expect.objectContaining({
        Action: 'states:StartExecution',
        Effect: 'Allow',
        Resource: { Ref: stateMachineId },
      }),
    );
  });

  it('reads and writes the journal and the state, and reads the exchange key', () => {
    // Prepare
    const actions = statements().flatMap((s) => {
      const a = (s as { Action: string | string[] }).Action;
      return Array.isArray(a) ? a : [a];
    });
    // Assess
    expect(actions).toEqual(
      expect.arrayContaining([
        'dynamodb:UpdateItem',
        'dynamodb:Query',
        'dynamodb:GetItem',
        'secretsmanager:GetSecretValue',
        'sns:Publish',
      ]),
    );
  });

  it('knows the state machine, the tables and the alert topic', () => {
    // Assess
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('^Botfolio reconciliation'),
      Timeout: 120,
      Environment: {
        Variables: Match.objectLike({
          STATE_MACHINE_ARN: { Ref: stateMachineId },
          TRANSACTIONS_TABLE_NAME: { Ref: Match.stringLikeRegexp('Transactions') },
          STATE_TABLE_NAME: { Ref: Match.stringLikeRegexp('State') },
          ALERT_TOPIC_ARN: { Ref: Match.stringLikeRegexp('^AlertsTopic') },
        }),
      },
    });
  });

  it('calls the exchange from the fixed egress when the stack has one', () => {
    // Prepare
    const withEgress = synthesize({ props: { egress: 'nat-instance' } });
    const id = logicalIdOf(withEgress.stack, withEgress.stack.reconcile.function);
    // Act
    const fn = withEgress.template.toJSON().Resources[id];
    // Assess
    expect(fn.Properties.VpcConfig).toEqual({
      SubnetIds: [expect.anything()],
      SecurityGroupIds: [expect.anything()],
    });
    expect(template.toJSON().Resources[functionId].Properties.VpcConfig).toBeUndefined();
  });

  it('is not retried late: the next scheduled run does the same work', () => {
    // Assess
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: functionId },
      MaximumRetryAttempts: 0,
    });
  });
});
