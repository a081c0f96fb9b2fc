/**
 * The steps of the guarded-transfer workflow (DESIGN.md §4). Each step reads the journal entry
 * first and is idempotent: run twice, or after a crash, it does nothing the first run did not.
 * The state machine supplies retries and the failure path; these functions supply the decisions.
 *
 * At most once on the exchange: every call to the exchange is claimed in the journal first
 * (`claimSubmit`: attempt n, with a lease longer than any request can live), so no two calls for
 * one transfer are ever in flight together, and a call after the first is made only once the
 * previous one has returned (or its lease ran out) and a lookup by clientOid found no record. A
 * move to `failed` is conditional on no call being in flight, so nothing can land afterwards.
 */
import { alert } from '../core/alerts.ts';
import type { Config } from '../core/config.ts';
import {
  AuthenticationFailedError,
  BotLockedError,
  InsufficientFundsError,
  NotYetVisibleError,
  SubmitInFlightError,
  TransferRejectedError,
} from '../core/errors.ts';
import { METRIC_NAMES, type Metrics } from '../core/metrics.ts';
import { showMoney, toFloat } from '../core/money.ts';
import type {
  Alerter,
  Exchange,
  ExchangeAccount,
  ExchangeTransferRecord,
  Journal,
  JournalPatch,
  StateStore,
} from '../core/ports.ts';
import {
  isTerminal,
  type JournalEntry,
  type LedgerAccount,
  type TransferStatus,
} from '../core/transfer.ts';
import { type StepInput, type StepOutput, WORKFLOW_TIMEOUT_MINUTES } from '../core/workflow.ts';
import { claimFailure, entryFailures, freshFailures, releaseClaims } from './transfer-guards.ts';

export interface TransferStepDeps {
  readonly config: Config;
  readonly journal: Journal;
  readonly state: StateStore;
  readonly exchanges: ReadonlyMap<string, Exchange>;
  readonly alerter: Alerter;
  readonly metrics: Metrics;
  /** The clock of leases and delays (the journal's own timestamps come from the store's). */
  readonly now: () => Date;
}

/**
 * How long a claimed call to the exchange may be in flight. Longer than the step Lambda's timeout
 * (30 s) and than the window in which an exchange still accepts a signed request (Bitget refuses
 * one whose timestamp is 30 s old): once it has passed, the call's outcome is final and a lookup
 * by clientOid tells it.
 */
export const SUBMIT_LEASE_MS = 2 * 60_000;

const LOCK_TTL_MS = (WORKFLOW_TIMEOUT_MINUTES + 5) * 60_000;

/** The metric that counts a transfer ending in each terminal status. */
const OUTCOME_METRIC = {
  completed: METRIC_NAMES.transfersCompleted,
  failed: METRIC_NAMES.transfersFailed,
  rejected: METRIC_NAMES.transfersRejected,
  uncertain: METRIC_NAMES.transfersUncertain,
} as const;

/** The journal has no entry for an execution: a bug or a foreign start, never money to move. */
export class UnknownTransferError extends Error {
  constructor(id: string) {
    super(`no journal entry for transfer ${id}`);
    this.name = 'UnknownTransferError';
  }
}

/** The exchange says the transfer failed: nothing moved. */
export class TransferFailedOnExchangeError extends Error {
  constructor(id: string) {
    super(`the exchange reports transfer ${id} as failed`);
    this.name = 'TransferFailedOnExchangeError';
  }
}

/** Errors that are the exchange's (or a guard's) definite "no": that call moved nothing. */
const DEFINITE_FAILURES = new Set([
  InsufficientFundsError.name,
  TransferRejectedError.name,
  AuthenticationFailedError.name,
  TransferFailedOnExchangeError.name,
]);

/** The call claimed last may still be in flight at `at`. */
export const callInFlight = (e: JournalEntry, at: Date): boolean =>
  e.submitLeaseUntil !== undefined && e.submitLeaseUntil >= at.toISOString();

/** The shared moves of the steps and of reconciliation. */
export function transferBook(deps: TransferStepDeps) {
  const { config, journal, state } = deps;
  const botsById = new Map(config.bots.map((b) => [b.botId, b]));

  const entryOf = async (id: string): Promise<JournalEntry> => {
    const entry = await journal.get(id);
    if (!entry) throw new UnknownTransferError(id);
    return entry;
  };
  const exchangeOf = (entry: JournalEntry): Exchange => {
    const exchange = deps.exchanges.get(entry.exchange);
    if (!exchange) throw new TransferRejectedError(`no exchange adapter for "${entry.exchange}"`);
    return exchange;
  };
  const onExchange = (account: LedgerAccount): ExchangeAccount => {
    if (account.startsWith('reserve:')) return { kind: 'master' };
    const bot = botsById.get(account.slice('bot:'.length));
    if (!bot) throw new TransferRejectedError(`${account} is not a bot of this portfolio`);
    return { kind: 'sub', uid: bot.account };
  };

  /** Moves the entry to `completed` from submitted/uncertain, whoever gets there first. */
  const complete = async (entry: JournalEntry, record: ExchangeTransferRecord, note: string) => {
    const moved = await journal.transition(entry.id, ['submitted', 'uncertain'], 'completed', {
      exchangeTransferId: record.exchangeTransferId,
      note,
    });
    return moved ?? entryOf(entry.id);
  };

  /**
   * Ends a transfer that moved nothing (`rejected`, or `failed` once no call is in flight) and
   * gives its claims back, but only if the entry did end so: a refused move leaves them alone.
   */
  const endWithoutMoving = async (
    entry: JournalEntry,
    to: 'rejected' | 'failed',
    patch: JournalPatch,
  ): Promise<JournalEntry> => {
    const from: TransferStatus[] = to === 'rejected' ? ['planned', 'validated'] : [entry.status];
    const guard =
      to === 'failed'
        ? { noCallInFlight: { attempts: entry.submitAttempts, at: deps.now().toISOString() } }
        : {};
    const after =
      (await journal.transition(entry.id, from, to, patch, guard)) ?? (await entryOf(entry.id));
    if (after.status === 'rejected' || after.status === 'failed') await releaseClaims(state, after);
    return after;
  };

  /**
   * Settles a submitted (or uncertain) entry by the exchange's record: completed (and applied) if
   * it has it, failed if it says so, and otherwise `whenNoRecord` decides: failed when nothing can
   * have moved, uncertain when that cannot be known yet. A failed lookup leaves it uncertain.
   */
  const settleByLookup = async (
    entry: JournalEntry,
    why: string,
    whenNoRecord: 'failed' | 'uncertain',
    notes: { failed: string; uncertain: string },
  ): Promise<JournalEntry> => {
    const toUncertain = async (error: string) =>
      entry.status === 'submitted'
        ? ((await journal.transition(entry.id, ['submitted'], 'uncertain', {
            error,
            note: notes.uncertain,
          })) ?? (await entryOf(entry.id)))
        : entry;
    let record: ExchangeTransferRecord | undefined;
    try {
      record = await exchangeOf(entry).findTransfer(entry.clientOid);
    } catch (lookupError) {
      return toUncertain(`${why}; lookup by clientOid failed: ${String(lookupError)}`);
    }
    if (record?.status === 'completed') {
      const done = await complete(entry, record, `found completed on the exchange (${why})`);
      if (done.status === 'completed') await state.applyCompleted(done);
      return done;
    }
    if (record?.status === 'failed') {
      return endWithoutMoving(entry, 'failed', {
        error: why,
        note: 'the exchange reports it failed',
      });
    }
    if (record === undefined && whenNoRecord === 'failed' && !callInFlight(entry, deps.now())) {
      const ended = await endWithoutMoving(entry, 'failed', { error: why, note: notes.failed });
      if (ended.status === 'failed') return ended;
    }
    return toUncertain(why);
  };

  return { entryOf, exchangeOf, onExchange, complete, endWithoutMoving, settleByLookup };
}

export function makeTransferSteps(deps: TransferStepDeps) {
  const { config, journal, state } = deps;
  const book = transferBook(deps);
  const { entryOf, exchangeOf, onExchange } = book;
  const out = (entry: JournalEntry): StepOutput => ({ transferId: entry.id, status: entry.status });

  /** Refuses a transfer before submission: recorded `rejected`, and the state machine told. */
  const reject = async (entry: JournalEntry, error: string, note: string): Promise<never> => {
    await book.endWithoutMoving(entry, 'rejected', { error, note });
    throw new TransferRejectedError(error);
  };

  /**
   * Call `attempt`, claimed in the journal; its lease ends when it returns, whatever it says, and
   * an error it returned goes in the history. If that write fails the lease simply runs out: later
   * calls wait for it, never skip it.
   */
  const call = async (entry: JournalEntry, attempt: number): Promise<StepOutput> => {
    try {
      await exchangeOf(entry).transfer({
        clientOid: entry.clientOid,
        from: onExchange(entry.from),
        to: onExchange(entry.to),
        amount: entry.amount,
        currency: config.currency,
      });
    } catch (error) {
      const failure = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      await journal.endSubmit(entry.id, attempt, failure).catch(() => undefined);
      throw error;
    }
    await journal.endSubmit(entry.id, attempt).catch(() => undefined);
    return out(entry);
  };
  const lease = () => ({
    now: deps.now().toISOString(),
    leaseUntil: new Date(deps.now().getTime() + SUBMIT_LEASE_MS).toISOString(),
  });

  const steps = {
    /**
     * One transfer in flight per bot: the lock is owned by the transfer id (a restarted execution
     * of the same transfer takes it again). A lock left by a transfer that already ended is taken over.
     */
    async lock(id: string): Promise<StepOutput> {
      const entry = await entryOf(id);
      if (isTerminal(entry.status)) return out(entry);
      const { portfolioId, botId } = entry;
      if (await state.lockBot(portfolioId, botId, id, LOCK_TTL_MS)) return out(entry);
      const holder = (await state.lockHolders(portfolioId)).get(botId);
      if (holder !== undefined && holder !== id) {
        const held = await journal.get(holder);
        const over = held === undefined || isTerminal(held.status);
        if (over && (await state.takeOverLock(portfolioId, botId, holder, id, LOCK_TTL_MS))) {
          return out(entry);
        }
      }
      throw new BotLockedError(`bot ${botId} has another transfer in flight (${holder ?? '?'})`);
    },

    /** Checks every guard against fresh balances and claims the money; a refusal is `rejected`. */
    async validate(id: string): Promise<StepOutput> {
      const entry = await entryOf(id);
      if (entry.status !== 'planned') return out(entry);
      const failures = entryFailures(config, entry);
      if (failures.length === 0) {
        failures.push(...(await freshFailures(config, state, exchangeOf(entry), entry)));
      }
      if (failures.length > 0) await reject(entry, failures.join('; '), 'refused by the guards');
      const refused = await claimFailure(config, state, entry);
      if (refused !== undefined) await reject(entry, refused, 'refused by the guards');
      const moved = await journal.transition(id, ['planned'], 'validated', {
        note: 'guards passed; source money held, counted in the day’s total',
      });
      return out(moved ?? (await entryOf(id)));
    },

    /**
     * Submits with clientOid = transfer id. A later attempt (a retry, or another execution) first
     * waits for the previous call's lease, then asks the exchange, and calls again only if it has
     * no record of the transfer.
     */
    async submit(id: string): Promise<StepOutput> {
      let entry = await entryOf(id);
      if (entry.status === 'validated') {
        const claimed = await journal.claimSubmit(id, {
          attempt: 1,
          ...lease(),
          note: 'sent to the exchange (attempt 1)',
        });
        if (claimed) return call(claimed, 1);
        entry = await entryOf(id);
      }
      if (entry.status !== 'submitted') return out(entry);
      if (callInFlight(entry, deps.now())) {
        throw new SubmitInFlightError(
          `transfer ${id}: attempt ${entry.submitAttempts} may be in flight until ${entry.submitLeaseUntil}`,
        );
      }
      if (await exchangeOf(entry).findTransfer(entry.clientOid)) return out(entry);
      const attempt = entry.submitAttempts + 1;
      const claimed = await journal.claimSubmit(id, {
        attempt,
        ...lease(),
        note: `no record on the exchange after attempt ${entry.submitAttempts}: sent again (attempt ${attempt})`,
      });
      if (claimed) return call(claimed, attempt);
      const now = await entryOf(id);
      if (now.status !== 'submitted') return out(now);
      throw new SubmitInFlightError(`transfer ${id}: another call was claimed meanwhile`);
    },

    /** Confirms on the exchange, by clientOid, and records `completed`: the transition that counts. */
    async verify(id: string): Promise<StepOutput> {
      const entry = await entryOf(id);
      if (entry.status !== 'submitted' && entry.status !== 'uncertain') return out(entry);
      const record = await exchangeOf(entry).findTransfer(entry.clientOid);
      if (!record || record.status === 'pending')
        throw new NotYetVisibleError(`transfer ${id} not yet confirmed`);
      if (record.status === 'failed') throw new TransferFailedOnExchangeError(id);
      return out(await book.complete(entry, record, 'verified on the exchange'));
    },

    /** Applies a completed transfer to the reserves and the bot's books, exactly once. */
    async record(id: string): Promise<StepOutput> {
      const entry = await entryOf(id);
      if (entry.status === 'completed') await state.applyCompleted(entry);
      return out(entry);
    },

    /**
     * The failure path: decides what a caught error means for the money. Before submission
     * nothing moved (`rejected`); after it, the exchange's record decides; with no record, only a
     * definite refusal makes it `failed` — anything else is `uncertain`, for reconciliation.
     */
    async settle(id: string, error?: StepInput['error']): Promise<StepOutput> {
      const entry = await entryOf(id);
      const name = error?.Error ?? 'Error';
      const why = `${name}: ${error?.Cause ?? 'unknown'}`;
      if (entry.status === 'planned' || entry.status === 'validated') {
        return out(
          await book.endWithoutMoving(entry, 'rejected', {
            error: why,
            note: 'stopped before submission: nothing moved',
          }),
        );
      }
      if (entry.status === 'completed') {
        await state.applyCompleted(entry);
        return out(entry);
      }
      if (entry.status !== 'submitted') return out(entry);
      const settled = await book.settleByLookup(
        entry,
        why,
        DEFINITE_FAILURES.has(name) ? 'failed' : 'uncertain',
        {
          failed: 'refused by the exchange, no record of it: nothing moved',
          uncertain: 'outcome unknown: reconciliation will settle it',
        },
      );
      return out(settled);
    },

    async release(id: string): Promise<StepOutput> {
      const entry = await entryOf(id);
      await state.unlockBot(entry.portfolioId, entry.botId, id);
      return out(entry);
    },

    /** Tells the trader what happened: info on success, critical when money may be stuck. */
    async notify(id: string): Promise<StepOutput> {
      const entry = await entryOf(id);
      if (entry.status in OUTCOME_METRIC) {
        const amount = toFloat(entry.amount);
        deps.metrics.emit(entry.portfolioId, {
          [OUTCOME_METRIC[entry.status as keyof typeof OUTCOME_METRIC]]: 1,
          ...(entry.status === 'completed' &&
            entry.kind === 'harvest' && { [METRIC_NAMES.harvestedAmount]: amount }),
          ...(entry.status === 'completed' &&
            entry.kind === 'refill' && { [METRIC_NAMES.refilledAmount]: amount }),
        });
      }
      await announce(deps, entry);
      return out(entry);
    },
  };
  return steps;
}

/** The alert that tells how a transfer ended (or that its outcome is not known yet). */
export async function announce(
  deps: Pick<TransferStepDeps, 'alerter' | 'config'>,
  entry: JournalEntry,
): Promise<void> {
  const context = {
    portfolioId: entry.portfolioId,
    cycleId: entry.cycleId,
    transferId: entry.id,
    transferStatus: entry.status,
  };
  const what = `${entry.kind} of ${showMoney(entry.amount)} ${deps.config.currency} ${entry.from} → ${entry.to}`;
  if (entry.status === 'completed') {
    await deps.alerter.send(
      alert(entry.kind, `${what} completed (${entry.reason})`, entry.botId),
      context,
    );
  } else if (entry.status === 'failed' || entry.status === 'uncertain') {
    const detail =
      entry.status === 'failed'
        ? 'failed, nothing moved'
        : 'outcome unknown, reconciliation will settle it';
    await deps.alerter.send(
      alert('transfer_failed', `${what} ${detail}: ${entry.error ?? ''}`, entry.botId),
      context,
    );
  } else if (entry.status === 'rejected') {
    await deps.alerter.send(
      alert('transfer_rejected', `${what} refused: ${entry.error ?? ''}`, entry.botId),
      context,
    );
  }
}

export type TransferSteps = ReturnType<typeof makeTransferSteps>;

/** Runs the step a state machine Task asks for: the one entry point of the step Lambda and the local runner. */
export function runStep(steps: TransferSteps, input: StepInput): Promise<StepOutput> {
  if (input.step === 'settle') return steps.settle(input.transferId, input.error);
  return steps[input.step](input.transferId);
}
