/**
 * A task's retries waited as the deployed state machine waits them, on a run's clock. The fault
 * campaign's executions run in no time (the local workflow retries at once), so on a fake
 * exchange, whose limits are per second, a retry would meet in the same millisecond the limit
 * that refused it — OKX's two transfers per 2 s failed a third allocation six times over — which
 * no deployment does: Step Functions waits 2 s, 4 s, 8 s … before each. The longest wait of the
 * definition's full jitter is taken.
 */
import type { DeathPoint, StateMachineDefinition } from '../workflow.ts';

interface RetryRule {
  readonly IntervalSeconds?: number;
  readonly BackoffRate?: number;
  readonly MaxDelaySeconds?: number;
}

/**
 * Watches an execution's steps (the points a reaper sees) and calls `wait` with the delay the
 * definition puts before each retry: a step entered again right after it was entered and did not
 * finish, in the same execution.
 */
export function retryWaits(
  definition: StateMachineDefinition,
  wait: (ms: number) => void,
): (point: DeathPoint) => void {
  const states = definition.States as Readonly<
    Record<string, { readonly Retry?: readonly RetryRule[] }>
  >;
  const last = new Map<string, DeathPoint>();
  const streak = new Map<string, number>();
  return (p) => {
    const prev = last.get(p.transferId);
    last.set(p.transferId, p);
    if (p.when === 'after') return;
    const retry =
      prev?.when === 'before' && prev.state === p.state && p.entered === prev.entered + 1;
    const n = retry ? (streak.get(p.transferId) ?? 0) + 1 : 0;
    streak.set(p.transferId, n);
    const rule = states[p.state]?.Retry?.[0];
    if (n === 0 || !rule) return;
    const seconds = (rule.IntervalSeconds ?? 1) * (rule.BackoffRate ?? 2) ** (n - 1);
    wait(Math.min(seconds, rule.MaxDelaySeconds ?? Number.POSITIVE_INFINITY) * 1_000);
  };
}
