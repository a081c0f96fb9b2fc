/** Lambda entry point of every step of the guarded-transfer state machine: check the event, run the step. */
import type { StepInput, StepOutput } from '../core/workflow.ts';
import { TRANSFER_STEPS } from '../core/workflow.ts';
import { makeTransferSteps, runStep } from '../usecases/transfer-steps.ts';
import { alerter, config, exchanges, metrics, store } from './aws.ts';

const steps = makeTransferSteps({
  config,
  journal: store,
  state: store,
  exchanges,
  alerter,
  metrics,
  now: () => new Date(),
});

export async function handler(event: StepInput): Promise<StepOutput> {
  if (!TRANSFER_STEPS.includes(event?.step) || typeof event.transferId !== 'string') {
    throw new Error(`not a transfer step event: ${JSON.stringify(event)}`);
  }
  console.log(
    JSON.stringify({
      level: 'info',
      message: 'transfer step',
      step: event.step,
      transferId: event.transferId,
    }),
  );
  return runStep(steps, event);
}
