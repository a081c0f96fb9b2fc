/**
 * Carrying out a transfer's settlement (core/settlement.ts decides): the moves the workflow's
 * steps and reconciliation share — completing an entry by the exchange's record, ending one that
 * moved nothing (and giving its claims back), and settling a submitted one by a lookup.
 */

import type { LedgerAccount } from '../core/accounts.ts';
import { botOf } from '../core/accounts.ts';
import { alert } from '../core/alerts.ts';
import type { Config } from '../core/config.ts';
import { TransferRejectedError } from '../core/errors.ts';
import type { Metrics } from '../core/metrics.ts';
import { showMoney } from '../core/money.ts';
import type { Alerter, Exchange, ExchangeAccount, ExchangeTransferRecord } from '../core/ports.ts';
import {
  type LookupAnswer,
  lookupOutcome,
  unexpectedRecord,
  type WhenNoRecord,
} from '../core/settlement.ts';
import type { JournalPatch, Stores } from '../core/store-ports.ts';
import { endOf, type JournalEntry, MASTER_END, type TransferStatus } from '../core/transfer.ts';
import { releaseClaims } from './transfer-guards.ts';

/** What the transfer steps and reconciliation work with. */
export interface TransferDeps
  extends Pick<Stores, 'journal' | 'portfolio' | 'ledger' | 'claims' | 'locks' | 'plans'>,
    Partial<Pick<Stores, 'heartbeats'>> {
  readonly config: Config;
  readonly exchanges: ReadonlyMap<string, Exchange>;
  readonly alerter: Alerter;
  readonly metrics: Metrics;
  /** The clock of leases and delays (the journal's own timestamps come from the store's). */
  readonly now: () => Date;
}

/** The journal has no entry for an execution: a bug or a foreign start, never money to move. */
export class UnknownTransferError extends Error {
  constructor(id: string) {
    super(`no journal entry for transfer ${id}`);
    this.name = 'UnknownTransferError';
  }
}

/** The notes a settlement by lookup writes in the history, for each way it can end. */
export interface SettlementNotes {
  readonly failed: string;
  readonly uncertain: string;
}

export function transferSettlement(deps: TransferDeps) {
  const { config, journal, ledger, claims } = deps;
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
  /**
   * Where one end of the entry sits on the exchange: as recorded when it was planned (so a
   * changed config never redirects money already planned), else as the config says.
   */
  const endOnExchange = (entry: JournalEntry, side: 'from' | 'to'): ExchangeAccount | undefined => {
    const end = entry.ends?.[side] ?? endOf(entry[side], (id) => botsById.get(id)?.account);
    if (end === undefined) return undefined;
    return end === MASTER_END ? { kind: 'master' } : { kind: 'sub', uid: end };
  };
  /** `endOnExchange`, for a call: an end with no place on the exchange is a refusal. */
  /** The exchange's record of the entry, by clientOid, with what the journal knows of it. */
  const lookUp = (entry: JournalEntry): Promise<ExchangeTransferRecord | undefined> => {
    const sentAt = entry.history.find((h) => h.status === 'submitted')?.at;
    const from = endOnExchange(entry, 'from');
    const to = endOnExchange(entry, 'to');
    const hint = from && to ? { from, to, ...(sentAt !== undefined && { sentAt }) } : undefined;
    return exchangeOf(entry).findTransfer(entry.clientOid, hint);
  };

  const onExchange = (entry: JournalEntry, side: 'from' | 'to'): ExchangeAccount => {
    const end = endOnExchange(entry, side);
    if (end === undefined) {
      const account: LedgerAccount = entry[side];
      throw new TransferRejectedError(`${account} is not a bot of this portfolio`);
    }
    return end;
  };

  /**
   * Why the entry may no longer move money: the config now puts one of its bot's ends in another
   * sub-account than the one it was planned for. Undefined when it may.
   */
  const accountChange = (entry: JournalEntry): string | undefined => {
    // A retirement's sweep is bound to the books' sub-account, whatever the config says now.
    if (!entry.ends || entry.kind === 'retirement') return undefined;
    for (const side of ['from', 'to'] as const) {
      const botId = botOf(entry[side]);
      if (botId === undefined) continue;
      const now = botsById.get(botId)?.account;
      if (now !== entry.ends[side]) {
        return `${entry[side]} was planned for sub-account ${entry.ends[side]}, and the config now maps it to ${now ?? 'no sub-account'}`;
      }
    }
    return undefined;
  };

  /**
   * Completes the entry by the exchange's record of it (DESIGN.md §4, "What the exchange says is
   * the ledger"), from submitted/uncertain, whoever gets there first: with the amount the record
   * shows, and the amount asked kept as `askedAmount` when they differ (the claims end by what
   * they hold). A record that is not the transfer asked (`unexpectedRecord`) completes nothing:
   * the entry is left uncertain, nothing is booked, and a critical `unexpected_record` alert asks
   * an operator to look.
   */
  const complete = async (
    entry: JournalEntry,
    record: ExchangeTransferRecord,
    note: string,
  ): Promise<JournalEntry> => {
    const from = endOnExchange(entry, 'from');
    const to = endOnExchange(entry, 'to');
    const asked = {
      amount: entry.amount,
      currency: config.currency,
      ...(from && { from }),
      ...(to && { to }),
    };
    const unexpected = unexpectedRecord(asked, record);
    if (unexpected !== undefined) return leaveToOperator(entry, unexpected);
    const differs = record.amount !== entry.amount;
    const patch: JournalPatch = {
      exchangeTransferId: record.exchangeTransferId,
      note: differs
        ? `${note}: the exchange recorded ${showMoney(record.amount)} of the ${showMoney(entry.amount)} asked`
        : note,
      ...(differs && { amount: record.amount, askedAmount: entry.amount }),
    };
    const moved = await journal.transition(
      entry.id,
      ['submitted', 'uncertain'],
      'completed',
      patch,
    );
    return moved ?? entryOf(entry.id);
  };

  /** A transfer the exchange recorded otherwise than asked: uncertain, and an operator told. */
  const leaveToOperator = async (entry: JournalEntry, why: string): Promise<JournalEntry> => {
    await deps.alerter.send(
      alert(
        'unexpected_record',
        `transfer ${entry.id} (${entry.kind} of ${showMoney(entry.amount)} ${config.currency} ${entry.from} → ${entry.to}): ${why}. Not completed, nothing booked: it stays uncertain, and ${entry.botId} gets no transfer, until an operator has checked it on ${entry.exchange}`,
        entry.botId,
      ),
      { portfolioId: entry.portfolioId, cycleId: entry.cycleId, transferId: entry.id },
    );
    if (entry.status !== 'submitted') return entry;
    const moved = await journal.transition(entry.id, ['submitted'], 'uncertain', {
      error: why,
      note: 'the exchange recorded another transfer than asked: left to an operator',
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
    if (after.status === 'rejected' || after.status === 'failed')
      await releaseClaims(claims, after);
    return after;
  };

  /**
   * Settles a submitted (or uncertain) entry by the exchange's record, as `lookupOutcome`
   * decides: completed (and applied to the ledger), failed, or uncertain for a later look.
   */
  const settleByLookup = async (
    entry: JournalEntry,
    why: string,
    whenNoRecord: WhenNoRecord,
    notes: SettlementNotes,
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
      record = await lookUp(entry);
    } catch (lookupError) {
      return toUncertain(`${why}; lookup by clientOid failed: ${String(lookupError)}`);
    }
    const answer: LookupAnswer = record ? { found: record.status } : { found: 'nothing' };
    switch (lookupOutcome(entry, answer, whenNoRecord, deps.now())) {
      case 'completed': {
        if (!record) break; // lookupOutcome says completed only for a record
        const done = await complete(entry, record, `found completed on the exchange (${why})`);
        if (done.status === 'completed') await ledger.applyCompleted(done);
        return done;
      }
      case 'failed': {
        const note = record ? 'the exchange reports it failed' : notes.failed;
        const ended = await endWithoutMoving(entry, 'failed', { error: why, note });
        // A found failure stands as the journal has it; a missing record that could not be
        // made `failed` (a call was claimed meanwhile) stays uncertain.
        if (record || ended.status === 'failed') return ended;
        break;
      }
      case 'uncertain':
        break;
    }
    return toUncertain(why);
  };

  return {
    entryOf,
    exchangeOf,
    onExchange,
    lookUp,
    accountChange,
    complete,
    endWithoutMoving,
    settleByLookup,
  };
}
