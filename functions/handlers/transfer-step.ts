/** Lambda entry point of every step of the guarded-transfer state machine: check the event, run the step. */
import { type StepEvent, stepRequestOf } from '../adapters/stepfunctions/contract.ts';
import type { StepResult } from '../core/workflow.ts';
import { makeTransferSteps, runStep } from '../usecases/transfer-steps.ts';
import { alerter, config, exchanges, metrics, stores } from './aws.ts';

const steps = makeTransferSteps({
  config,
  ...stores,
  exchanges,
  alerter,
  metrics,
  now: () => new Date(),
});

export async function handler(event: StepEvent): Promise<StepResult> {
  const request = stepRequestOf(event);
  console.log(
    JSON.stringify({
      level: 'info',
      message: 'transfer step',
      step: request.step,
      transferId: request.transferId,
    }),
  );
  return runStep(steps, request);
}
