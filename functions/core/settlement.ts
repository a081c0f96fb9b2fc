/**
 * How a transfer that did not finish cleanly is settled (DESIGN.md §4): the decisions of the
 * workflow's failure step and of reconciliation, as pure functions of the journal entry, the
 * clock and what the exchange said. The use cases carry them out; nothing here does I/O.
 *
 * The rule they rest on: every call to the exchange is claimed in the journal first, with a
 * lease longer than any request can live; an exchange keeps the record of a transfer it applied;
 * and a `failed` entry is never submitted again. So "no record" means "nothing moved, and nothing
 * ever will" only once no call can be in flight and the exchange has had time to show it.
 */
import {
  AuthenticationFailedError,
  InsufficientFundsError,
  TransferRejectedError,
} from './errors.ts';
import { type Money, showMoney } from './money.ts';
import {
  type ExchangeAccount,
  type ExchangeTransferRecord,
  sameAccount,
  showAccount,
} from './ports.ts';
import type { JournalEntry } from './transfer.ts';

const MINUTE = 60_000;

/** The transfer workflow gives up after this long; reconciliation settles what it left. */
export const WORKFLOW_TIMEOUT_MINUTES = 30;

/**
 * How long a claimed call to the exchange may be in flight. Longer than a step lives (30 s) and
 * than the window in which an exchange still accepts a signed request (Bitget refuses one whose
 * timestamp is 30 s old): once it has passed, the call's outcome is final and a lookup by
 * clientOid tells it.
 */
export const SUBMIT_LEASE_MS = 2 * MINUTE;
/** A bot's transfer lock outlives any workflow of the transfer holding it. */
export const LOCK_TTL_MS = (WORKFLOW_TIMEOUT_MINUTES + 5) * MINUTE;
/** A `planned` entry older than this is not started any more: its plan is stale. */
export const PLANNED_EXPIRY_MS = (WORKFLOW_TIMEOUT_MINUTES + 5) * MINUTE;
/** A `validated` or `submitted` entry untouched for this long has no workflow left. */
export const STUCK_AFTER_MS = (WORKFLOW_TIMEOUT_MINUTES + 5) * MINUTE;
/**
 * How long an uncertain transfer with no record on the exchange waits before it is `failed`:
 * longer than a call's lease and than an exchange takes to show a transfer it applied.
 */
export const SETTLE_DELAY_MS = 10 * MINUTE;

/** The exchange says the transfer failed: nothing moved. */
export class TransferFailedOnExchangeError extends Error {
  constructor(id: string) {
    super(`the exchange reports transfer ${id} as failed`);
    this.name = 'TransferFailedOnExchangeError';
  }
}

/** Errors that are the exchange's (or a guard's) definite "no": that call moved nothing. */
const DEFINITE_FAILURES: ReadonlySet<string> = new Set([
  InsufficientFundsError.name,
  TransferRejectedError.name,
  AuthenticationFailedError.name,
  TransferFailedOnExchangeError.name,
]);

/** The call claimed last may still be in flight at `at`. */
export const callInFlight = (e: JournalEntry, at: Date): boolean =>
  e.submitLeaseUntil !== undefined && e.submitLeaseUntil >= at.toISOString();

/** What a missing record on the exchange may mean for a settlement by lookup. */
export type WhenNoRecord = 'failed' | 'uncertain';

/** What the workflow's failure step does with an entry and the error that was caught. */
export type SettleDecision =
  | { readonly action: 'reject' }
  | { readonly action: 'apply' }
  | { readonly action: 'lookup'; readonly whenNoRecord: WhenNoRecord }
  | { readonly action: 'none' };

/**
 * Before submission nothing moved (`reject`); a completed entry is made sure to be in the ledger;
 * after submission the exchange's record decides, and with no record only a definite refusal may
 * make it `failed` — anything else stays `uncertain`, for reconciliation.
 */
export function settleDecision(
  entry: Pick<JournalEntry, 'status'>,
  errorName: string,
): SettleDecision {
  switch (entry.status) {
    case 'planned':
    case 'validated':
      return { action: 'reject' };
    case 'completed':
      return { action: 'apply' };
    case 'submitted':
      return {
        action: 'lookup',
        whenNoRecord: DEFINITE_FAILURES.has(errorName) ? 'failed' : 'uncertain',
      };
    default:
      return { action: 'none' };
  }
}

/** What the exchange answered to a lookup by clientOid. */
export type LookupAnswer =
  | { readonly found: 'completed' | 'failed' | 'pending' }
  | { readonly found: 'nothing' }
  | { readonly found: 'unknown' };

/** How a lookup settles an entry that was submitted. */
export type LookupOutcome = 'completed' | 'failed' | 'uncertain';

/**
 * Found completed → completed; found failed → failed; no record → failed only when the caller
 * allows it and no call can be in flight now; anything else (pending, a failed lookup) →
 * uncertain. (A `failed` move is also conditional in the journal: no call claimed since.)
 */
export function lookupOutcome(
  entry: JournalEntry,
  answer: LookupAnswer,
  whenNoRecord: WhenNoRecord,
  now: Date,
): LookupOutcome {
  if (answer.found === 'completed') return 'completed';
  if (answer.found === 'failed') return 'failed';
  if (answer.found === 'nothing' && whenNoRecord === 'failed' && !callInFlight(entry, now)) {
    return 'failed';
  }
  return 'uncertain';
}

/** What reconciliation does with one open entry. */
export type ReconcileDecision =
  | { readonly action: 'restart' }
  | { readonly action: 'expire'; readonly why: string }
  | { readonly action: 'wait'; readonly why: string }
  | { readonly action: 'lookup'; readonly why: string; readonly whenNoRecord: WhenNoRecord };

/**
 * - `planned`: started again while its plan is fresh; once older than PLANNED_EXPIRY_MS expired
 *   (`rejected`: nothing moved, the next cycle plans again on fresh balances).
 * - `validated`: nothing was sent (the move to `submitted` claims the first call). Quiet for
 *   longer than STUCK_AFTER_MS, its workflow is over: expired.
 * - `submitted` quiet for less than STUCK_AFTER_MS: its workflow may be running.
 * - `uncertain`, and `submitted` quiet for longer: looked up by clientOid; no record may make it
 *   `failed` only once it has been quiet for SETTLE_DELAY_MS.
 * Quiet means: since the last change, or the end of the last call's lease if later.
 */
export function reconcileDecision(entry: JournalEntry, now: Date): ReconcileDecision {
  const age = (iso: string) => now.getTime() - Date.parse(iso);
  const lease = entry.submitLeaseUntil;
  const quiet = age(lease && lease > entry.updatedAt ? lease : entry.updatedAt);
  switch (entry.status) {
    case 'planned':
      return age(entry.createdAt) < PLANNED_EXPIRY_MS
        ? { action: 'restart' }
        : { action: 'expire', why: `planned at ${entry.createdAt} and not run in time` };
    case 'validated':
      return quiet >= STUCK_AFTER_MS
        ? { action: 'expire', why: 'its workflow ended before submitting' }
        : { action: 'wait', why: 'its workflow may be running' };
    case 'submitted':
      if (quiet < STUCK_AFTER_MS) return { action: 'wait', why: 'its workflow may be running' };
      return {
        action: 'lookup',
        why: 'its workflow ended without an outcome',
        whenNoRecord: quiet >= SETTLE_DELAY_MS ? 'failed' : 'uncertain',
      };
    default:
      return {
        action: 'lookup',
        why: entry.error ?? 'outcome unknown',
        whenNoRecord: quiet >= SETTLE_DELAY_MS ? 'failed' : 'uncertain',
      };
  }
}

/** What a transfer asked of the exchange (its ends where they are known). */
export interface AskedTransfer {
  readonly amount: Money;
  readonly currency: string;
  readonly from?: ExchangeAccount;
  readonly to?: ExchangeAccount;
}

/**
 * Why the exchange's record of a completed transfer cannot complete its entry, or undefined when
 * it can (DESIGN.md §4, "What the exchange says is the ledger"). The entry is completed with the
 * record's amount, so a record that moved less than asked completes it with less; but one that
 * moved more than asked, or nothing, or another asset, or between other accounts, is no transfer
 * Botfolio made: booking it would put in the books money nobody meant to move. The settlement
 * leaves it uncertain, for an operator.
 */
export function unexpectedRecord(
  asked: AskedTransfer,
  record: ExchangeTransferRecord,
): string | undefined {
  const wrong: string[] = [];
  if (record.amount <= 0n) wrong.push(`it moved ${showMoney(record.amount)}`);
  if (record.amount > asked.amount) {
    wrong.push(
      `it moved ${showMoney(record.amount)}, more than the ${showMoney(asked.amount)} asked`,
    );
  }
  if (record.currency !== undefined && record.currency !== asked.currency) {
    wrong.push(`it moved ${record.currency}, not ${asked.currency}`);
  }
  for (const side of ['from', 'to'] as const) {
    const shown = record[side];
    const meant = asked[side];
    if (shown !== undefined && meant !== undefined && !sameAccount(shown, meant)) {
      wrong.push(`${side} ${showAccount(shown)}, not ${showAccount(meant)}`);
    }
  }
  return wrong.length === 0
    ? undefined
    : `the exchange's record is not the transfer asked: ${wrong.join('; ')}`;
}
