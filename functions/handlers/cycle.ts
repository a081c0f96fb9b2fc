/** Lambda entry point of the monitoring cycle, on the EventBridge schedule. */
import { SFNClient } from '@aws-sdk/client-sfn';
import { StepFunctionsStarter } from '../adapters/stepfunctions/starter.ts';
import { METRIC_NAMES } from '../core/metrics.ts';
import { runCycle } from '../usecases/cycle.ts';
import { alerter, config, exchanges, metrics, stores } from './aws.ts';
import { requireEnv } from './env.ts';

const workflow = new StepFunctionsStarter(new SFNClient({}), requireEnv('STATE_MACHINE_ARN'));

/** An EventBridge scheduled event: its `time` is the slot, the same on every retry of the invocation. */
interface ScheduledEvent {
  readonly time?: string;
}

export async function handler(event: ScheduledEvent) {
  const at = event?.time ? new Date(event.time) : new Date();
  if (Number.isNaN(at.getTime()))
    throw new Error(`scheduled event with an invalid time: ${JSON.stringify(event.time)}`);
  const started = Date.now();
  const result = await runCycle({ config, ...stores, exchanges, workflow, alerter, metrics }, at);
  const durationMs = Date.now() - started;
  metrics.emit(config.portfolioId, { [METRIC_NAMES.cycleDuration]: durationMs });
  console.log(
    JSON.stringify({
      level: 'info',
      message: 'cycle done',
      cycleId: result.cycleId,
      mode: result.plan.mode,
      transfers: result.entries.length,
      restarted: result.restarted,
      durationMs,
    }),
  );
  return {
    cycleId: result.cycleId,
    mode: result.plan.mode,
    transfers: result.entries.map((e) => e.id),
  };
}
