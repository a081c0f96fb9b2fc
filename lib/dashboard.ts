/**
 * What an operator looks at (DESIGN.md §9): a CloudWatch dashboard of the portfolio's metrics and
 * of the stack's own health, and alarms into the alert topic for what needs a person.
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { Alerts } from './alerts.ts';
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
  /** The scheduled reconciliation's function: its errors page a person. */
  readonly reconcileFunction: lambda.IFunction;
  /** Where the alarms notify. */
  readonly alertTopic: sns.ITopic;
  /** The alert channels' deliveries and failures (graphed even before a channel is configured). */
  readonly alerts: Pick<Alerts, 'metricChannelDeliveries' | 'metricChannelFailures'>;
}

/** Flows (amounts, counts) are summed per hour on the dashboard. */
const FLOW_PERIOD = Duration.hours(1);
/** Alarms look at five-minute windows. */
const ALARM_PERIOD = Duration.minutes(5);
/** CloudWatch evaluates an alarm over one day at most (periods × evaluation periods). */
const MAX_ALARM_WINDOW_MS = Duration.days(1).toMilliseconds();

/** What the alarms watch (`alarms`); each one's construct id is `<Name>Alarm`, e.g. CycleErrorsAlarm. */
export type AlarmName =
  | 'transfersFailed'
  | 'cycleErrors'
  | 'executionsFailed'
  | 'executionsTimedOut'
  | 'reconcileErrors'
  | 'executionsThrottled'
  | 'stepThrottles'
  | 'noCycle';

/** The portfolio's dashboard and the alarms that page a person, all read from the constructs. */
export class BotfolioDashboard extends Construct {
  readonly dashboard: cloudwatch.Dashboard;
  /**
   * The alarms that page a person, into the alert topic, by what they watch: a transfer failed;
   * the cycle or the reconciliation threw; a transfer workflow failed (a step kept failing) or
   * ran out of time; Step Functions throttled its starts, or Lambda the step function; and the
   * dead man's switch, no cycle completed in two check intervals.
   */
  readonly alarms: Readonly<Record<AlarmName, cloudwatch.Alarm>>;

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
            'Monitored bots by health (money goes only into running ones)',
            (['running', 'stale', 'stopped', 'error'] as const).map((status) =>
              cycle.metricBots(status, { ...gauge, label: status }),
            ),
            { stacked: true, width: 24 },
          ),
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
        [
          graph('Alert channels (per hour)', [
            props.alerts.metricChannelDeliveries(flow('delivered')),
            props.alerts.metricChannelFailures(flow('failed')),
          ]),
        ],
      ],
    });

    const sum = { period: ALARM_PERIOD, statistic: cloudwatch.Stats.SUM };
    const anyOf: Record<Exclude<AlarmName, 'noCycle'>, [string, cloudwatch.IMetric]> = {
      transfersFailed: [
        'a transfer failed (see the journal: botfolio transfers)',
        workflow.metricTransfers('failed', { period: ALARM_PERIOD }),
      ],
      cycleErrors: ['the monitoring cycle failed', cycleFunction.metricErrors(sum)],
      executionsFailed: [
        'a transfer workflow failed: a step kept failing, the transfer may be half-settled',
        stateMachine.metricFailed(sum),
      ],
      executionsTimedOut: [
        'a transfer workflow timed out: reconciliation will settle it',
        stateMachine.metricTimedOut(sum),
      ],
      reconcileErrors: [
        'the reconciliation failed: open transfers are not settled and the books are not checked',
        props.reconcileFunction.metricErrors(sum),
      ],
      executionsThrottled: [
        'Step Functions throttled transfer workflows: planned transfers wait for the next cycle',
        stateMachine.metricThrottled(sum),
      ],
      stepThrottles: [
        'Lambda throttled the transfer step function: transfers are retried, or settled on the failure path',
        stepFunction.metricThrottles(sum),
      ],
    };
    const alarms = Object.fromEntries(
      Object.entries(anyOf).map(([name, [description, metric]]) => [
        name,
        this.pageOn(props, name, description, {
          metric,
          threshold: 0,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      ]),
    ) as Record<Exclude<AlarmName, 'noCycle'>, cloudwatch.Alarm>;
    this.alarms = { ...alarms, noCycle: this.deadMansSwitch(props) };
  }

  /** An alarm `<Name>Alarm` (construct id, as before) into the alert topic. */
  private pageOn(
    props: BotfolioDashboardProps,
    name: string,
    description: string,
    alarmProps: Omit<cloudwatch.AlarmProps, 'alarmDescription'>,
  ): cloudwatch.Alarm {
    const id = `${name.charAt(0).toUpperCase()}${name.slice(1)}Alarm`;
    const a = new cloudwatch.Alarm(this, id, {
      alarmDescription: `Botfolio ${props.portfolioId}: ${description}`,
      ...alarmProps,
    });
    a.addAlarmAction(new actions.SnsAction(props.alertTopic));
    return a;
  }

  /**
   * No cycle completed in two check intervals: the schedule stopped, every cycle fails, or the
   * function cannot start. Missing data is breaching — silence is exactly what it watches for.
   * One period per interval, two of them empty raise it (a day at most, CloudWatch's limit: a
   * longer interval is watched over its last day in two halves).
   */
  private deadMansSwitch(props: BotfolioDashboardProps): cloudwatch.Alarm {
    const intervalMs = Math.max(props.checkIntervalMs, 60_000);
    const periodMs = Math.min(intervalMs, MAX_ALARM_WINDOW_MS / 2);
    return this.pageOn(
      props,
      'noCycle',
      "no monitoring cycle completed in two check intervals (nothing is watched or moved; see the cycle function's logs)",
      {
        metric: props.cycle.metricCyclesCompleted({ period: Duration.millis(periodMs) }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        evaluationPeriods: 2,
        datapointsToAlarm: 2,
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      },
    );
  }
}
