/**
 * Metrics as CloudWatch Embedded Metric Format: one JSON log line per emit, which CloudWatch turns
 * into metrics from the function's log group — no PutMetricData call on the cycle's path.
 */
import type { MetricName, Metrics } from '../core/metrics.ts';
import { METRIC_NAMESPACE, PORTFOLIO_DIMENSION, unitOf } from './cloudwatch-metrics.ts';

/** Writes each emit as one EMF line (to stdout, which Lambda sends to the function's log group). */
export class EmfMetrics implements Metrics {
  constructor(
    private readonly write: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
  ) {}

  emit(portfolioId: string, values: Partial<Record<MetricName, number>>): void {
    const names = (Object.keys(values) as MetricName[]).filter((n) => Number.isFinite(values[n]));
    if (names.length === 0) return;
    this.write(
      JSON.stringify({
        _aws: {
          Timestamp: Date.now(),
          CloudWatchMetrics: [
            {
              Namespace: METRIC_NAMESPACE,
              Dimensions: [[PORTFOLIO_DIMENSION]],
              Metrics: names.map((Name) => ({ Name, Unit: unitOf(Name) })),
            },
          ],
        },
        [PORTFOLIO_DIMENSION]: portfolioId,
        ...Object.fromEntries(names.map((n) => [n, values[n]])),
      }),
    );
  }
}
