/**
 * The guarded-transfer state machine (DESIGN.md §4), defined once: AWS runs it, and local mode and
 * the tests execute the synthesized definition in-process. So every Task is a plain Lambda invoke
 * of the one step function with `Parameters` (no SDK integrations, no Map or Parallel), named after
 * TASK_STATES in functions/adapters/stepfunctions/contract.ts.
 *
 * Happy path: Lock → Validate → Submit → Confirm → Apply →
 * Unlock → Notify → Transferred. Any error a forward step (Lock … Apply) still
 * has after its retries is caught into `$.error` → Settle → UnlockAfterSettle →
 * NotifyAfterSettle → Settled. The journal holds the outcome; an execution fails only when a step
 * keeps failing (and that raises an alarm).
 */
import { CfnElement, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { STORE_ERRORS } from '../functions/adapters/dynamodb/errors.ts';
import { TASK_STATES, type TaskStateName } from '../functions/adapters/stepfunctions/contract.ts';
import { CORE_ERRORS } from '../functions/core/errors.ts';
import {
  METRIC_NAMES,
  type MetricName,
  OUTCOME_METRICS,
  type TransferOutcome,
} from '../functions/core/metrics.ts';
import { WORKFLOW_TIMEOUT_MINUTES } from '../functions/core/settlement.ts';
import { portfolioMetric } from './portfolio-metric.ts';

/** Lambda's own transient failures: the invoke did not run, or did not report back. */
export const LAMBDA_SERVICE_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'Lambda.ClientExecutionTimeoutException',
] as const;

/**
 * Error names the workflow retries: those of our error classes (the core's and the store's)
 * whose `retryable` is true — transient exchange trouble, a held lock, contention in the store.
 */
export const RETRYABLE_ERRORS: readonly string[] = [...CORE_ERRORS, ...STORE_ERRORS]
  .filter((e) => e.retryable)
  .map((e) => e.name);

/**
 * The one Retry every task has: our retryable errors and Lambda's transient ones, with capped
 * exponential backoff and full jitter (2 s, 4 s, 8 s … at most 60 s; six retries).
 */
export const TRANSFER_RETRY: sfn.RetryProps = {
  errors: [...RETRYABLE_ERRORS, ...LAMBDA_SERVICE_ERRORS],
  interval: Duration.seconds(2),
  backoffRate: 2,
  maxAttempts: 6,
  maxDelay: Duration.seconds(60),
  jitterStrategy: sfn.JitterType.FULL,
};

/** Where a caught error goes, and what Settle reads. */
export const ERROR_PATH = '$.error';

/** Forward steps: an error they keep raising is settled on the failure path. */
const FORWARD_STATES = [
  'Lock',
  'Validate',
  'Submit',
  'Confirm',
  'Apply',
] as const satisfies readonly TaskStateName[];

export interface TransferWorkflowProps {
  /** The function that runs every step, dispatching on `step` (functions/handlers/transfer-step.ts). */
  readonly stepFunction: lambda.IFunction;
  /** @default logs.RetentionDays.THREE_MONTHS */
  readonly logRetention?: logs.RetentionDays;
  /** The portfolio whose transfers it moves: the dimension of its metrics (`metric*()`). */
  readonly portfolioId: string;
}

/** The Standard state machine that moves one planned transfer, exactly once. */
export class TransferWorkflow extends Construct {
  readonly stateMachine: sfn.StateMachine;
  /** The step function every Task invokes. */
  readonly stepFunction: lambda.IFunction;
  /** The execution history log group (level ALL, without execution data). */
  readonly logGroup: logs.ILogGroup;
  private readonly portfolioId: string;

  constructor(scope: Construct, id: string, props: TransferWorkflowProps) {
    super(scope, id);
    this.stepFunction = props.stepFunction;
    this.portfolioId = props.portfolioId;

    const step = (name: TaskStateName, extra: Record<string, unknown> = {}) => {
      const task = new tasks.LambdaInvoke(this, name, {
        lambdaFunction: props.stepFunction,
        payloadResponseOnly: true,
        payload: sfn.TaskInput.fromObject({
          step: TASK_STATES[name],
          transferId: sfn.JsonPath.stringAt('$.transferId'),
          ...extra,
        }),
        // Each step's small result under its own name; the input (transferId, error) stays.
        resultPath: `$.${name}`,
        // Replaced by TRANSFER_RETRY, which covers these errors too.
        retryOnServiceExceptions: false,
      });
      task.addRetry(TRANSFER_RETRY);
      return task;
    };

    const forward = Object.fromEntries(FORWARD_STATES.map((name) => [name, step(name)])) as Record<
      (typeof FORWARD_STATES)[number],
      tasks.LambdaInvoke
    >;

    const failurePath = step('Settle', { error: sfn.JsonPath.objectAt(ERROR_PATH) })
      .next(step('UnlockAfterSettle'))
      .next(step('NotifyAfterSettle'))
      .next(new sfn.Succeed(this, 'Settled', { comment: 'The journal holds the outcome.' }));

    for (const task of Object.values(forward)) {
      task.addCatch(failurePath, { errors: [sfn.Errors.ALL], resultPath: ERROR_PATH });
    }

    const definition = sfn.Chain.start(forward.Lock)
      .next(forward.Validate)
      .next(forward.Submit)
      .next(forward.Confirm)
      .next(forward.Apply)
      .next(step('Unlock'))
      .next(step('Notify'))
      .next(new sfn.Succeed(this, 'Transferred'));

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      comment: 'Botfolio guarded transfer: one planned transfer, exactly once (DESIGN.md §4).',
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      timeout: Duration.minutes(WORKFLOW_TIMEOUT_MINUTES),
      tracingEnabled: true,
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
    });
    this.acknowledgeRoleFindings(props.stepFunction);
  }

  /** The state machine role's wildcards, all of CDK's making, each with why it is accepted. */
  private acknowledgeRoleFindings(stepFunction: lambda.IFunction): void {
    const role = this.stateMachine.role;
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Log delivery (logs:*LogDelivery, PutResourcePolicy, DescribeResourcePolicies, DescribeLogGroups) and X-Ray (PutTraceSegments, PutTelemetryRecords, GetSampling*) actions have no resource type: AWS requires "*" for state machine logging and tracing.',
    });
    const cfnFunction = stepFunction.node.defaultChild;
    if (cfnFunction instanceof CfnElement) {
      const logicalId = Stack.of(cfnFunction).getLogicalId(cfnFunction);
      Validations.of(role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${logicalId}.Arn>:*]`,
        reason:
          'LambdaInvoke grants the step function and its versions/aliases (ARN:*); it is the one function this machine invokes.',
      });
    }
  }

  /** Transfers of the portfolio that ended in `outcome`. @default sum over 5 minutes */
  metricTransfers(outcome: TransferOutcome, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.flow(OUTCOME_METRICS[outcome], props);
  }

  /** Amount harvested by completed transfers, in the portfolio currency. @default sum over 5 minutes */
  metricHarvestedAmount(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.flow(METRIC_NAMES.harvestedAmount, props);
  }

  /** Amount refilled by completed transfers, in the portfolio currency. @default sum over 5 minutes */
  metricRefilledAmount(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.flow(METRIC_NAMES.refilledAmount, props);
  }

  private flow(name: MetricName, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return portfolioMetric(this.portfolioId, name, cloudwatch.Stats.SUM, props);
  }
}
