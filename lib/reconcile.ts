/**
 * Scheduled reconciliation (DESIGN.md §4, §9): an EventBridge schedule runs the reconcile
 * function, which settles transfers the workflow left open (uncertain ones by clientOid lookup),
 * starts again planned ones whose execution never started, applies completed ones the ledger
 * missed, and raises `reconciliation_mismatch` when the books and the exchange disagree.
 */
import { Duration } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { BotfolioFunction } from './function.ts';

export interface ReconcileProps {
  /** The reconcile handler module (exports `handler`). */
  readonly entry: string;
  readonly portfolioId: string;
  /** The validated config file, shipped in the bundle. @default - none (see BotfolioFunction) */
  readonly configFile?: string;
  /** The workflow whose planned transfers it starts again (env `STATE_MACHINE_ARN`). */
  readonly stateMachine: sfn.IStateMachine;
  /**
   * How often it runs: an uncertain transfer with no record on the exchange is failed once ten
   * quiet minutes have passed, so a run every ten minutes settles it within twenty.
   * @default Duration.minutes(10)
   */
  readonly interval?: Duration;
  /** @default Duration.minutes(2) — a few queries and one exchange lookup per open transfer */
  readonly timeout?: Duration;
  /**
   * A VPC to run the function in: it calls the exchange, so it leaves through the stack's fixed
   * egress when there is one (see BotfolioFunction `vpc`). @default - none
   */
  readonly vpc?: ec2.IVpc;
}

export class Reconcile extends Construct {
  readonly function: BotfolioFunction;
  readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: ReconcileProps) {
    super(scope, id);
    const interval = props.interval ?? Duration.minutes(10);
    this.function = new BotfolioFunction(this, 'Function', {
      entry: props.entry,
      description:
        'Botfolio reconciliation: settles open transfers, applies missed ones, checks the books',
      portfolioId: props.portfolioId,
      configFile: props.configFile,
      timeout: props.timeout ?? Duration.minutes(2),
      // A failed run is not retried late: the next scheduled one does the same work.
      retryAttempts: 0,
      environment: { STATE_MACHINE_ARN: props.stateMachine.stateMachineArn },
      vpc: props.vpc,
    });
    props.stateMachine.grantStartExecution(this.function);

    this.rule = new events.Rule(this, 'Schedule', {
      description: `Botfolio ${props.portfolioId}: reconciliation every ${interval.toHumanString()}`,
      schedule: events.Schedule.rate(interval),
      targets: [
        new targets.LambdaFunction(this.function, {
          retryAttempts: 2,
          maxEventAge: Duration.millis(interval.toMilliseconds()),
        }),
      ],
    });
  }
}
