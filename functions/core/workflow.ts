/**
 * The guarded-transfer workflow's contract between the state machine (lib/transfer-workflow.ts),
 * the step Lambda (handlers/transfer-step.ts) and the local runner: the steps, the state each one
 * runs in (state names are construct ids: renaming one changes the deployed machine), and what a
 * step receives.
 */

export const TRANSFER_STEPS = [
  'lock',
  'validate',
  'submit',
  'verify',
  'record',
  'settle',
  'release',
  'notify',
] as const;
export type TransferStep = (typeof TRANSFER_STEPS)[number];

/**
 * The machine's Task states (construct ids) and the step each runs, in order. The happy path runs
 * LockBot … SendAlert; any error caught on the way goes to SettleFailure, which records the outcome,
 * then the lock is released and the alert sent on the failure path.
 */
export const TASK_STATES = {
  LockBot: 'lock',
  ValidateGuards: 'validate',
  SubmitTransfer: 'submit',
  VerifyOnExchange: 'verify',
  RecordCompleted: 'record',
  ReleaseLock: 'release',
  SendAlert: 'notify',
  SettleFailure: 'settle',
  ReleaseLockAfterFailure: 'release',
  SendFailureAlert: 'notify',
} as const satisfies Record<string, TransferStep>;

/** The execution's input: the journal entry's id (also the execution name and the clientOid). */
export interface TransferExecutionInput {
  readonly transferId: string;
}

/** What a step Lambda receives. `error` is the caught error, for `settle`. */
export interface StepInput {
  readonly step: TransferStep;
  readonly transferId: string;
  readonly error?: { readonly Error?: string; readonly Cause?: string };
}

/** What a step returns (kept small: it travels through the execution's history). */
export interface StepOutput {
  readonly transferId: string;
  readonly status: string;
}

/** The machine gives up after this long; reconciliation settles what it left. */
export const WORKFLOW_TIMEOUT_MINUTES = 30;
