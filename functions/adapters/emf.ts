/**
 * Metrics as CloudWatch Embedded Metric Format: one JSON log line per emit, which CloudWatch turns
 * into metrics from the function's log group — no PutMetricData call on the cycle's path. The
 * line is made by Powertools for AWS Lambda's Metrics (its EMF serialization, units and limits
 * checked), without its default `service` dimension: the one dimension is the portfolio, as the
 * dashboard and alarms read it (cloudwatch-metrics.ts).
 */
import { Metrics as PowertoolsMetrics } from '@aws-lambda-powertools/metrics';
import type { MetricName, Metrics } from '../core/metrics.ts';
import { METRIC_NAMESPACE, PORTFOLIO_DIMENSION, unitOf } from './cloudwatch-metrics.ts';

/** Writes each emit as one EMF line (to stdout, which Lambda sends to the function's log group). */
export class EmfMetrics implements Metrics {
  readonly #metrics = new PowertoolsMetrics({ namespace: METRIC_NAMESPACE });

  constructor(
    private readonly write: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
  ) {
    this.#metrics.clearDefaultDimensions();
  }

  emit(portfolioId: string, values: Partial<Record<MetricName, number>>): void {
    const names = (Object.keys(values) as MetricName[]).filter((n) => Number.isFinite(values[n]));
    if (names.length === 0) return;
    const metrics = this.#metrics;
    metrics.clearDimensions();
    metrics.addDimension(PORTFOLIO_DIMENSION, portfolioId);
    for (const name of names) metrics.addMetric(name, unitOf(name), values[name] ?? 0);
    const line = JSON.stringify(metrics.serializeMetrics());
    metrics.clearMetrics();
    this.write(line);
  }
}
