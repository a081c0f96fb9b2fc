/**
 * One monitoring cycle (DESIGN.md §1): read balances → plan → record → start transfers → alert.
 * The same function runs in the cycle Lambda and in the local runtime; only the adapters differ.
 * A cycle is identified by its schedule slot, so a retried cycle plans the same transfer ids and
 * its journal writes and workflow starts are no-ops.
 */
import type { Alert } from '../core/alerts.ts';
import { netContributed, totalPnl } from '../core/analytics.ts';
import type { Config } from '../core/config.ts';
import { METRIC_NAMES, type Metrics } from '../core/metrics.ts';
import { type Money, sum, toFloat } from '../core/money.ts';
import {
  deployedSums,
  historySamplesToRead,
  type Plan,
  plan,
  portfolioEquity,
} from '../core/policy.ts';
import type { Alerter, BalanceReading, Exchange, WorkflowStarter } from '../core/ports.ts';
import { believed, unknown } from '../core/readings.ts';
import { PLANNED_EXPIRY_MS } from '../core/settlement.ts';
import { withCompleted } from '../core/simulate.ts';
import { type BotState, initialState, isKnown, type PortfolioState } from '../core/state.ts';
import type { BotSnapshot, Stores } from '../core/store-ports.ts';
import type { WeightsFunction } from '../core/strategies.ts';
import {
  type JournalEntry,
  OPEN_STATUSES,
  plannedEntry,
  TRANSFER_KINDS,
} from '../core/transfer.ts';
import { claimBots } from './bot-plans.ts';

export interface CycleDeps
  extends Pick<Stores, 'journal' | 'portfolio' | 'ledger' | 'plans' | 'performance'> {
  readonly config: Config;
  readonly exchanges: ReadonlyMap<string, Exchange>;
  readonly workflow: WorkflowStarter;
  readonly alerter: Alerter;
  readonly metrics: Metrics;
  /**
   * The `custom` strategy's weights function (the config's `allocation.module`). Without it a
   * custom pool is not rebalanced, and the plan says so.
   */
  readonly customWeights?: WeightsFunction;
}

export interface CycleResult {
  readonly cycleId: string;
  readonly asOf: string;
  readonly plan: Plan;
  /** The state the plan was made on (fresh balances, the ledger as of the cycle's start). */
  readonly state: PortfolioState;
  /** Undefined when a balance was unknown this cycle. */
  readonly equity: Money | undefined;
  /** Journal entries this cycle planned (new, or already written by an earlier run of the same cycle). */
  readonly entries: readonly JournalEntry[];
  /** Entries of earlier cycles whose workflow was started again. */
  readonly restarted: number;
}

/** Statuses of a transfer that is still running: its bot is left alone this cycle. */
export { OPEN_STATUSES };

/** The cycle id of a schedule slot: the slot's start, e.g. 20261120T1215Z for a 15-minute cycle. */
export function cycleIdFor(at: Date, intervalMs: number): string {
  const slot = new Date(Math.floor(at.getTime() / intervalMs) * intervalMs);
  return slot
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')
    .replace(/00Z$/, 'Z');
}

export async function runCycle(deps: CycleDeps, at: Date): Promise<CycleResult> {
  const { config, journal } = deps;
  const portfolioId = config.portfolioId;
  const asOf = at.toISOString();
  const cycleId = cycleIdFor(at, config.checkIntervalMs);

  let stored = await deps.portfolio.load(portfolioId);
  if (!stored) {
    await deps.portfolio.init(portfolioId, initialState(config, asOf));
    stored = await deps.portfolio.load(portfolioId);
    if (!stored) throw new Error(`state of portfolio ${portfolioId} could not be created`);
  }
  // Completed on the exchange but not yet in the ledger (a step died in between): applied
  // first, so the plan sees them.
  const unapplied = await journal.completedUnapplied(portfolioId);
  for (const e of unapplied) await deps.ledger.applyCompleted(e);
  if (unapplied.length > 0) stored = (await deps.portfolio.load(portfolioId)) ?? stored;

  const { open, inFlight, balances } = await readCycleFacts(deps, stored);
  // A `planned` transfer whose workflow never started is started again (a repeated start of the
  // same execution is harmless) while its plan is fresh — an older one is reconciliation's to
  // reject.
  const stale = open.filter(
    (e) =>
      e.status === 'planned' &&
      e.cycleId !== cycleId &&
      at.getTime() - Date.parse(e.createdAt) < PLANNED_EXPIRY_MS,
  );

  const { state, plan: decided } = await decideCycle(deps, {
    stored,
    balances,
    inFlight,
    asOf,
  });

  const botsById = new Map(config.bots.map((b) => [b.botId, b]));
  const wanted = decided.transfers.map((t) => {
    const balance = state.bots.get(t.botId)?.balance;
    return plannedEntry(t, {
      portfolioId,
      cycleId,
      exchange: botsById.get(t.botId)?.exchange ?? 'unknown',
      now: asOf,
      ...(balance != null && { reading: { balance, at: asOf } }),
    });
  });
  // One plan per bot: only the bots this cycle could claim get their transfers journaled.
  const entries = await claimBots(deps, portfolioId, cycleId, wanted, at);
  // Written before anything moves: from here on, a crash leaves `planned` entries that the
  // next cycle starts again.
  await journal.putPlanned(entries);

  // Refill blocks before the flags: a cycle that dies between the two is retried on the old flags
  // and decides the same blocks again (setting one twice is harmless).
  for (const change of decided.refillBlocks) {
    await deps.portfolio.setRefillBlocked(portfolioId, change.botId, change.blocked);
  }
  await deps.portfolio.saveCycle(portfolioId, {
    asOf,
    cycleId,
    peakEquity: decided.peakEquity,
    flags: decided.flags,
    // Only what was read and believed: an unknown bot keeps its last known balance, as stale.
    balances: knownBalances(balances),
    ...(decided.lastRebalance !== undefined && { lastRebalance: decided.lastRebalance }),
  });
  await deps.performance.putSnapshots(portfolioId, snapshots(state, cycleId, asOf));

  const equity = portfolioEquity(state);
  const deployed = deployedSums(config, state);
  deps.metrics.emit(portfolioId, {
    ...(equity !== undefined && { [METRIC_NAMES.equity]: toFloat(equity) }),
    [METRIC_NAMES.reserveTotal]: toFloat(sum(state.reserves.values())),
    ...(deployed && {
      [METRIC_NAMES.deployedRatio]: toFloat(deployed.balance) / toFloat(deployed.capitalBase),
    }),
  });

  for (const entry of [...entries, ...stale]) await deps.workflow.start(entry);
  await sendAll(deps.alerter, decided.alerts, { portfolioId, cycleId });

  return {
    cycleId,
    asOf,
    plan: decided,
    state,
    equity,
    entries,
    restarted: stale.length,
  };
}

/** What a cycle reads besides the stored state: the transfers still open, and fresh balances. */
export interface CycleFacts {
  /** Transfers still open: their bots sit this cycle out. */
  readonly open: readonly JournalEntry[];
  readonly inFlight: ReadonlySet<string>;
  /** Every funded bot's equity, by bot id: known and believed, or unknown with why. */
  readonly balances: ReadonlyMap<string, BalanceReading>;
}

/**
 * Reads what a cycle decides on, writing nothing: the open transfers (the journal's status
 * index), then every funded bot's equity (one batched call per exchange). The cycle and its dry
 * run (`botfolio run --dry-run`) read alike through it.
 */
export async function readCycleFacts(
  deps: Pick<CycleDeps, 'config' | 'journal' | 'exchanges'>,
  stored: PortfolioState,
): Promise<CycleFacts> {
  const open = await deps.journal.byStatus(deps.config.portfolioId, OPEN_STATUSES);
  const balances = await readBalances(deps, stored);
  return { open, inFlight: new Set(open.map((e) => e.botId)), balances };
}

/**
 * The state a dry run plans on, writing nothing: the stored one (or the opening state of a new
 * portfolio) with the completed transfers the ledger has not applied yet folded in, as the cycle
 * would apply them before planning.
 */
export async function previewState(
  deps: Pick<CycleDeps, 'config' | 'journal' | 'portfolio'>,
  asOf: string,
): Promise<PortfolioState> {
  const { config } = deps;
  const stored = (await deps.portfolio.load(config.portfolioId)) ?? initialState(config, asOf);
  return withCompleted(stored, await deps.journal.completedUnapplied(config.portfolioId));
}

/**
 * What a cycle decides: the stored state with fresh balances and in-flight marks, and the plan
 * made on it with the bots' history. It reads the performance series and writes nothing, so the
 * cycle and its dry run decide exactly alike.
 */
export async function decideCycle(
  deps: Pick<CycleDeps, 'config' | 'performance' | 'customWeights'>,
  input: {
    readonly stored: PortfolioState;
    readonly balances: ReadonlyMap<string, BalanceReading>;
    readonly inFlight: ReadonlySet<string>;
    readonly asOf: string;
  },
): Promise<{ state: PortfolioState; plan: Plan }> {
  const { stored, balances, inFlight, asOf } = input;
  const unknownWhy = new Map<string, string>();
  const lastKnown = new Map<string, Money>();
  const bots = new Map<string, BotState>();
  for (const [id, b] of stored.bots) {
    const reading = balances.get(id) ?? unknown('not read this cycle');
    if (!reading.known) {
      unknownWhy.set(id, reading.reason);
      if (b.balance !== null) lastKnown.set(id, b.balance);
    }
    bots.set(id, {
      ...b,
      balance: reading.known ? reading.balance : null,
      inFlight: inFlight.has(id),
    });
  }
  const state: PortfolioState = { ...stored, asOf, bots };
  const history = await readHistory(deps, state);
  const decided = plan(deps.config, state, {
    inFlight,
    history,
    unknownWhy,
    lastKnown,
    ...(deps.customWeights && { customWeights: deps.customWeights }),
  });
  return { state, plan: decided };
}

/**
 * The performance series the plan judges bots on: a short window every cycle (the history
 * alerts), a longer one when a history-based rebalance is due. Enabled, funded bots only.
 */
async function readHistory(
  deps: Pick<CycleDeps, 'config' | 'performance'>,
  state: PortfolioState,
): Promise<Map<string, BotSnapshot[]>> {
  const limit = historySamplesToRead(deps.config, state);
  const bots = deps.config.bots.filter((b) => b.enabled && state.bots.has(b.botId));
  const series = await Promise.all(
    bots.map((b) => deps.performance.history(deps.config.portfolioId, b.botId, limit)),
  );
  return new Map(bots.map((b, i) => [b.botId, series[i] ?? []]));
}

/**
 * Every funded bot's equity, one batched call per exchange, as the exchange answered it — and
 * unknown where it did not, or where the value is beyond belief (core/readings.ts).
 */
async function readBalances(
  deps: Pick<CycleDeps, 'config' | 'exchanges'>,
  stored: PortfolioState,
): Promise<Map<string, BalanceReading>> {
  const byExchange = new Map<string, { botId: string; account: string }[]>();
  for (const bot of deps.config.bots) {
    if (!stored.bots.has(bot.botId)) continue; // not funded yet: nothing to read
    const list = byExchange.get(bot.exchange) ?? [];
    list.push({ botId: bot.botId, account: bot.account });
    byExchange.set(bot.exchange, list);
  }
  const balances = new Map<string, BalanceReading>();
  for (const [name, bots] of byExchange) {
    const exchange = deps.exchanges.get(name);
    if (!exchange) throw new Error(`no exchange adapter for "${name}"`);
    const equity = await exchange.subAccountBalances(
      bots.map((b) => b.account),
      deps.config.currency,
    );
    for (const b of bots) {
      const reading = equity.get(b.account) ?? unknown(`${name} did not answer for it`);
      balances.set(b.botId, believed(deps.config, reading, stored.bots.get(b.botId)));
    }
  }
  return balances;
}

/** The balances read and believed this cycle, by bot id. */
function knownBalances(balances: ReadonlyMap<string, BalanceReading>): Map<string, Money> {
  const out = new Map<string, Money>();
  for (const [botId, reading] of balances) if (reading.known) out.set(botId, reading.balance);
  return out;
}

/** This cycle's row of every bot whose balance is known (an unknown one gets no sample). */
function snapshots(state: PortfolioState, cycleId: string, at: string): BotSnapshot[] {
  return [...state.bots]
    .flatMap(([botId, b]) => (isKnown(b) ? [{ botId, b }] : []))
    .map(({ botId, b }) => ({
      botId,
      cycleId,
      at,
      balance: b.balance,
      capitalBase: b.capitalBase,
      contributed: b.contributed,
      harvested: b.harvested,
      protected: b.protected,
      netContributed: netContributed(b),
      pnl: totalPnl(b),
    }));
}

/**
 * Sends the plan's alerts, except the info alerts announcing a transfer: the workflow reports
 * each transfer when it ends (completed, failed or uncertain), which is what the trader needs.
 */
async function sendAll(
  alerter: Alerter,
  alerts: readonly Alert[],
  context: { portfolioId: string; cycleId: string },
) {
  const announcesTransfer = (a: Alert) =>
    a.severity === 'info' && (TRANSFER_KINDS as readonly string[]).includes(a.code);
  for (const a of alerts) if (!announcesTransfer(a)) await alerter.send(a, context);
}
