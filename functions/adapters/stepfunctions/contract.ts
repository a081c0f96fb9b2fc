/**
 * The guarded-transfer state machine's contract between its CDK definition
 * (lib/transfer-workflow.ts), the step Lambda (handlers/transfer-step.ts) and the local runner
 * (local/workflow.ts): the Task states and the step each runs (state names are construct ids:
 * renaming one changes the deployed machine), what an execution is started with, and what a Task
 * sends the step function — Step Functions' own `{ Error, Cause }` for a caught error, turned into
 * the core's StepRequest here and nowhere else.
 */
import { type StepRequest, TRANSFER_STEPS, type TransferStep } from '../../core/workflow.ts';

/**
 * The machine's Task states and the step each runs, in order: the happy path runs Lock …
 * Notify; any error a forward step keeps raising is caught into Settle, then the lock is released
 * and the trader told on the failure path.
 */
export const TASK_STATES = {
  Lock: 'lock',
  Validate: 'validate',
  Submit: 'submit',
  Confirm: 'confirm',
  Apply: 'apply',
  Unlock: 'unlock',
  Notify: 'notify',
  Settle: 'settle',
  UnlockAfterSettle: 'unlock',
  NotifyAfterSettle: 'notify',
} as const satisfies Record<string, TransferStep>;

export type TaskStateName = keyof typeof TASK_STATES;

/** The execution's input: the journal entry's id (also the execution name and the clientOid). */
export interface TransferExecutionInput {
  readonly transferId: string;
}

/** What a Task state sends the step function. `error` is Step Functions' caught error, for Settle. */
export interface StepEvent {
  readonly step: TransferStep;
  readonly transferId: string;
  readonly error?: { readonly Error?: string; readonly Cause?: string };
}

/** A step event as the core's request; throws on anything that is not one (a foreign invoke). */
export function stepRequestOf(event: unknown): StepRequest {
  const e = event as Partial<StepEvent> | null | undefined;
  if (
    typeof e !== 'object' ||
    e === null ||
    !TRANSFER_STEPS.includes(e.step as TransferStep) ||
    typeof e.transferId !== 'string'
  ) {
    throw new Error(`not a transfer step event: ${JSON.stringify(event)}`);
  }
  const step = e.step as TransferStep;
  if (!e.error) return { step, transferId: e.transferId };
  return {
    step,
    transferId: e.transferId,
    error: { name: e.error.Error ?? 'Error', cause: e.error.Cause ?? 'unknown' },
  };
}
