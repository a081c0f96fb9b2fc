/**
 * A local runtime for the transfer tests: the spec portfolio (or a variant), the embedded store,
 * the paper exchange and the synthesized workflow (synthesized once per test file), with a clock
 * the test moves by hand and the runner's fault options.
 */
import type { FaultPlan } from '../../functions/adapters/paper/faults.ts';
import type { Alert } from '../../functions/core/alerts.ts';
import type { Config } from '../../functions/core/config.ts';
import type { FreqtradePull } from '../../functions/core/health.ts';
import { type Money, money } from '../../functions/core/money.ts';
import type { BotPause } from '../../functions/core/pause.ts';
import { initialState } from '../../functions/core/state.ts';
import { type JournalEntry, plannedEntry } from '../../functions/core/transfer.ts';
import { synthesizeTransferDefinition } from '../../functions/local/definition.ts';
import { type LocalRuntime, startLocalRuntime } from '../../functions/local/runtime.ts';
import type { Reaper, StateMachineDefinition } from '../../functions/local/workflow.ts';
import type { TransferDeps } from '../../functions/usecases/transfer-settlement.ts';
import { makeTransferSteps } from '../../functions/usecases/transfer-steps.ts';
import { specConfig } from '../core/fixtures.ts';

export const T0 = Date.parse('2026-11-20T12:00:00.000Z');
export const MINUTE = 60_000;
export const CYCLE = 15 * MINUTE;

/** Sub-accounts of the spec's bots. */
export const UID = {
  lorentzian: '6712345678', // 1h_lorentzian_sol, low_frequency, capital base 150
  swing: '6712345679', // 4h_swing_btc, low_frequency, 150
  scalping: '6712345680', // 5m_scalping_sol, high_frequency, 100
  momentum: '6712345681', // 15m_momentum_eth, high_frequency, 100
} as const;

export interface Harness extends LocalRuntime {
  readonly alerts: Alert[];
  /** Sets the clock (ms since the epoch). */
  at(ms: number): Date;
  now(): Date;
}

let definition: StateMachineDefinition | undefined;

/** The transfer state machine, synthesized once per test file. */
export function transferDefinition(): StateMachineDefinition {
  definition ??= synthesizeTransferDefinition();
  return definition;
}

export async function harness(
  opts: {
    config?: Config;
    faults?: FaultPlan;
    reaper?: Reaper;
    dedupeClientOid?: boolean;
    serial?: boolean;
    /** Asks the bots' Freqtrade APIs for their health. @default the runtime's */
    freqtrade?: FreqtradePull;
    /** Asks a bot's control API to pause. @default the runtime's */
    pauseBot?: BotPause;
  } = {},
): Promise<Harness> {
  const config = opts.config ?? specConfig();
  const alerts: Alert[] = [];
  let clock = new Date(T0);
  const rt = await startLocalRuntime({
    config,
    definition: transferDefinition(),
    retryIntervalMs: 0,
    now: () => clock,
    onAlert: (a) => alerts.push(a),
    ...(opts.faults && { faults: opts.faults }),
    ...(opts.reaper && { reaper: opts.reaper }),
    ...(opts.dedupeClientOid !== undefined && { dedupeClientOid: opts.dedupeClientOid }),
    ...(opts.serial !== undefined && { serial: opts.serial }),
    ...(opts.freqtrade && { freqtrade: opts.freqtrade }),
    ...(opts.pauseBot && { pauseBot: opts.pauseBot }),
  });
  return Object.assign(rt, {
    alerts,
    at(ms: number) {
      clock = new Date(ms);
      return clock;
    },
    now: () => clock,
  });
}

/** The portfolio's state as a first cycle creates it (for transfers written by hand). */
export async function initialised(h: Harness): Promise<void> {
  const at = h.now().toISOString();
  // As the first cycle leaves it once the master account was seen holding the opening reserves.
  const state = initialState(h.config, at);
  await h.store.portfolio.init(h.config.portfolioId, {
    ...state,
    ...(state.opening && { opening: { ...state.opening, verifiedAt: at } }),
  });
}

/** The step functions over the harness's store and exchange (or `overrides`), for a second runner. */
export function stepsOf(h: Harness, overrides: Partial<TransferDeps> = {}) {
  return makeTransferSteps({
    config: h.config,
    ...h.store,
    exchanges: new Map([...h.config.exchanges.keys()].map((name) => [name, h.exchange])),
    alerter: { send: async () => {} },
    metrics: { emit: () => {} },
    now: h.now,
    ...overrides,
  });
}

/** A transfer written to the journal by hand (as a cycle would), not started. */
export async function journaled(
  h: Harness,
  t: {
    kind: JournalEntry['kind'];
    botId: string;
    from: JournalEntry['from'];
    to: JournalEntry['to'];
    amount: Money | number;
    cycleId?: string;
    /** Where each end sat on the exchange when it was planned. @default not recorded */
    ends?: JournalEntry['ends'];
  },
): Promise<JournalEntry> {
  const entry = plannedEntry(
    {
      kind: t.kind,
      botId: t.botId,
      from: t.from,
      to: t.to,
      amount: typeof t.amount === 'number' ? money(t.amount) : t.amount,
      reason: 'test',
      leg: 0,
    },
    {
      portfolioId: h.config.portfolioId,
      cycleId: t.cycleId ?? 'manual',
      exchange: 'bitget',
      now: h.now().toISOString(),
      ...(t.ends && { ends: t.ends }),
    },
  );
  await h.store.journal.putPlanned([entry]);
  return entry;
}

/** How many times the exchange applied a clientOid (0: never). */
export const appliedTimes = (h: Harness, clientOid: string): number =>
  h.exchange.books().transfers.find((t) => t.clientOid === clientOid)?.applied ?? 0;
