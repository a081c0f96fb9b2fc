/**
 * A Botfolio metric of one portfolio as CloudWatch holds it (namespace and dimension from
 * functions/adapters/cloudwatch-metrics.ts, the same module the functions emit with): what the
 * constructs' `metric*()` methods return, so the dashboard and alarms never spell a metric name.
 */
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { METRIC_NAMESPACE, PORTFOLIO_DIMENSION } from '../functions/adapters/cloudwatch-metrics.ts';
import type { MetricName } from '../functions/core/metrics.ts';

/**
 * The metric `metricName` of portfolio `portfolioId`, read with `statistic` unless `props` says
 * otherwise (props override any field, as in CDK's own `metric*()` methods).
 */
export function portfolioMetric(
  portfolioId: string,
  metricName: MetricName,
  statistic: string,
  props: cloudwatch.MetricOptions = {},
): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRIC_NAMESPACE,
    metricName,
    dimensionsMap: { [PORTFOLIO_DIMENSION]: portfolioId },
    statistic,
    ...props,
  });
}
