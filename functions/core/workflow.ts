/**
 * The guarded transfer's steps (DESIGN.md §4), one name each — the same in the workflow's
 * definition, the step function, the logs and the journal's notes. The happy path runs lock,
 * validate, submit, confirm, apply, unlock, notify; an error caught on the way goes to settle,
 * then unlock and notify on the failure path.
 */

export const TRANSFER_STEPS = [
  'lock',
  'validate',
  'submit',
  'confirm',
  'apply',
  'settle',
  'unlock',
  'notify',
] as const;
export type TransferStep = (typeof TRANSFER_STEPS)[number];

/** The error a forward step kept raising, as the failure path receives it. */
export interface CaughtError {
  /** The error's name (its class): what decides whether it was a definite refusal. */
  readonly name: string;
  readonly cause: string;
}

/** One step to run for one transfer. `error` is the caught error, for `settle`. */
export interface StepRequest {
  readonly step: TransferStep;
  readonly transferId: string;
  readonly error?: CaughtError;
}

/** What a step returns (kept small: it travels through the workflow's history). */
export interface StepResult {
  readonly transferId: string;
  readonly status: string;
}
