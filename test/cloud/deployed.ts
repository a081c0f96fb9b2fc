/**
 * The cloud test's view of the deployed stack, through the AWS APIs only: the schedule rule's
 * target and input, the Lambda invoke EventBridge makes, the executions and their histories, the
 * function's log group.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CloudFormationClient,
  DescribeStackResourcesCommand,
} from '@aws-sdk/client-cloudformation';
import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  DescribeRuleCommand,
  EventBridgeClient,
  ListTargetsByRuleCommand,
  type Target,
} from '@aws-sdk/client-eventbridge';
import {
  GetFunctionConfigurationCommand,
  InvokeCommand,
  LambdaClient,
} from '@aws-sdk/client-lambda';
import {
  type ExecutionListItem,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  ListExecutionsCommand,
  SFNClient,
} from '@aws-sdk/client-sfn';

export interface Clients {
  readonly cfn: CloudFormationClient;
  readonly events: EventBridgeClient;
  readonly lambda: LambdaClient;
  readonly sfn: SFNClient;
  readonly logs: CloudWatchLogsClient;
}

export function clients(): Clients {
  return {
    cfn: new CloudFormationClient({}),
    events: new EventBridgeClient({}),
    lambda: new LambdaClient({}),
    sfn: new SFNClient({}),
    logs: new CloudWatchLogsClient({}),
  };
}

/** The stack's schedule rule that targets `functionArn`, with that target. */
export async function scheduleOf(
  c: Clients,
  stackName: string,
  functionArn: string,
): Promise<{ ruleArn: string; schedule: string; target: Target }> {
  const { StackResources } = await c.cfn.send(
    new DescribeStackResourcesCommand({ StackName: stackName }),
  );
  const rules = (StackResources ?? []).filter((r) => r.ResourceType === 'AWS::Events::Rule');
  for (const r of rules) {
    const Rule = r.PhysicalResourceId;
    const { Targets } = await c.events.send(new ListTargetsByRuleCommand({ Rule }));
    const target = Targets?.find((t) => t.Arn === functionArn);
    if (!target) continue;
    const rule = await c.events.send(new DescribeRuleCommand({ Name: Rule }));
    return { ruleArn: rule.Arn ?? '', schedule: rule.ScheduleExpression ?? '', target };
  }
  throw new Error(`no rule of ${stackName} targets ${functionArn}`);
}

/**
 * What EventBridge sends the target of a scheduled rule: the target's constant `Input` when it
 * has one, else the Scheduled Event (https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-events.html).
 */
export function scheduledEventFor(
  rule: { ruleArn: string; target: Target },
  at: Date,
): Record<string, unknown> {
  const { target } = rule;
  if (target.InputPath || target.InputTransformer) {
    throw new Error(`target ${target.Id}: InputPath/InputTransformer are not modelled here`);
  }
  if (target.Input) return JSON.parse(target.Input) as Record<string, unknown>;
  const [, , , region, account] = rule.ruleArn.split(':');
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account,
    time: `${at.toISOString().slice(0, 19)}Z`,
    region,
    resources: [rule.ruleArn],
    detail: {},
  };
}

/** Invokes a function and returns its result; a function error is thrown with its log tail. */
export async function invoke<T>(c: Clients, functionName: string, payload: unknown): Promise<T> {
  const answer = await c.lambda.send(
    new InvokeCommand({
      FunctionName: functionName,
      Payload: new TextEncoder().encode(JSON.stringify(payload)),
      LogType: 'Tail',
    }),
  );
  const text = new TextDecoder().decode(answer.Payload ?? new Uint8Array());
  if (answer.FunctionError) {
    const tail = Buffer.from(answer.LogResult ?? '', 'base64').toString('utf8');
    throw new Error(`${functionName} failed (${answer.FunctionError}): ${text}\n${tail}`);
  }
  return JSON.parse(text) as T;
}

/** Waits until the executions named `names` exist and none runs any more. */
export async function settledExecutions(
  c: Clients,
  stateMachineArn: string,
  names: readonly string[],
  timeoutMs: number,
): Promise<ExecutionListItem[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { executions = [] } = await c.sfn.send(
      new ListExecutionsCommand({ stateMachineArn, maxResults: 1000 }),
    );
    const ours = executions.filter((e) => names.includes(e.name ?? ''));
    if (ours.length === names.length && ours.every((e) => e.status !== 'RUNNING')) return ours;
    if (Date.now() > deadline) {
      throw new Error(
        `executions not settled in ${timeoutMs} ms: ${JSON.stringify(ours.map((e) => [e.name, e.status]))}`,
      );
    }
    await sleep(500);
  }
}

export async function historyOf(c: Clients, executionArn: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await c.sfn.send(
      new GetExecutionHistoryCommand({ executionArn, nextToken, maxResults: 1000 }),
    );
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}

/** The states an execution entered, in order. */
export const statesEntered = (history: readonly HistoryEvent[]): string[] =>
  history.flatMap((e) =>
    e.stateEnteredEventDetails?.name ? [e.stateEnteredEventDetails.name] : [],
  );

/** The error names of an execution's failed task attempts, by the state that made them, in order. */
export function taskErrors(history: readonly HistoryEvent[]): Map<string, string[]> {
  const errors = new Map<string, string[]>();
  let state = '';
  for (const e of history) {
    state = e.stateEnteredEventDetails?.name ?? state;
    const error = e.taskFailedEventDetails?.error ?? e.lambdaFunctionFailedEventDetails?.error;
    if (error) errors.set(state, [...(errors.get(state) ?? []), error]);
  }
  return errors;
}

/** Every line a function logged (its own log group, as the stack configures it). */
export async function logLines(c: Clients, functionName: string): Promise<string[]> {
  const fn = await c.lambda.send(
    new GetFunctionConfigurationCommand({ FunctionName: functionName }),
  );
  const logGroupName = fn.LoggingConfig?.LogGroup ?? `/aws/lambda/${functionName}`;
  const lines: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await c.logs.send(new FilterLogEventsCommand({ logGroupName, nextToken }));
    lines.push(...(page.events ?? []).map((e) => e.message ?? ''));
    nextToken = page.nextToken;
  } while (nextToken);
  return lines;
}

/** The JSON lines a function logged (its structured logs and EMF metrics), parsed. */
export async function jsonLogLines(
  c: Clients,
  functionName: string,
): Promise<Record<string, unknown>[]> {
  return (await logLines(c, functionName)).flatMap((line) => {
    const start = line.indexOf('{');
    if (start < 0) return [];
    try {
      return [JSON.parse(line.slice(start)) as Record<string, unknown>];
    } catch {
      return [];
    }
  });
}

/** The name of the stack's function whose logical id starts with `logicalIdPrefix`. */
export async function functionNamed(
  c: Clients,
  stackName: string,
  logicalIdPrefix: string,
): Promise<string> {
  const { StackResources = [] } = await c.cfn.send(
    new DescribeStackResourcesCommand({ StackName: stackName }),
  );
  const fn = StackResources.find(
    (r) =>
      r.ResourceType === 'AWS::Lambda::Function' &&
      r.LogicalResourceId?.startsWith(logicalIdPrefix),
  );
  if (!fn?.PhysicalResourceId) throw new Error(`no function ${logicalIdPrefix}… in ${stackName}`);
  return fn.PhysicalResourceId;
}
