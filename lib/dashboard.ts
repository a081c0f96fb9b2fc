/**
 * What an operator looks at (DESIGN.md §9): a CloudWatch dashboard of the portfolio's metrics and
 * of the stack's own health, and alarms into the alert topic for what needs a person.
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { Cycle } from './cycle.ts';
import type { TransferWorkflow } from './transfer-workflow.ts';

export interface BotfolioDashboardProps {
  /** The portfolio, named in the alarms' descriptions. */
  readonly portfolioId: string;
  /** The cycle's period: gauges (equity, reserves, ratio) are read at this grain. */
  readonly checkIntervalMs: number;
  /** The monitoring cycle: the portfolio's gauges, its duration and errors. */
  readonly cycle: Cycle;
  /** The transfer workflow: transfers by outcome, amounts moved, executions, step errors. */
  readonly transferWorkflow: TransferWorkflow;
  /** Where the alarms notify. */
  readonly alertTopic: sns.ITopic;
}

/** Flows (amounts, counts) are summed per hour on the dashboard. */
const FLOW_PERIOD = Duration.hours(1);
/** Alarms look at five-minute windows. */
const ALARM_PERIOD = Duration.minutes(5);

/** The portfolio's dashboard and the alarms that page a person, all read from the constructs. */
export class BotfolioDashboard extends Construct {
  readonly dashboard: cloudwatch.Dashboard;
  /** A transfer ended `failed`. */
  readonly transfersFailedAlarm: cloudwatch.Alarm;
  /** The cycle function threw. */
  readonly cycleErrorsAlarm: cloudwatch.Alarm;
  /** A transfer workflow failed (a step kept failing) … */
  readonly executionsFailedAlarm: cloudwatch.Alarm;
  /** … or ran out of time (reconciliation settles what it left). */
  readonly executionsTimedOutAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: BotfolioDashboardProps) {
    super(scope, id);
    const { cycle, transferWorkflow: workflow } = props;
    const { stateMachine, stepFunction } = workflow;
    const cycleFunction = cycle.function;
    const gauge = { period: Duration.millis(Math.max(props.checkIntervalMs, 60_000)) };
    const flow = (label: string) => ({ period: FLOW_PERIOD, label });

    const graph = (title: string, left: cloudwatch.IMetric[], extra = {}) =>
      new cloudwatch.GraphWidget({ title, left, width: 8, height: 6, ...extra });

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.days(7),
      widgets: [
        [
          graph('Portfolio equity and reserves', [
            cycle.metricEquity({ ...gauge, label: 'equity' }),
            cycle.metricReserveTotal({ ...gauge, label: 'reserves' }),
          ]),
          graph('Deployed ratio (Σ balance / Σ capital base)', [
            cycle.metricDeployedRatio({ ...gauge, label: 'deployed ratio' }),
          ]),
          graph('Harvested and refilled (per hour)', [
            workflow.metricHarvestedAmount(flow('harvested')),
            workflow.metricRefilledAmount(flow('refilled')),
          ]),
        ],
        [
          graph(
            'Transfers by outcome (per hour)',
            [
              workflow.metricTransfers('completed', flow('completed')),
              workflow.metricTransfers('failed', flow('failed')),
              workflow.metricTransfers('rejected', flow('rejected')),
              workflow.metricTransfers('uncertain', flow('uncertain')),
            ],
            { stacked: true },
          ),
          graph('Exchange errors (per hour)', [cycle.metricExchangeErrors(flow('errors'))]),
          graph('Cycle duration (ms)', [
            cycle.metricCycleDuration({ ...gauge, label: 'average' }),
            cycle.metricCycleDuration({
              ...gauge,
              statistic: cloudwatch.Stats.MAXIMUM,
              label: 'maximum',
            }),
          ]),
        ],
        [
          graph('Transfer workflows', [
            stateMachine.metricSucceeded({ period: FLOW_PERIOD, label: 'succeeded' }),
            stateMachine.metricFailed({ period: FLOW_PERIOD, label: 'failed' }),
            stateMachine.metricTimedOut({ period: FLOW_PERIOD, label: 'timed out' }),
          ]),
          graph('Function errors', [
            cycleFunction.metricErrors({ period: FLOW_PERIOD, label: 'cycle' }),
            stepFunction.metricErrors({ period: FLOW_PERIOD, label: 'transfer steps' }),
          ]),
          graph('Function duration (ms, max)', [
            cycleFunction.metricDuration({
              period: FLOW_PERIOD,
              statistic: cloudwatch.Stats.MAXIMUM,
              label: 'cycle',
            }),
            stepFunction.metricDuration({
              period: FLOW_PERIOD,
              statistic: cloudwatch.Stats.MAXIMUM,
              label: 'transfer steps',
            }),
          ]),
        ],
      ],
    });

    const alarm = (alarmId: string, description: string, m: cloudwatch.IMetric) => {
      const a = new cloudwatch.Alarm(this, alarmId, {
        alarmDescription: `Botfolio ${props.portfolioId}: ${description}`,
        metric: m,
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      a.addAlarmAction(new actions.SnsAction(props.alertTopic));
      return a;
    };
    this.transfersFailedAlarm = alarm(
      'TransfersFailedAlarm',
      'a transfer failed (see the journal: botfolio transfers)',
      workflow.metricTransfers('failed', { period: ALARM_PERIOD }),
    );
    this.cycleErrorsAlarm = alarm(
      'CycleErrorsAlarm',
      'the monitoring cycle failed',
      cycleFunction.metricErrors({ period: ALARM_PERIOD, statistic: cloudwatch.Stats.SUM }),
    );
    this.executionsFailedAlarm = alarm(
      'ExecutionsFailedAlarm',
      'a transfer workflow failed: a step kept failing, the transfer may be half-settled',
      stateMachine.metricFailed({ period: ALARM_PERIOD, statistic: cloudwatch.Stats.SUM }),
    );
    this.executionsTimedOutAlarm = alarm(
      'ExecutionsTimedOutAlarm',
      'a transfer workflow timed out: reconciliation will settle it',
      stateMachine.metricTimedOut({ period: ALARM_PERIOD, statistic: cloudwatch.Stats.SUM }),
    );
  }
}
