/** Lambda entry point of every step of the guarded-transfer state machine: check the event, run the step. */
import { type StepEvent, stepRequestOf } from '../adapters/stepfunctions/contract.ts';
import type { StepResult } from '../core/workflow.ts';
import { makeTransferSteps, runStep } from '../usecases/transfer-steps.ts';
import { alerter, config, exchanges, logger, metrics, stores } from './aws.ts';

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
  // Every line of this step carries its transfer and step, the breaker's included.
  logger.appendKeys({ transferId: request.transferId, step: request.step });
  try {
    logger.info('transfer step');
    const result = await runStep(steps, request);
    logger.info('transfer step done', { result });
    return result;
  } catch (error) {
    logger.warn('transfer step failed', {
      error: error instanceof Error ? error.name : String(error),
    });
    throw error;
  } finally {
    logger.removeKeys(['transferId', 'step']);
  }
}
