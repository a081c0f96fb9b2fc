/**
 * The monitoring cycle (DESIGN.md §2): an EventBridge schedule at the config's check interval runs
 * the cycle function, which reads balances, plans, records, starts one transfer workflow per planned
 * transfer, alerts and emits metrics.
 */
import { Annotations, Duration } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { formatProblem, type Problem } from '../functions/core/config.ts';
import { formatDuration } from '../functions/core/duration.ts';
import { BotfolioFunction } from './function.ts';

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

export interface CycleProps {
  /** The cycle handler module (exports `handler`). */
  readonly entry: string;
  readonly portfolioId: string;
  /** The validated config file, shipped in the bundle. @default - none (see BotfolioFunction) */
  readonly configFile?: string;
  /** The config's `monitoring.check_interval`: whole minutes, at least one (EventBridge's grain). */
  readonly checkIntervalMs: number;
  /** The workflow the cycle starts per transfer (env `STATE_MACHINE_ARN`). */
  readonly stateMachine: sfn.IStateMachine;
  /** @default Duration.minutes(2), and never more than the check interval */
  readonly timeout?: Duration;
  /** @default 1024 — a cycle reads many sub-accounts and runs the policy engine */
  readonly memorySize?: number;
  /** A VPC to run the function in (see BotfolioFunction `vpc`). @default - none */
  readonly vpc?: ec2.IVpc;
}

export class Cycle extends Construct {
  readonly function: BotfolioFunction;
  readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: CycleProps) {
    super(scope, id);
    const problems = scheduleProblems(props.checkIntervalMs);
    for (const p of problems) Annotations.of(this).addError(formatProblem(p).trim());
    // Rounded up so the construct still builds (local mode synthesizes it); the error above
    // stops a deploy.
    const interval = Duration.minutes(Math.max(1, Math.ceil(props.checkIntervalMs / MINUTE_MS)));
    const timeout = props.timeout ?? Duration.minutes(Math.min(2, interval.toMinutes()));

    this.function = new BotfolioFunction(this, 'Function', {
      entry: props.entry,
      description: 'Botfolio monitoring cycle: balances, plan, journal, transfers, alerts, metrics',
      portfolioId: props.portfolioId,
      configFile: props.configFile,
      timeout,
      memorySize: props.memorySize ?? 1024,
      // A failed cycle is not retried late: the next scheduled one plans from fresh balances.
      retryAttempts: 0,
      environment: { STATE_MACHINE_ARN: props.stateMachine.stateMachineArn },
      vpc: props.vpc,
    });
    props.stateMachine.grantStartExecution(this.function);

    this.rule = new events.Rule(this, 'Schedule', {
      description: `Botfolio ${props.portfolioId}: one monitoring cycle every ${formatDuration(props.checkIntervalMs)}`,
      schedule: events.Schedule.rate(interval),
      targets: [
        new targets.LambdaFunction(this.function, {
          retryAttempts: 2,
          // An invocation that could not be delivered within one interval is overtaken by the next.
          maxEventAge: Duration.millis(Math.min(interval.toMilliseconds(), DAY_MS)),
        }),
      ],
    });
  }
}

/**
 * What makes a check interval impossible on AWS: EventBridge schedules count in whole minutes.
 * (Local mode runs any interval, so the config schema accepts seconds.)
 */
export function scheduleProblems(checkIntervalMs: number): Problem[] {
  if (checkIntervalMs >= MINUTE_MS && checkIntervalMs % MINUTE_MS === 0) return [];
  return [
    {
      path: 'monitoring.check_interval',
      value: formatDuration(checkIntervalMs),
      message: 'expected whole minutes, at least "1m", for the AWS schedule',
    },
  ];
}
