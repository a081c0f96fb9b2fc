import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { STORE_ERRORS } from '../../functions/adapters/dynamodb/errors.ts';
import { TASK_STATES } from '../../functions/adapters/stepfunctions/contract.ts';
import { CORE_ERRORS, RateLimitedError } from '../../functions/core/errors.ts';
import { WORKFLOW_TIMEOUT_MINUTES } from '../../functions/core/settlement.ts';
import { LAMBDA_SERVICE_ERRORS, RETRYABLE_ERRORS } from '../../lib/transfer-workflow.ts';
import { logicalIdOf, stateMachineDefinition, synthesize, TRANSFER_HAPPY_PATH } from './support.ts';

// Prepare (once for the file)
const { stack, template } = synthesize();
const { definition, text } = stateMachineDefinition(template);
const taskNames = Object.keys(TASK_STATES) as (keyof typeof TASK_STATES)[];
const FORWARD = ['Lock', 'Validate', 'Submit', 'Confirm', 'Apply'];
/** What the workflow retries of ours: the transient errors, and the store's contention. */
const EXPECTED_RETRYABLE = [
  'RateLimitedError',
  'ExchangeUnavailableError',
  'AmbiguousOutcomeError',
  'NotYetVisibleError',
  'SubmitInFlightError',
  'BotLockedError',
  'LedgerContentionError',
  'UnprocessedWritesError',
];
const state = (name: string) => {
  const s = definition.States[name];
  if (!s) throw new Error(`no state ${name}`);
  return s;
};

describe('transfer workflow', () => {
  it('is one Standard state machine, traced, logging ALL to a log group', () => {
    // Assess
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: {
        Level: 'ALL',
        IncludeExecutionData: false,
        Destinations: [
          { CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [Match.anyValue(), 'Arn'] } } },
        ],
      },
    });
  });

  it('gives up after WORKFLOW_TIMEOUT_MINUTES', () => {
    // Assess
    expect(definition.TimeoutSeconds).toBe(WORKFLOW_TIMEOUT_MINUTES * 60);
  });

  it('has exactly the Task states of TASK_STATES', () => {
    // Act
    const tasks = Object.entries(definition.States)
      .filter(([, s]) => s.Type === 'Task')
      .map(([name]) => name);
    // Assess
    expect(tasks.sort()).toEqual([...taskNames].sort());
  });

  it.each(taskNames)('%s invokes the step function with its step and the transfer id', (name) => {
    // Assess
    expect(state(name).Resource).toBe('STEP_FUNCTION_ARN');
    expect(state(name).Parameters).toEqual({
      step: TASK_STATES[name],
      'transferId.$': '$.transferId',
      ...(name === 'Settle' && { 'error.$': '$.error' }),
    });
    // The result goes beside the input, so $.transferId (and $.error) stay.
    expect(state(name).ResultPath).toBe(`$.${name}`);
  });

  it('invokes the transfer-step function from every task', () => {
    // Act
    const stepFunctionId = logicalIdOf(stack, stack.transferStep);
    // Assess
    const raw = JSON.stringify(
      Object.values(template.findResources('AWS::StepFunctions::StateMachine'))[0]?.Properties
        .DefinitionString,
    );
    expect(raw.match(new RegExp(`"Fn::GetAtt":\\["${stepFunctionId}","Arn"\\]`, 'g'))).toHaveLength(
      taskNames.length,
    );
  });

  it.each(taskNames)('%s retries transient errors with capped, jittered backoff', (name) => {
    // Assess
    expect(state(name).Retry).toEqual([
      {
        ErrorEquals: [...EXPECTED_RETRYABLE, ...LAMBDA_SERVICE_ERRORS],
        IntervalSeconds: 2,
        BackoffRate: 2,
        MaxAttempts: 6,
        MaxDelaySeconds: 60,
        JitterStrategy: 'FULL',
      },
    ]);
  });

  it('retries the error classes that say they are retryable, by class name', () => {
    // Assess
    expect(RETRYABLE_ERRORS).toEqual(EXPECTED_RETRYABLE);
    for (const errorClass of [...CORE_ERRORS, ...STORE_ERRORS]) {
      expect(Object.hasOwn(errorClass, 'retryable'), errorClass.name).toBe(true);
    }
    expect(new RateLimitedError('slow down').retryable).toBe(true);
    expect(new RateLimitedError('slow down').name).toBe('RateLimitedError');
  });

  it.each(FORWARD)('%s retries RateLimitedError before its Catch settles the failure', (name) => {
    // Act
    const keys = Object.keys(state(name));
    // Assess
    expect(state(name).Retry?.[0]?.ErrorEquals).toContain('RateLimitedError');
    expect(keys.indexOf('Retry')).toBeGreaterThanOrEqual(0);
    expect(keys.indexOf('Retry')).toBeLessThan(keys.indexOf('Catch'));
    expect(state(name).Catch).toEqual([
      { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Settle' },
    ]);
  });

  it('never catches on the lock release, the alerts or the failure path', () => {
    // Assess
    for (const name of taskNames.filter((n) => !FORWARD.includes(n))) {
      expect(state(name).Catch, name).toBeUndefined();
    }
  });

  it('runs the happy path in order and ends in Transferred', () => {
    // Act
    const path: string[] = [];
    for (let at: string | undefined = definition.StartAt; at; at = state(at).Next) path.push(at);
    // Assess
    expect(path).toEqual(TRANSFER_HAPPY_PATH);
    expect(state('Transferred').Type).toBe('Succeed');
  });

  it('settles a failure, releases the lock and alerts, then ends in Settled', () => {
    // Act
    const path: string[] = [];
    for (let at: string | undefined = 'Settle'; at; at = state(at).Next) path.push(at);
    // Assess
    expect(path).toEqual(['Settle', 'UnlockAfterSettle', 'NotifyAfterSettle', 'Settled']);
    expect(state('Settled').Type).toBe('Succeed');
  });

  it('uses only Task and Succeed states (the local runner executes it in-process)', () => {
    // Assess
    expect(new Set(Object.values(definition.States).map((s) => s.Type))).toEqual(
      new Set(['Task', 'Succeed']),
    );
    expect(text).not.toContain('arn:aws:states:::');
  });
});
