import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import {
  METRIC_NAMESPACE,
  PORTFOLIO_DIMENSION,
} from '../../functions/adapters/cloudwatch-metrics.ts';
import { METRIC_NAMES } from '../../functions/core/metrics.ts';
import { logicalIdOf, synthesize } from './support.ts';

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

  it('watch the cycle function, not the transfer steps whose retried errors are expected', () => {
    // Assess
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Errors',
      Dimensions: [
        { Name: 'FunctionName', Value: { Ref: logicalIdOf(stack, stack.cycle.function) } },
      ],
    });
    template.resourcePropertiesCountIs(
      'AWS::CloudWatch::Alarm',
      { MetricName: 'Errors', Dimensions: Match.anyValue() },
      1,
    );
  });
});
