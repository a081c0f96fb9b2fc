/**
 * The steps of the guarded-transfer workflow (DESIGN.md §4). Each step reads the journal entry
 * first and is idempotent: run twice, or after a crash, it does nothing the first run did not.
 * The workflow supplies retries and the failure path; these functions supply the decisions.
 *
 * At most once on the exchange: every call to the exchange is claimed in the journal first
 * (`claimSubmit`: attempt n, with a lease longer than any request can live), so no two calls for
 * one transfer are ever in flight together, and a call after the first is made only once the
 * previous one has returned (or its lease ran out) and a lookup by clientOid found no record. A
 * move to `failed` is conditional on no call being in flight, so nothing can land afterwards.
 */
import { alert } from '../core/alerts.ts';
import {
  BotLockedError,
  NotYetVisibleError,
  SubmitInFlightError,
  TransferRejectedError,
} from '../core/errors.ts';
import {
  callInFlight,
  LOCK_TTL_MS,
  SUBMIT_LEASE_MS,
  settleDecision,
  TransferFailedOnExchangeError,
} from '../core/settlement.ts';
import { isTerminal, type JournalEntry } from '../core/transfer.ts';
import type { CaughtError, StepRequest, StepResult } from '../core/workflow.ts';
import { endTransfer } from './bot-plans.ts';
import { announce, countOutcome } from './transfer-alerts.ts';
import { claimFailure, guardsBeforeClaims } from './transfer-guards.ts';
import { type TransferDeps, transferSettlement } from './transfer-settlement.ts';

export function makeTransferSteps(deps: TransferDeps) {
  const { config, journal, ledger, locks } = deps;
  const settlement = transferSettlement(deps);
  const { entryOf, exchangeOf, onExchange, lookUp } = settlement;
  const out = (entry: JournalEntry): StepResult => ({ transferId: entry.id, status: entry.status });

  /** Refuses a transfer before submission: recorded `rejected`, and the state machine told. */
  const reject = async (entry: JournalEntry, error: string, note: string): Promise<never> => {
    await settlement.endWithoutMoving(entry, 'rejected', { error, note });
    throw new TransferRejectedError(error);
  };

  /**
   * Call `attempt`, claimed in the journal. A call that returned an error ends its lease, the
   * error in the history, so that a later attempt need not wait for it (if that write fails the
   * lease simply runs out: later calls wait for it, never skip it). A call that succeeded keeps
   * its lease until it runs out: nothing calls again after it — the next step confirms it — and
   * a move to `failed` stays barred meanwhile, which is as it should be after a success.
   */
  const call = async (entry: JournalEntry, attempt: number): Promise<StepResult> => {
    try {
      await exchangeOf(entry).transfer({
        clientOid: entry.clientOid,
        from: onExchange(entry, 'from'),
        to: onExchange(entry, 'to'),
        amount: entry.amount,
        currency: config.currency,
      });
    } catch (error) {
      const failure = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      await journal.endSubmit(entry.id, attempt, failure).catch(() => undefined);
      throw error;
    }
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
    async lock(id: string): Promise<StepResult> {
      const entry = await entryOf(id);
      if (isTerminal(entry.status)) return out(entry);
      // Bound to its accounts: a config that now maps the bot elsewhere stops it here.
      const changed = entry.status === 'planned' ? settlement.accountChange(entry) : undefined;
      if (changed !== undefined) {
        await deps.alerter.send(
          alert('account_changed', `transfer ${id} refused: ${changed}`, entry.botId),
          { portfolioId: entry.portfolioId, cycleId: entry.cycleId, transferId: id },
        );
        await reject(entry, `account changed: ${changed}`, 'refused: its accounts changed');
      }
      const { portfolioId, botId } = entry;
      if (await locks.lockBot(portfolioId, botId, id, LOCK_TTL_MS)) return out(entry);
      const holder = (await locks.lockHolders(portfolioId)).get(botId);
      if (holder !== undefined && holder !== id) {
        const held = await journal.get(holder);
        const over = held === undefined || isTerminal(held.status);
        if (over && (await locks.takeOverLock(portfolioId, botId, holder, id, LOCK_TTL_MS))) {
          return out(entry);
        }
        // Another cycle's transfer: a refusal, not a reason to wait (one plan per bot). A leg
        // of the same plan waits for the one before it.
        if (!over && held.cycleId !== entry.cycleId && entry.status === 'planned') {
          await reject(
            entry,
            `bot ${botId} is locked by transfer ${holder} of another cycle (${held.cycleId})`,
            'refused: another plan holds the bot',
          );
        }
      }
      throw new BotLockedError(`bot ${botId} has another transfer in flight (${holder ?? '?'})`);
    },

    /**
     * Checks every guard and re-checks the rule that planned the transfer on the bot as it is now
     * (DESIGN.md §4, "Still true when it runs"); a refusal is `rejected`. The move to `validated`
     * records the final amount (shrunk, never grown), and only then is the money claimed, by the
     * amount the journal holds: claims made first would, after a crash before the move, be held
     * for an amount a retry or a release no longer knows. So a `validated` entry's claims are
     * (re)made here — idempotent — before it may be submitted.
     */
    async validate(id: string): Promise<StepResult> {
      let entry = await entryOf(id);
      if (entry.status === 'planned') {
        const checked = await guardsBeforeClaims(deps, exchangeOf(entry), entry);
        if (!checked.ok) return reject(entry, checked.why, 'refused by the guards');
        const note = checked.note ? `guards passed; ${checked.note}` : 'guards passed';
        const patch = checked.amount === entry.amount ? { note } : { note, amount: checked.amount };
        entry =
          (await journal.transition(id, ['planned'], 'validated', patch)) ?? (await entryOf(id));
      }
      if (entry.status !== 'validated') return out(entry);
      const refused = await claimFailure(config, deps, entry, deps.now());
      if (refused !== undefined) await reject(entry, refused, 'refused by the guards');
      return out(entry);
    },

    /**
     * Submits with clientOid = transfer id. A later attempt (a retry, or another execution) first
     * waits for the previous call's lease, then asks the exchange, and calls again only if it has
     * no record of the transfer.
     */
    async submit(id: string): Promise<StepResult> {
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
      if (await lookUp(entry)) return out(entry);
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
    async confirm(id: string): Promise<StepResult> {
      const entry = await entryOf(id);
      if (entry.status !== 'submitted' && entry.status !== 'uncertain') return out(entry);
      const record = await lookUp(entry);
      if (!record || record.status === 'pending')
        throw new NotYetVisibleError(`transfer ${id} not yet confirmed`);
      if (record.status === 'failed') throw new TransferFailedOnExchangeError(id);
      return out(await settlement.complete(entry, record, 'verified on the exchange'));
    },

    /** Applies a completed transfer to the ledger (the reserves and the bot's), exactly once. */
    async apply(id: string): Promise<StepResult> {
      const entry = await entryOf(id);
      if (entry.status === 'completed') await ledger.applyCompleted(entry);
      return out(entry);
    },

    /**
     * The failure path: carries out what core/settlement.ts decides a caught error means for the
     * money — `rejected` before submission, the exchange's record after it.
     */
    async settle(id: string, error?: CaughtError): Promise<StepResult> {
      const entry = await entryOf(id);
      const name = error?.name ?? 'Error';
      const why = `${name}: ${error?.cause ?? 'unknown'}`;
      const decision = settleDecision(entry, name);
      switch (decision.action) {
        case 'reject':
          return out(
            await settlement.endWithoutMoving(entry, 'rejected', {
              error: why,
              note: 'stopped before submission: nothing moved',
            }),
          );
        case 'apply':
          await ledger.applyCompleted(entry);
          return out(entry);
        case 'lookup':
          return out(
            await settlement.settleByLookup(entry, why, decision.whenNoRecord, {
              failed: 'refused by the exchange, no record of it: nothing moved',
              uncertain: 'outcome unknown: reconciliation will settle it',
            }),
          );
        case 'none':
          return out(entry);
      }
    },

    /** Releases the bot's lock, and its plan once every transfer of the plan has ended. */
    async unlock(id: string): Promise<StepResult> {
      const entry = await entryOf(id);
      await endTransfer(
        deps,
        entry.portfolioId,
        entry.botId,
        { cycleId: entry.cycleId, transferId: id },
        deps.now(),
      );
      return out(entry);
    },

    /** Tells the trader what happened: info on success, critical when money may be stuck. */
    async notify(id: string): Promise<StepResult> {
      const entry = await entryOf(id);
      countOutcome(deps.metrics, entry);
      await announce(deps, entry);
      return out(entry);
    },
  };
  return steps;
}

export type TransferSteps = ReturnType<typeof makeTransferSteps>;

/** Runs the step a request names: the one entry point of the step Lambda and the local runner. */
export function runStep(steps: TransferSteps, request: StepRequest): Promise<StepResult> {
  if (request.step === 'settle') return steps.settle(request.transferId, request.error);
  return steps[request.step](request.transferId);
}
