import { describe, expect, it } from 'vitest';
import {
  METRIC_NAMESPACE,
  PORTFOLIO_DIMENSION,
} from '../../functions/adapters/cloudwatch-metrics.ts';
import { METRIC_NAMES } from '../../functions/core/metrics.ts';
import { exampleConfigJson, logicalIdOf, synthesize } from './support.ts';

// Prepare (once for the file)
const { stack, template } = synthesize();
const topicId = logicalIdOf(stack, stack.alerts.topic);

/** The dashboard body with its intrinsics (region, function names) flattened to text. */
function dashboardBody(): string {
  const dashboards = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
  expect(dashboards).toHaveLength(1);
  const parts = dashboards[0]?.Properties.DashboardBody['Fn::Join'][1] as unknown[];
  return parts.map((p) => (typeof p === 'string' ? p : JSON.stringify(p))).join('');
}

describe('dashboard', () => {
  it.each(Object.values(METRIC_NAMES))('graphs %s of this portfolio', (name) => {
    // Assess
    expect(dashboardBody()).toContain(
      `["${METRIC_NAMESPACE}","${name}","${PORTFOLIO_DIMENSION}","main"`,
    );
  });

  it('graphs failed executions of the transfer workflow and the functions errors', () => {
    // Act
    const body = dashboardBody();
    // Assess
    expect(body).toContain('"AWS/States","ExecutionsFailed","StateMachineArn"');
    expect(body.match(/"AWS\/Lambda","Errors","FunctionName"/g)).toHaveLength(2);
  });
});

describe('metric methods', () => {
  it.each([
    ['the cycle equity', () => stack.cycle.metricEquity(), METRIC_NAMES.equity, 'Average'],
    [
      'the cycle duration',
      () => stack.cycle.metricCycleDuration(),
      METRIC_NAMES.cycleDuration,
      'Average',
    ],
    [
      'exchange errors',
      () => stack.cycle.metricExchangeErrors(),
      METRIC_NAMES.exchangeErrors,
      'Sum',
    ],
    [
      'uncertain transfers',
      () => stack.transferWorkflow.metricTransfers('uncertain'),
      METRIC_NAMES.transfersUncertain,
      'Sum',
    ],
    [
      'the harvested amount',
      () => stack.transferWorkflow.metricHarvestedAmount(),
      METRIC_NAMES.harvestedAmount,
      'Sum',
    ],
  ])('read %s where the functions emit it', (_what, metricOf, metricName, statistic) => {
    // Act
    const metric = metricOf();
    // Assess
    expect(metric).toMatchObject({
      namespace: METRIC_NAMESPACE,
      metricName,
      dimensions: { [PORTFOLIO_DIMENSION]: 'main' },
      statistic,
    });
  });

  it('let the caller choose period, statistic and label', () => {
    // Act
    const metric = stack.cycle.metricEquity({ statistic: 'Maximum', label: 'peak' });
    // Assess
    expect(metric).toMatchObject({ statistic: 'Maximum', label: 'peak' });
  });
});

describe('alarms', () => {
  it.each([
    ['failed transfers', { Namespace: METRIC_NAMESPACE, MetricName: METRIC_NAMES.transfersFailed }],
    ['cycle errors', { Namespace: 'AWS/Lambda', MetricName: 'Errors' }],
    ['failed executions', { Namespace: 'AWS/States', MetricName: 'ExecutionsFailed' }],
    ['timed-out executions', { Namespace: 'AWS/States', MetricName: 'ExecutionsTimedOut' }],
    ['throttled executions', { Namespace: 'AWS/States', MetricName: 'ExecutionThrottled' }],
    [
      'throttles of the transfer step function',
      {
        Namespace: 'AWS/Lambda',
        MetricName: 'Throttles',
        Dimensions: [
          { Name: 'FunctionName', Value: { Ref: logicalIdOf(stack, stack.transferStep) } },
        ],
      },
    ],
    [
      'reconcile errors',
      {
        Namespace: 'AWS/Lambda',
        MetricName: 'Errors',
        Dimensions: [
          { Name: 'FunctionName', Value: { Ref: logicalIdOf(stack, stack.reconcile.function) } },
        ],
      },
    ],
  ])('notify the alert topic of %s', (_what, metric) => {
    // Assess
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      ...metric,
      Statistic: 'Sum',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: topicId }],
    });
  });

  it('watch the cycle and reconcile functions’ errors, not the transfer steps’ whose retries are expected', () => {
    // Assess
    const watched = Object.values(
      template.findResources('AWS::CloudWatch::Alarm', { Properties: { MetricName: 'Errors' } }),
    ).map((a) => a.Properties.Dimensions);
    expect(watched).toEqual([
      [{ Name: 'FunctionName', Value: { Ref: logicalIdOf(stack, stack.cycle.function) } }],
      [{ Name: 'FunctionName', Value: { Ref: logicalIdOf(stack, stack.reconcile.function) } }],
    ]);
  });

  it('raise the dead man’s switch when no cycle completed in two check intervals, silence included', () => {
    // Assess
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: METRIC_NAMESPACE,
      MetricName: METRIC_NAMES.cycleDuration,
      Dimensions: [{ Name: PORTFOLIO_DIMENSION, Value: 'main' }],
      Statistic: 'SampleCount',
      Period: 15 * 60,
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
      AlarmActions: [{ Ref: topicId }],
    });
  });

  it.each([
    ['1h', 3600],
    ['1d', 12 * 3600],
  ])(
    'follow a check interval of %s in the dead man’s switch, within CloudWatch’s one day',
    (interval, period) => {
      // Prepare
      const configJson = { ...exampleConfigJson(), monitoring: { check_interval: interval } };
      // Act
      const { template: t } = synthesize({ configJson });
      // Assess
      t.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: METRIC_NAMES.cycleDuration,
        Statistic: 'SampleCount',
        Period: period,
        EvaluationPeriods: 2,
      });
    },
  );
});
