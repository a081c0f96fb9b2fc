/**
 * The steps of the guarded-transfer workflow (DESIGN.md §4). Each step reads the journal entry
 * first and is idempotent: run twice, or after a crash, it does nothing the first run did not.
 * The state machine supplies retries and the failure path; these functions supply the decisions.
 */
import { alert } from '../core/alerts.ts';
import { type Config, type ExchangeName, ledgerAccounts } from '../core/config.ts';
import {
  AuthenticationFailedError,
  BotLockedError,
  InsufficientFundsError,
  NotYetVisibleError,
  TransferRejectedError,
} from '../core/errors.ts';
import { METRIC_NAMES, type Metrics } from '../core/metrics.ts';
import { showMoney, toFloat, ZERO } from '../core/money.ts';
import type {
  Alerter,
  Exchange,
  ExchangeAccount,
  ExchangeTransferRecord,
  Journal,
  StateStore,
} from '../core/ports.ts';
import { addsRisk, isTerminal, type JournalEntry, type LedgerAccount } from '../core/transfer.ts';
import { type StepInput, type StepOutput, WORKFLOW_TIMEOUT_MINUTES } from '../core/workflow.ts';

export interface TransferStepDeps {
  readonly config: Config;
  readonly journal: Journal;
  readonly state: StateStore;
  readonly exchanges: ReadonlyMap<string, Exchange>;
  readonly alerter: Alerter;
  readonly metrics: Metrics;
}

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

/** Errors after which the exchange surely did not move the money. */
const DEFINITE_FAILURES = new Set([
  InsufficientFundsError.name,
  TransferRejectedError.name,
  AuthenticationFailedError.name,
  TransferFailedOnExchangeError.name,
]);

const LOCK_TTL_MS = (WORKFLOW_TIMEOUT_MINUTES + 5) * 60_000;

export function makeTransferSteps(deps: TransferStepDeps) {
  const { config, journal, state } = deps;
  const allowlist = new Set(ledgerAccounts(config));
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
  const out = (entry: JournalEntry): StepOutput => ({ transferId: entry.id, status: entry.status });

  /** Moves the entry to `completed` from submitted/uncertain, whoever gets there first. */
  const complete = async (entry: JournalEntry, record: ExchangeTransferRecord, note: string) => {
    const moved = await journal.transition(entry.id, ['submitted', 'uncertain'], 'completed', {
      exchangeTransferId: record.exchangeTransferId,
      note,
    });
    return moved ?? entryOf(entry.id);
  };

  /** The reasons a transfer may not go ahead; empty when every guard passes. */
  const guardFailures = async (entry: JournalEntry): Promise<string[]> => {
    const exchange = deps.exchanges.get(entry.exchange);
    const limits = config.exchanges.get(entry.exchange as ExchangeName);
    const failures: string[] = [];
    if (entry.amount <= 0n) failures.push(`amount ${showMoney(entry.amount)} is not positive`);
    if (!allowlist.has(entry.from))
      failures.push(`${entry.from} is not an account of this portfolio`);
    if (!allowlist.has(entry.to)) failures.push(`${entry.to} is not an account of this portfolio`);
    if (entry.from === entry.to) failures.push('source and destination are the same account');
    if (!exchange || !limits) failures.push(`no exchange "${entry.exchange}" configured`);
    if (limits && entry.amount < limits.minTransfer) {
      failures.push(
        `amount ${showMoney(entry.amount)} below min_transfer ${showMoney(limits.minTransfer)}`,
      );
    }
    if (limits && entry.amount > limits.maxTransfer) {
      failures.push(
        `amount ${showMoney(entry.amount)} above max_transfer ${showMoney(limits.maxTransfer)}`,
      );
    }
    if (failures.length > 0 || !exchange) return failures;

    const books = await state.load(entry.portfolioId);
    if (!books) return ['the portfolio has no state'];
    if (books.flags.halted && addsRisk(entry))
      failures.push(`${entry.kind} into a bot refused while halted`);
    if (entry.from.startsWith('reserve:')) {
      const name = entry.from.slice('reserve:'.length);
      const held = books.reserves.get(name) ?? ZERO;
      if (held < entry.amount)
        failures.push(
          `${entry.from} holds ${showMoney(held)}, less than ${showMoney(entry.amount)}`,
        );
      if (
        name === 'emergency' &&
        entry.kind === 'refill' &&
        held - entry.amount < config.emergencyReserve.minimum
      ) {
        failures.push(
          `would take reserve:emergency below its minimum ${showMoney(config.emergencyReserve.minimum)}`,
        );
      }
      const master = await exchange.masterBalance(config.currency);
      if (master < entry.amount)
        failures.push(`the master account holds ${showMoney(master)} on ${exchange.name}`);
    } else {
      const source = onExchange(entry.from);
      if (source.kind === 'sub') {
        const balances = await exchange.subAccountBalances([source.uid], config.currency);
        const held = balances.get(source.uid) ?? ZERO;
        if (held < entry.amount)
          failures.push(
            `${entry.from} holds ${showMoney(held)}, less than ${showMoney(entry.amount)}`,
          );
      }
    }
    return failures;
  };

  const steps = {
    /** One transfer in flight per bot: the lock is owned by the transfer id. */
    async lock(id: string): Promise<StepOutput> {
      const entry = await entryOf(id);
      if (isTerminal(entry.status)) return out(entry);
      const locked = await state.lockBot(entry.portfolioId, entry.botId, id, LOCK_TTL_MS);
      if (!locked) throw new BotLockedError(`bot ${entry.botId} has another transfer in flight`);
      return out(entry);
    },

    /** Checks every guard against fresh balances; a refusal is recorded as `rejected`. */
    async validate(id: string): Promise<StepOutput> {
      const entry = await entryOf(id);
      if (entry.status !== 'planned') return out(entry);
      const failures = await guardFailures(entry);
      if (failures.length > 0) {
        const error = failures.join('; ');
        await journal.transition(id, ['planned'], 'rejected', {
          error,
          note: 'refused by the guards',
        });
        throw new TransferRejectedError(error);
      }
      const moved = await journal.transition(id, ['planned'], 'validated', {
        note: 'guards passed',
      });
      return out(moved ?? (await entryOf(id)));
    },

    /**
     * Submits with clientOid = transfer id. The entry is marked `submitted` before the call, so a
     * retry after any ambiguous outcome first asks the exchange, and resubmits only if it has no record.
     */
    async submit(id: string): Promise<StepOutput> {
      let entry = await entryOf(id);
      // Already `submitted` when this run began: an earlier attempt may have reached the exchange.
      const retrying = entry.status === 'submitted';
      if (entry.status === 'validated') {
        const moved = await journal.transition(id, ['validated'], 'submitted', {
          note: 'sent to the exchange',
        });
        entry = moved ?? (await entryOf(id));
      }
      if (entry.status !== 'submitted') return out(entry);
      const exchange = exchangeOf(entry);
      if (retrying && (await exchange.findTransfer(entry.clientOid))) return out(entry);
      await exchange.transfer({
        clientOid: entry.clientOid,
        from: onExchange(entry.from),
        to: onExchange(entry.to),
        amount: entry.amount,
        currency: config.currency,
      });
      return out(entry);
    },

    /** Confirms on the exchange, by clientOid, and records `completed`: the transition that counts. */
    async verify(id: string): Promise<StepOutput> {
      const entry = await entryOf(id);
      if (entry.status !== 'submitted' && entry.status !== 'uncertain') return out(entry);
      const record = await exchangeOf(entry).findTransfer(entry.clientOid);
      if (!record || record.status === 'pending')
        throw new NotYetVisibleError(`transfer ${id} not yet confirmed`);
      if (record.status === 'failed') throw new TransferFailedOnExchangeError(id);
      return out(await complete(entry, record, 'verified on the exchange'));
    },

    /** Applies a completed transfer to the reserves and the bot's books, exactly once. */
    async record(id: string): Promise<StepOutput> {
      const entry = await entryOf(id);
      if (entry.status === 'completed') await state.applyCompleted(entry);
      return out(entry);
    },

    /**
     * The failure path: decides what a caught error means for the money. Before submission
     * nothing moved (`rejected`); after it, the exchange's record decides, and when it cannot be
     * known the entry becomes `uncertain` for reconciliation.
     */
    async settle(id: string, error?: StepInput['error']): Promise<StepOutput> {
      const entry = await entryOf(id);
      const why = `${error?.Error ?? 'Error'}: ${error?.Cause ?? 'unknown'}`;
      if (entry.status === 'planned' || entry.status === 'validated') {
        const moved = await journal.transition(id, [entry.status], 'rejected', {
          error: why,
          note: 'stopped before submission',
        });
        return out(moved ?? (await entryOf(id)));
      }
      if (entry.status !== 'submitted') return out(entry);
      let record: ExchangeTransferRecord | undefined;
      try {
        record = await exchangeOf(entry).findTransfer(entry.clientOid);
      } catch (lookupError) {
        const moved = await journal.transition(id, ['submitted'], 'uncertain', {
          error: `${why}; lookup failed: ${String(lookupError)}`,
          note: 'outcome unknown: reconciliation will settle it',
        });
        return out(moved ?? (await entryOf(id)));
      }
      if (record?.status === 'completed') {
        const done = await complete(
          entry,
          record,
          `completed despite ${error?.Error ?? 'an error'}`,
        );
        if (done.status === 'completed') await state.applyCompleted(done);
        return out(done);
      }
      const definite = record?.status === 'failed' || DEFINITE_FAILURES.has(error?.Error ?? '');
      const moved = definite
        ? await journal.transition(id, ['submitted'], 'failed', {
            error: why,
            note: 'nothing moved',
          })
        : await journal.transition(id, ['submitted'], 'uncertain', {
            error: why,
            note: 'outcome unknown: reconciliation will settle it',
          });
      return out(moved ?? (await entryOf(id)));
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
      const context = { portfolioId: entry.portfolioId, cycleId: entry.cycleId, transferId: id };
      const what = `${entry.kind} of ${showMoney(entry.amount)} ${config.currency} ${entry.from} → ${entry.to}`;
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
      return out(entry);
    },
  };
  return steps;
}

export type TransferSteps = ReturnType<typeof makeTransferSteps>;

/** Runs the step a state machine Task asks for: the one entry point of the step Lambda and the local runner. */
export function runStep(steps: TransferSteps, input: StepInput): Promise<StepOutput> {
  if (input.step === 'settle') return steps.settle(input.transferId, input.error);
  return steps[input.step](input.transferId);
}
