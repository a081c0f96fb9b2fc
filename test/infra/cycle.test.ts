import { Annotations, Capture, Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../functions/core/config.ts';
import { scheduleProblems } from '../../lib/cycle.ts';
import { exampleConfigJson, logicalIdOf, synthesize } from './support.ts';

// Prepare (once for the file): the example config checks every 15 minutes.
const { stack, template } = synthesize();
const cycleFunctionId = logicalIdOf(stack, stack.cycle.function);
const cycleRole = stack.cycle.function.role;
if (!cycleRole) throw new Error('the cycle function has no role');
const cycleRoleId = logicalIdOf(stack, cycleRole);
const stateMachineId = logicalIdOf(stack, stack.transferWorkflow.stateMachine);

/** The statements of the inline policies attached to a role. */
function statementsOf(roleId: string): unknown[] {
  return Object.values(
    template.findResources('AWS::IAM::Policy', {
      Properties: { Roles: Match.arrayWith([{ Ref: roleId }]) },
    }),
  ).flatMap((p) => p.Properties.PolicyDocument.Statement as unknown[]);
}

describe('monitoring cycle', () => {
  it('runs the cycle function on a schedule at the config check interval', () => {
    // Prepare
    const target = new Capture();
    // Assess
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(15 minutes)',
      State: 'ENABLED',
      Targets: [Match.objectLike({ Arn: target })],
    });
    expect(target.asObject()).toEqual({ 'Fn::GetAtt': [cycleFunctionId, 'Arn'] });
  });

  it('follows the check interval of the config', () => {
    // Prepare
    const hourly = { ...exampleConfigJson(), monitoring: { check_interval: '1h' } };
    // Act
    const { template: t } = synthesize({ configJson: hourly });
    // Assess
    t.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(1 hour)' });
  });

  it('refuses an interval EventBridge cannot schedule, naming the config path', () => {
    // Assess
    expect(scheduleProblems(30_000)).toEqual([
      expect.objectContaining({ path: 'monitoring.check_interval', value: '30s' }),
    ]);
    expect(scheduleProblems(90_000)).toHaveLength(1);
    expect(scheduleProblems(15 * 60_000)).toEqual([]);
  });

  it('refuses a sub-minute interval in the config itself, as on one machine', () => {
    // Assess: the same rule, at parse time, wherever the config is read
    const fast = { ...exampleConfigJson(), monitoring: { check_interval: '30s' } };
    expect(() => synthesize({ configJson: fast })).toThrow(/monitoring\.check_interval/);
  });

  it('flags a sub-minute interval given past the config (a construct prop) as an error', () => {
    // Prepare: a config object that skipped the schema
    const config = { ...parseConfig(exampleConfigJson()), checkIntervalMs: 30_000 };
    // Act
    const { stack: s, template: t } = synthesize({ props: { config } });
    // Assess
    t.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(1 minute)' });
    // A run never outlasts the interval, so two cycles do not overlap.
    t.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('^Botfolio monitoring cycle'),
      Timeout: 60,
    });
    Annotations.fromStack(s).hasError(
      '/Botfolio-main/Cycle',
      Match.stringLikeRegexp('monitoring\\.check_interval'),
    );
  });

  it('lets the cycle start executions of the transfer state machine', () => {
    // Assess
    expect(statementsOf(cycleRoleId)).toContainEqual(
      expect.objectContaining({
        Action: 'states:StartExecution',
        Effect: 'Allow',
        Resource: { Ref: stateMachineId },
      }),
    );
  });

  it('tells the cycle where the state machine and the alert topic are', () => {
    // Assess
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          STATE_MACHINE_ARN: { Ref: stateMachineId },
          ALERT_TOPIC_ARN: { Ref: Match.stringLikeRegexp('^AlertsTopic') },
          EXCHANGE_SECRET_ARN_BITGET: { Ref: Match.stringLikeRegexp('^ExchangeSecretsbitget') },
          CONFIG_PATH: 'botfolio.config.json',
        }),
      },
    });
  });

  it('ships a custom strategy’s module with the cycle function alone (ALLOCATION_MODULE_PATH)', () => {
    // Prepare: the config's module is found from its folder (examples/custom-allocation.mjs)
    const custom = {
      ...exampleConfigJson(),
      allocation: { strategy: 'custom', module: './custom-allocation.mjs' },
    };
    // Act
    const { stack: s, template: t } = synthesize({ configJson: custom });
    // Assess
    const withModule = t.findResources('AWS::Lambda::Function', {
      Properties: {
        Environment: {
          Variables: Match.objectLike({ ALLOCATION_MODULE_PATH: 'botfolio.allocation.mjs' }),
        },
      },
    });
    expect(Object.keys(withModule)).toEqual([logicalIdOf(s, s.cycle.function)]);
    expect(JSON.stringify(template.toJSON())).not.toContain('ALLOCATION_MODULE_PATH');
  });

  it('grants no function PutMetricData: metrics go out as EMF lines in their log groups', () => {
    // Assess
    expect(JSON.stringify(template.findResources('AWS::IAM::Policy'))).not.toContain(
      'cloudwatch:PutMetricData',
    );
  });

  it('does not retry a failed cycle late (the next one replans)', () => {
    // Assess
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: cycleFunctionId },
      MaximumRetryAttempts: 0,
    });
  });

  it('runs every function on Node.js 22, arm64, traced, with their own log groups', () => {
    // Assess
    const functions = template.findResources('AWS::Lambda::Function', {
      Properties: {
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
        Handler: 'index.handler',
        LoggingConfig: { LogGroup: { Ref: Match.anyValue() } },
        Environment: { Variables: Match.objectLike({ NODE_OPTIONS: '--enable-source-maps' }) },
      },
    });
    expect(Object.keys(functions).sort()).toEqual(
      [
        cycleFunctionId,
        logicalIdOf(stack, stack.transferStep),
        logicalIdOf(stack, stack.reconcile.function),
      ].sort(),
    );
    template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
  });
});
