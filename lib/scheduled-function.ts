/**
 * A Botfolio function that an EventBridge schedule runs and that may start transfer workflows:
 * the shape the monitoring cycle and the reconciliation share (lib/cycle.ts, lib/stack.ts).
 */
import { Duration } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { BotfolioFunction } from './function.ts';

/** The longest event age a Lambda target accepts. */
const MAX_EVENT_AGE = Duration.days(1);
/** A run's time limit unless the props say otherwise (and the interval allows). */
const DEFAULT_TIMEOUT = Duration.minutes(2);

export interface ScheduledFunctionProps {
  /** The handler module (exports `handler`). */
  readonly entry: string;
  /** What the function does, shown in the console. */
  readonly description: string;
  /** The portfolio this stack manages (see BotfolioFunction `portfolioId`). */
  readonly portfolioId: string;
  /** The validated config file, shipped in the bundle. @default - none (see BotfolioFunction) */
  readonly configFile?: string;
  /** The `custom` strategy's module, bundled in (see BotfolioFunction). @default - none */
  readonly allocationModule?: string;
  /** How often the schedule runs the function: whole minutes (EventBridge's grain). */
  readonly interval: Duration;
  /** The schedule rule's description, e.g. what runs and how often. */
  readonly scheduleDescription: string;
  /** The workflow the function starts (env `STATE_MACHINE_ARN`, and the grant to start it). */
  readonly stateMachine: sfn.IStateMachine;
  /** @default Duration.minutes(2), and never more than the interval (runs must not overlap) */
  readonly timeout?: Duration;
  /** @default 512 (BotfolioFunction's default) */
  readonly memorySize?: number;
  /** A VPC to run the function in (see BotfolioFunction `vpc`). @default - none */
  readonly vpc?: ec2.IVpc;
}

/**
 * The function (child `Function`) and its schedule (child `Schedule`). A failed run is not
 * retried late (Lambda's async retries are off): the next scheduled run does the work again from
 * fresh balances. A delivery EventBridge could not make within one interval is dropped, as the
 * next run overtakes it.
 */
export class ScheduledFunction extends Construct {
  readonly function: BotfolioFunction;
  readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: ScheduledFunctionProps) {
    super(scope, id);
    const intervalMs = props.interval.toMilliseconds();
    this.function = new BotfolioFunction(this, 'Function', {
      entry: props.entry,
      description: props.description,
      portfolioId: props.portfolioId,
      configFile: props.configFile,
      allocationModule: props.allocationModule,
      timeout:
        props.timeout ?? Duration.millis(Math.min(DEFAULT_TIMEOUT.toMilliseconds(), intervalMs)),
      memorySize: props.memorySize,
      retryAttempts: 0,
      environment: { STATE_MACHINE_ARN: props.stateMachine.stateMachineArn },
      vpc: props.vpc,
    });
    props.stateMachine.grantStartExecution(this.function);

    this.rule = new events.Rule(this, 'Schedule', {
      description: props.scheduleDescription,
      schedule: events.Schedule.rate(props.interval),
      targets: [
        new targets.LambdaFunction(this.function, {
          retryAttempts: 2,
          maxEventAge: Duration.millis(Math.min(intervalMs, MAX_EVENT_AGE.toMilliseconds())),
        }),
      ],
    });
  }
}
