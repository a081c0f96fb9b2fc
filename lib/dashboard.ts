/**
 * What an operator looks at (DESIGN.md §9): a CloudWatch dashboard of the portfolio's metrics and
 * of the stack's own health, and alarms into the alert topic for what needs a person.
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { METRIC_NAMESPACE, PORTFOLIO_DIMENSION } from '../functions/adapters/cloudwatch-metrics.ts';
import { METRIC_NAMES, type MetricName } from '../functions/core/metrics.ts';

export interface BotfolioDashboardProps {
  readonly portfolioId: string;
  /** The cycle's period: gauges (equity, reserves, ratio) are read at this grain. */
  readonly checkIntervalMs: number;
  readonly cycleFunction: lambda.IFunction;
  readonly stepFunction: lambda.IFunction;
  readonly stateMachine: sfn.IStateMachine;
  /** Where the alarms notify. */
  readonly alertTopic: sns.ITopic;
}

/** Flows (amounts, counts) are summed per hour on the dashboard. */
const FLOW_PERIOD = Duration.hours(1);
/** Alarms look at five-minute windows. */
const ALARM_PERIOD = Duration.minutes(5);

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
    const gaugePeriod = Duration.millis(Math.max(props.checkIntervalMs, 60_000));
    const metric = (
      metricName: MetricName,
      statistic: string,
      period: Duration,
      label?: string,
    ): cloudwatch.Metric =>
      new cloudwatch.Metric({
        namespace: METRIC_NAMESPACE,
        metricName,
        dimensionsMap: { [PORTFOLIO_DIMENSION]: props.portfolioId },
        statistic,
        period,
        label,
      });
    const gauge = (name: MetricName, label?: string) =>
      metric(name, cloudwatch.Stats.AVERAGE, gaugePeriod, label);
    const flow = (name: MetricName, label?: string) =>
      metric(name, cloudwatch.Stats.SUM, FLOW_PERIOD, label);

    const graph = (title: string, left: cloudwatch.IMetric[], extra = {}) =>
      new cloudwatch.GraphWidget({ title, left, width: 8, height: 6, ...extra });

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.days(7),
      widgets: [
        [
          graph('Portfolio equity and reserves', [
            gauge(METRIC_NAMES.equity, 'equity'),
            gauge(METRIC_NAMES.reserveTotal, 'reserves'),
          ]),
          graph('Deployed ratio (Σ balance / Σ capital base)', [
            gauge(METRIC_NAMES.deployedRatio, 'deployed ratio'),
          ]),
          graph('Harvested and refilled (per hour)', [
            flow(METRIC_NAMES.harvestedAmount, 'harvested'),
            flow(METRIC_NAMES.refilledAmount, 'refilled'),
          ]),
        ],
        [
          graph(
            'Transfers by outcome (per hour)',
            [
              flow(METRIC_NAMES.transfersCompleted, 'completed'),
              flow(METRIC_NAMES.transfersFailed, 'failed'),
              flow(METRIC_NAMES.transfersRejected, 'rejected'),
              flow(METRIC_NAMES.transfersUncertain, 'uncertain'),
            ],
            { stacked: true },
          ),
          graph('Exchange errors (per hour)', [flow(METRIC_NAMES.exchangeErrors, 'errors')]),
          graph('Cycle duration (ms)', [
            metric(METRIC_NAMES.cycleDuration, cloudwatch.Stats.AVERAGE, gaugePeriod, 'average'),
            metric(METRIC_NAMES.cycleDuration, cloudwatch.Stats.MAXIMUM, gaugePeriod, 'maximum'),
          ]),
        ],
        [
          graph('Transfer workflows', [
            props.stateMachine.metricSucceeded({ period: FLOW_PERIOD, label: 'succeeded' }),
            props.stateMachine.metricFailed({ period: FLOW_PERIOD, label: 'failed' }),
            props.stateMachine.metricTimedOut({ period: FLOW_PERIOD, label: 'timed out' }),
          ]),
          graph('Function errors', [
            props.cycleFunction.metricErrors({ period: FLOW_PERIOD, label: 'cycle' }),
            props.stepFunction.metricErrors({ period: FLOW_PERIOD, label: 'transfer steps' }),
          ]),
          graph('Function duration (ms, max)', [
            props.cycleFunction.metricDuration({
              period: FLOW_PERIOD,
              statistic: cloudwatch.Stats.MAXIMUM,
              label: 'cycle',
            }),
            props.stepFunction.metricDuration({
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
      metric(METRIC_NAMES.transfersFailed, cloudwatch.Stats.SUM, ALARM_PERIOD),
    );
    this.cycleErrorsAlarm = alarm(
      'CycleErrorsAlarm',
      'the monitoring cycle failed',
      props.cycleFunction.metricErrors({ period: ALARM_PERIOD, statistic: cloudwatch.Stats.SUM }),
    );
    this.executionsFailedAlarm = alarm(
      'ExecutionsFailedAlarm',
      'a transfer workflow failed: a step kept failing, the transfer may be half-settled',
      props.stateMachine.metricFailed({ period: ALARM_PERIOD, statistic: cloudwatch.Stats.SUM }),
    );
    this.executionsTimedOutAlarm = alarm(
      'ExecutionsTimedOutAlarm',
      'a transfer workflow timed out: reconciliation will settle it',
      props.stateMachine.metricTimedOut({ period: ALARM_PERIOD, statistic: cloudwatch.Stats.SUM }),
    );
  }
}
