/**
 * The monitoring cycle (DESIGN.md §2): an EventBridge schedule at the config's check interval runs
 * the cycle function, which reads balances, plans, records, starts one transfer workflow per planned
 * transfer, alerts and emits metrics.
 */
import { Annotations, Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { Construct } from 'constructs';
import { checkIntervalProblem, formatDuration } from '../functions/core/duration.ts';
import { METRIC_NAMES, type MetricName } from '../functions/core/metrics.ts';
import { formatProblem, type Problem } from '../functions/core/problems.ts';
import { portfolioMetric } from './portfolio-metric.ts';
import { ScheduledFunction, type ScheduledFunctionProps } from './scheduled-function.ts';

const MINUTE_MS = 60_000;

export interface CycleProps
  extends Omit<
    ScheduledFunctionProps,
    'description' | 'interval' | 'scheduleDescription' | 'memorySize'
  > {
  /** The config's `monitoring.check_interval`: whole minutes, at least one (EventBridge's grain). */
  readonly checkIntervalMs: number;
  /** @default 1024 — a cycle reads many sub-accounts and runs the policy engine */
  readonly memorySize?: number;
}

/**
 * The cycle function (child `Function`) on its schedule (child `Schedule`), and the portfolio
 * metrics it emits: the gauges each cycle measures, and its duration.
 */
export class Cycle extends ScheduledFunction {
  private readonly portfolioId: string;

  constructor(scope: Construct, id: string, props: CycleProps) {
    const { checkIntervalMs, ...rest } = props;
    // Rounded up so the stack still builds and reports the interval as an error (below), which
    // stops a deploy.
    const interval = Duration.minutes(Math.max(1, Math.ceil(checkIntervalMs / MINUTE_MS)));
    super(scope, id, {
      ...rest,
      description: 'Botfolio monitoring cycle: balances, plan, journal, transfers, alerts, metrics',
      interval,
      scheduleDescription: `Botfolio ${props.portfolioId}: one monitoring cycle every ${formatDuration(checkIntervalMs)}`,
      memorySize: props.memorySize ?? 1024,
    });
    this.portfolioId = props.portfolioId;
    for (const p of scheduleProblems(checkIntervalMs)) {
      Annotations.of(this).addError(formatProblem(p).trim());
    }
  }

  /** Σ bot balances + Σ reserves, in the portfolio currency. @default average over 5 minutes */
  metricEquity(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.gauge(METRIC_NAMES.equity, props);
  }

  /** Σ reserves (emergency and pools), in the portfolio currency. @default average over 5 minutes */
  metricReserveTotal(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.gauge(METRIC_NAMES.reserveTotal, props);
  }

  /** Σ balance / Σ capital base of the funded bots (1 = all capital intact). @default average over 5 minutes */
  metricDeployedRatio(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.gauge(METRIC_NAMES.deployedRatio, props);
  }

  /** A cycle's wall-clock duration, in milliseconds. @default average over 5 minutes */
  metricCycleDuration(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.gauge(METRIC_NAMES.cycleDuration, props);
  }

  /**
   * Cycles that ran to their end: each one emits its duration once, as its last act, so the
   * duration's sample count is the count of completed cycles (the dead man's switch's metric).
   * @default sample count over 5 minutes
   */
  metricCyclesCompleted(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(METRIC_NAMES.cycleDuration, cloudwatch.Stats.SAMPLE_COUNT, props);
  }

  /**
   * Failed exchange calls of the portfolio. Here because the cycle makes most of them (every
   * balance, every interval). Nothing emits it yet: the graph stays empty until an exchange
   * adapter counts its failures. @default sum over 5 minutes
   */
  metricExchangeErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(METRIC_NAMES.exchangeErrors, cloudwatch.Stats.SUM, props);
  }

  /**
   * How many monitored bots have `status` (DESIGN.md §11), as the last cycle judged them; not
   * emitted by a portfolio without monitored bots. @default average over 5 minutes
   */
  metricBots(
    status: 'running' | 'stale' | 'stopped' | 'error',
    props?: cloudwatch.MetricOptions,
  ): cloudwatch.Metric {
    const names = {
      running: METRIC_NAMES.botsRunning,
      stale: METRIC_NAMES.botsStale,
      stopped: METRIC_NAMES.botsStopped,
      error: METRIC_NAMES.botsError,
    } as const;
    return this.gauge(names[status], props);
  }

  private gauge(name: MetricName, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(name, cloudwatch.Stats.AVERAGE, props);
  }

  private metric(
    name: MetricName,
    statistic: string,
    props?: cloudwatch.MetricOptions,
  ): cloudwatch.Metric {
    return portfolioMetric(this.portfolioId, name, statistic, props);
  }
}

/**
 * A check interval the schedule cannot run: the one rule of `checkIntervalProblem`, which the
 * config schema applies too — locally and at synth alike.
 */
export function scheduleProblems(checkIntervalMs: number): Problem[] {
  const problem = checkIntervalProblem(checkIntervalMs);
  if (problem === undefined) return [];
  return [
    { path: 'monitoring.check_interval', value: formatDuration(checkIntervalMs), message: problem },
  ];
}
