/**
 * The settlement decisions as tables: what the failure step and reconciliation do with an entry,
 * given its status, its last call's lease, how long it has been quiet and what the exchange said.
 * No store, no exchange: the use cases carry these decisions out (test/usecases covers that).
 */
import { describe, expect, it } from 'vitest';
import { money } from '../../functions/core/money.ts';
import type { ExchangeTransferRecord } from '../../functions/core/ports.ts';
import {
  callInFlight,
  type LookupAnswer,
  lookupOutcome,
  PLANNED_EXPIRY_MS,
  reconcileDecision,
  SETTLE_DELAY_MS,
  STUCK_AFTER_MS,
  settleDecision,
  unexpectedRecord,
} from '../../functions/core/settlement.ts';
import {
  type JournalEntry,
  plannedEntry,
  type TransferStatus,
} from '../../functions/core/transfer.ts';

const T0 = Date.parse('2026-11-20T12:00:00.000Z');
const MINUTE = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

/** An entry in `status`, created at T0 and last changed `quietMs` before `now`. */
function entry(
  status: TransferStatus,
  opts: { updatedAt?: number; leaseUntil?: number; error?: string } = {},
): JournalEntry {
  const planned = plannedEntry(
    {
      kind: 'refill',
      botId: 'b1',
      from: 'reserve:low_frequency',
      to: 'bot:b1',
      amount: money(50),
      reason: 'test',
      leg: 0,
    },
    { portfolioId: 'main', cycleId: 'c1', exchange: 'bitget', now: iso(T0) },
  );
  return {
    ...planned,
    status,
    updatedAt: iso(opts.updatedAt ?? T0),
    ...(opts.leaseUntil !== undefined && { submitLeaseUntil: iso(opts.leaseUntil) }),
    ...(opts.error !== undefined && { error: opts.error }),
  };
}

describe('settleDecision (the failure step)', () => {
  it.each([
    ['planned', 'RateLimitedError', { action: 'reject' }],
    ['validated', 'InsufficientFundsError', { action: 'reject' }],
    ['completed', 'Error', { action: 'apply' }],
    ['submitted', 'InsufficientFundsError', { action: 'lookup', whenNoRecord: 'failed' }],
    ['submitted', 'TransferRejectedError', { action: 'lookup', whenNoRecord: 'failed' }],
    ['submitted', 'AuthenticationFailedError', { action: 'lookup', whenNoRecord: 'failed' }],
    ['submitted', 'TransferFailedOnExchangeError', { action: 'lookup', whenNoRecord: 'failed' }],
    ['submitted', 'AmbiguousOutcomeError', { action: 'lookup', whenNoRecord: 'uncertain' }],
    ['submitted', 'States.Timeout', { action: 'lookup', whenNoRecord: 'uncertain' }],
    ['submitted', 'Error', { action: 'lookup', whenNoRecord: 'uncertain' }],
    ['uncertain', 'InsufficientFundsError', { action: 'none' }],
    ['failed', 'Error', { action: 'none' }],
    ['rejected', 'Error', { action: 'none' }],
  ] as const)('a %s entry caught with %s: %o', (status, error, expected) => {
    expect(settleDecision(entry(status), error)).toEqual(expected);
  });
});

describe('lookupOutcome (settling a submitted entry by the exchange record)', () => {
  const now = new Date(T0 + 5 * MINUTE);
  const leaseOver = entry('submitted', { leaseUntil: T0 + 2 * MINUTE });
  const leaseRunning = entry('submitted', { leaseUntil: T0 + 6 * MINUTE });
  it.each([
    ['found completed', 'completed', leaseRunning, { found: 'completed' }, 'uncertain'],
    ['found failed', 'failed', leaseRunning, { found: 'failed' }, 'uncertain'],
    ['pending', 'uncertain', leaseOver, { found: 'pending' }, 'failed'],
    ['the lookup failed', 'uncertain', leaseOver, { found: 'unknown' }, 'failed'],
    ['no record, may fail, lease over', 'failed', leaseOver, { found: 'nothing' }, 'failed'],
    [
      'no record, may fail, lease running',
      'uncertain',
      leaseRunning,
      { found: 'nothing' },
      'failed',
    ],
    ['no record, must not fail yet', 'uncertain', leaseOver, { found: 'nothing' }, 'uncertain'],
  ] as const)('%s → %s', (_what, expected, e, answer, whenNoRecord) => {
    expect(lookupOutcome(e, answer as LookupAnswer, whenNoRecord, now)).toBe(expected);
  });

  it('counts a call as in flight up to and including the end of its lease', () => {
    const e = entry('submitted', { leaseUntil: T0 + 2 * MINUTE });
    expect(callInFlight(e, new Date(T0 + 2 * MINUTE))).toBe(true);
    expect(callInFlight(e, new Date(T0 + 2 * MINUTE + 1))).toBe(false);
    expect(callInFlight(entry('submitted'), new Date(T0))).toBe(false);
  });
});

describe('reconcileDecision (one open entry)', () => {
  const at = (ms: number) => new Date(T0 + ms);
  it.each([
    ['planned, fresh', 'restart', undefined, entry('planned'), PLANNED_EXPIRY_MS - 1],
    ['planned, stale', 'expire', undefined, entry('planned'), PLANNED_EXPIRY_MS],
    ['validated, running', 'wait', undefined, entry('validated'), STUCK_AFTER_MS - 1],
    ['validated, stuck', 'expire', undefined, entry('validated'), STUCK_AFTER_MS],
    ['submitted, running', 'wait', undefined, entry('submitted'), STUCK_AFTER_MS - 1],
    ['submitted, stuck', 'lookup', 'failed', entry('submitted'), STUCK_AFTER_MS],
    ['uncertain, recent', 'lookup', 'uncertain', entry('uncertain'), SETTLE_DELAY_MS - 1],
    ['uncertain, quiet', 'lookup', 'failed', entry('uncertain'), SETTLE_DELAY_MS],
  ] as const)('%s: %s', (_what, action, whenNoRecord, e, age) => {
    const decision = reconcileDecision(e, at(age));
    expect(decision.action).toBe(action);
    if (whenNoRecord !== undefined) expect(decision).toMatchObject({ whenNoRecord });
  });

  it('measures quiet from the end of the last lease when it ends after the last change', () => {
    const e = entry('uncertain', { updatedAt: T0, leaseUntil: T0 + 5 * MINUTE });
    expect(reconcileDecision(e, at(SETTLE_DELAY_MS))).toMatchObject({ whenNoRecord: 'uncertain' });
    expect(reconcileDecision(e, at(5 * MINUTE + SETTLE_DELAY_MS))).toMatchObject({
      whenNoRecord: 'failed',
    });
  });

  it('explains a lookup with the entry’s own error, else with what is unknown', () => {
    const noted = entry('uncertain', { error: 'RateLimitedError: slow down' });
    expect(reconcileDecision(noted, at(0))).toMatchObject({ why: 'RateLimitedError: slow down' });
    expect(reconcileDecision(entry('uncertain'), at(0))).toMatchObject({ why: 'outcome unknown' });
    expect(reconcileDecision(entry('submitted'), at(STUCK_AFTER_MS))).toMatchObject({
      why: 'its workflow ended without an outcome',
    });
  });

  it('names when a stale planned entry was planned', () => {
    expect(reconcileDecision(entry('planned'), at(PLANNED_EXPIRY_MS))).toEqual({
      action: 'expire',
      why: `planned at ${iso(T0)} and not run in time`,
    });
  });
});

describe('unexpectedRecord (the exchange record that completes an entry)', () => {
  const bot = { kind: 'sub', uid: '6712345678' } as const;
  const master = { kind: 'master' } as const;
  const asked = { amount: money(50), currency: 'USDT', from: master, to: bot };
  const record = (over: Partial<ExchangeTransferRecord>): ExchangeTransferRecord => ({
    clientOid: 'c',
    exchangeTransferId: 'x',
    status: 'completed',
    amount: money(50),
    ...over,
  });

  it.each([
    ['the amount asked', {}],
    ['less than asked', { amount: money('49.95') }],
    ['its asset and ends, as asked', { currency: 'USDT', from: master, to: bot }],
  ] as const)('accepts a record of %s', (_what, over) => {
    expect(unexpectedRecord(asked, record(over))).toBeUndefined();
  });

  it.each([
    ['more than asked', { amount: money('50.00000001') }, /more than the 50 asked/],
    ['nothing', { amount: money(0) }, /it moved 0/],
    ['another asset', { currency: 'BTC' }, /it moved BTC, not USDT/],
    [
      'another sub-account',
      { to: { kind: 'sub', uid: '999' } },
      /to sub-account 999, not sub-account 6712345678/,
    ],
    [
      'from a bot instead of the master',
      { from: bot },
      /from sub-account 6712345678, not the master account/,
    ],
  ] as const)('refuses a record of %s, saying what differs', (_what, over, message) => {
    expect(unexpectedRecord(asked, record(over as Partial<ExchangeTransferRecord>))).toMatch(
      message,
    );
  });

  it('does not judge an end it does not know', () => {
    const { to: _, ...noTo } = asked;
    expect(unexpectedRecord(noTo, record({ to: { kind: 'sub', uid: '999' } }))).toBeUndefined();
  });
});
