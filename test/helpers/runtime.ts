/** A local runtime for tests: the spec portfolio, embedded store, paper exchange, synthesized workflow. */
import type { FaultPlan } from '../../functions/adapters/paper/faults.ts';
import type { Alert } from '../../functions/core/alerts.ts';
import type { Config } from '../../functions/core/config.ts';
import type { MetricName } from '../../functions/core/metrics.ts';
import { type LocalRuntime, startLocalRuntime } from '../../functions/local/runtime.ts';
import { specConfig } from '../core/fixtures.ts';

export const T0 = new Date('2026-11-20T12:00:00Z');
export const FIFTEEN_MINUTES = 15 * 60_000;
export const cycleAt = (n: number) => new Date(T0.getTime() + n * FIFTEEN_MINUTES);

export interface TestRuntime extends LocalRuntime {
  readonly alerts: Alert[];
  /** Every metrics emit, in order. */
  readonly metricsEmitted: Partial<Record<MetricName, number>>[];
}

export async function testRuntime(
  opts: { config?: Config; faults?: FaultPlan } = {},
): Promise<TestRuntime> {
  const alerts: Alert[] = [];
  const metricsEmitted: Partial<Record<MetricName, number>>[] = [];
  const rt = await startLocalRuntime({
    metrics: { emit: (_, values) => metricsEmitted.push(values) },
    config: opts.config ?? specConfig(),
    ...(opts.faults && { faults: opts.faults }),
    retryIntervalMs: 0,
    now: () => T0,
    onAlert: (a) => alerts.push(a),
  });
  return Object.assign(rt, { alerts, metricsEmitted });
}
