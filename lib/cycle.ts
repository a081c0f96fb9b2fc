/**
 * The monitoring cycle (DESIGN.md §2): an EventBridge schedule at the config's check interval runs
 * the cycle function, which reads balances, plans, records, starts one transfer workflow per planned
 * transfer, alerts and emits metrics.
 */
import { Annotations, Duration } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { formatProblem, type Problem } from '../functions/core/config.ts';
import { formatDuration } from '../functions/core/duration.ts';
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

/** The cycle function (child `Function`) on its schedule (child `Schedule`). */
export class Cycle extends ScheduledFunction {
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
    for (const p of scheduleProblems(checkIntervalMs)) {
      Annotations.of(this).addError(formatProblem(p).trim());
    }
  }
}

/**
 * What makes a check interval impossible on AWS: EventBridge schedules count in whole minutes.
 * (Local mode runs any interval, so the config schema accepts seconds.)
 */
export function scheduleProblems(checkIntervalMs: number): Problem[] {
  if (checkIntervalMs >= MINUTE_MS && checkIntervalMs % MINUTE_MS === 0) return [];
  return [
    {
      path: 'monitoring.check_interval',
      value: formatDuration(checkIntervalMs),
      message: 'expected whole minutes, at least "1m", for the AWS schedule',
    },
  ];
}
