/**
 * One monitoring cycle (DESIGN.md §1): read balances → plan → record → start transfers → alert.
 * The same function runs in the cycle Lambda and in the local runtime; only the adapters differ.
 * A cycle is identified by its schedule slot, so a retried cycle plans the same transfer ids and
 * its journal writes and workflow starts are no-ops.
 */
import pMap from 'p-map';
import { type Alert, alert, announcesTransfer } from '../core/alerts.ts';
import { netContributed, totalPnl } from '../core/analytics.ts';
import type { Config } from '../core/config.ts';
import { cycleIdFor } from '../core/cycle-id.ts';
import type { PositionReading, RiskView } from '../core/exposure.ts';
import { type BotHealth, countByStatus, type FreqtradePull } from '../core/health.ts';
import { METRIC_NAMES, type MetricName, type Metrics } from '../core/metrics.ts';
import { type Money, showMoney, sum, toFloat } from '../core/money.ts';
import { type BotPause, pauseSummary, pausesBots } from '../core/pause.ts';
import { deployedSums, type Plan, portfolioEquity } from '../core/policy.ts';
import type { Alerter, BalanceReading, Exchange, WorkflowStarter } from '../core/ports.ts';
import { snapshotExpiry } from '../core/retention.ts';
import { PLANNED_EXPIRY_MS } from '../core/settlement.ts';
import { initialState, isKnown, openingOf, type PortfolioState } from '../core/state.ts';
import type { BotSnapshot, Stores } from '../core/store-ports.ts';
import type { WeightsFunction } from '../core/strategies.ts';
import {
  endsOf,
  type JournalEntry,
  OPEN_STATUSES,
  type PlannedTransfer,
  plannedEntry,
} from '../core/transfer.ts';
import { claimBots } from './bot-plans.ts';
import { decideCycle, readCycleFacts } from './cycle-input.ts';
import type { HealthReading } from './health.ts';
import { type CoordinatedStop, coordinatedStop } from './pause-bots.ts';

export interface CycleDeps
  extends Pick<Stores, 'journal' | 'portfolio' | 'ledger' | 'plans' | 'performance'>,
    Partial<Pick<Stores, 'heartbeats'>> {
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
  /**
   * The wall clock of bot claims (a claim's age, unlike the cycle's slot time, says how long ago
   * it was really made). @default () => new Date()
   */
  readonly now?: () => Date;
  /**
   * Asks a bot's Freqtrade API (`bots[].health.freqtrade`). Without it such a bot learns its
   * health from heartbeats only.
   */
  readonly freqtrade?: FreqtradePull;
  /**
   * Asks a bot's control API to pause, for the coordinated stop (`emergency_stop.pause_bots`).
   * Without it a bot with one is journaled as not asked.
   */
  readonly pauseBot?: BotPause;
}

/** Workflow starts in flight at once (Step Functions refills 300 starts a second). */
const START_CONCURRENCY = 8;

export interface CycleResult {
  readonly cycleId: string;
  readonly asOf: string;
  readonly plan: Plan;
  /** The state the plan was made on (fresh balances, the ledger as of the cycle's start). */
  readonly state: PortfolioState;
  /** The booked bots' exposure and leverage this cycle (DESIGN.md §11). */
  readonly risk: RiskView;
  /** Undefined when a balance was unknown this cycle. */
  readonly equity: Money | undefined;
  /** Journal entries this cycle planned (new, or already written by an earlier run of the same cycle). */
  readonly entries: readonly JournalEntry[];
  /** Entries of earlier cycles whose workflow was started again. */
  readonly restarted: number;
  /** Bots this cycle decided for but could not claim (another plan holds them): nothing journaled. */
  readonly held: readonly string[];
  /** The coordinated stop, when this cycle entered `halted` with `pause_bots` on. */
  readonly stop?: CoordinatedStop;
}

/**
 * The statuses of a transfer that is still running (its bot is left alone this cycle), and the
 * cycle id of a schedule slot (core/cycle-id.ts).
 */
export { cycleIdFor, OPEN_STATUSES };

/** What makes a planned transfer what it is: an entry with its id must say the same. */
const sameTransfer = (a: JournalEntry, b: JournalEntry): boolean =>
  a.kind === b.kind &&
  a.botId === b.botId &&
  a.from === b.from &&
  a.to === b.to &&
  a.amount === b.amount &&
  a.leg === b.leg &&
  a.exchange === b.exchange;

/**
 * Journals the planned entries; an id that exists with other content (a retried cycle that now
 * decides another amount) is never a quiet no-op: it is left out of this cycle's starts and
 * reported, critical, to the operator. Returns the entries the journal holds as planned here.
 */
async function journalPlanned(
  deps: Pick<CycleDeps, 'journal' | 'alerter'>,
  entries: readonly JournalEntry[],
  context: { portfolioId: string; cycleId: string },
): Promise<JournalEntry[]> {
  const created = new Set(await deps.journal.putPlanned(entries));
  const kept: JournalEntry[] = [];
  for (const e of entries) {
    const stored = created.has(e.id) ? e : await deps.journal.get(e.id);
    if (stored && sameTransfer(stored, e)) {
      kept.push(e);
      continue;
    }
    await deps.alerter.send(
      alert(
        'transfer_id_collision',
        `transfer ${e.id} (${e.kind} of ${showMoney(e.amount)} ${e.from} → ${e.to}) was not journaled: the journal holds that id as ${stored ? `${stored.kind} of ${showMoney(stored.amount)} ${stored.from} → ${stored.to} (${stored.status})` : 'nothing readable'}; the journal's entry stands, this plan's is dropped`,
        e.botId,
      ),
      // About one transfer: its own event, so a second colliding id of the bot is reported too.
      { ...context, transferId: e.id },
    );
  }
  return kept;
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
  if (!stored.opening) {
    // Books from before openings were recorded: today's config becomes their opening layout,
    // verified as they are (they ran on it), so config drift has a layout to compare with.
    await deps.portfolio.recordOpening(portfolioId, {
      ...openingOf(config, stored.asOf),
      verifiedAt: asOf,
    });
    stored = (await deps.portfolio.load(portfolioId)) ?? stored;
  }
  // Completed on the exchange but not yet in the ledger (a step died in between): applied
  // first, so the plan sees them.
  const unapplied = await journal.completedUnapplied(portfolioId);
  for (const e of unapplied) await deps.ledger.applyCompleted(e);
  if (unapplied.length > 0) stored = (await deps.portfolio.load(portfolioId)) ?? stored;

  // When the balances were really read (the slot's time may be long past: a retried cycle).
  const readAt = deps.now?.() ?? new Date();
  const { open, inFlight, balances, confirmationsEnded, masters, health, positions } =
    await readCycleFacts(deps, stored);
  // A `planned` transfer whose workflow never started is started again (a repeated start of the
  // same execution is harmless) while its plan is fresh — an older one is reconciliation's to
  // reject.
  const stale = open
    .filter(
      (e) =>
        e.status === 'planned' &&
        e.cycleId !== cycleId &&
        at.getTime() - Date.parse(e.createdAt) < PLANNED_EXPIRY_MS,
    )
    // In the order they were planned, a decision's legs first to last (the index orders by id).
    .sort(
      (a, b) =>
        a.createdAt.localeCompare(b.createdAt) || a.botId.localeCompare(b.botId) || a.leg - b.leg,
    );

  const {
    state,
    plan: decided,
    openingVerified,
    risk,
    recent,
  } = await decideCycle(deps, {
    stored,
    balances,
    inFlight,
    asOf,
    ...(masters && { masters }),
    health: health.health,
    positions,
  });
  if (openingVerified) await deps.portfolio.verifyOpening(portfolioId, readAt.toISOString());
  // Entering halted: the coordinated stop asks the bots to pause while the plan is journaled,
  // and the halt is saved once they answered or the stop's deadline passed, whichever is first.
  // Before the save, so a cycle that dies in between pauses again when retried (the journal
  // keeps one entry per slot); after it, a halt in force, nobody is asked again.
  const entersHalt = decided.flags.halted && !stored.flags.halted;
  const stopping =
    entersHalt && pausesBots(config)
      ? coordinatedStop(deps, {
          cycleId,
          now: asOf,
          why: `the emergency stop (cycle ${cycleId})`,
          by: 'botfolio',
        })
      : undefined;

  const botsById = new Map(config.bots.map((b) => [b.botId, b]));
  const subAccountOf = (botId: string) => botsById.get(botId)?.account;
  const ends = (t: PlannedTransfer) => {
    const both = endsOf(t, subAccountOf);
    return both ? { ends: both } : {};
  };
  const wanted = decided.transfers.map((t) => {
    const balance = state.bots.get(t.botId)?.balance;
    const exchange = botsById.get(t.botId)?.exchange ?? 'unknown';
    return plannedEntry(t, {
      portfolioId,
      cycleId,
      exchange,
      venue: deps.exchanges.get(exchange)?.name,
      now: asOf,
      ...(balance != null && { reading: { balance, at: readAt.toISOString() } }),
      ...ends(t),
    });
  });
  // One plan per bot: only the bots this cycle could claim get their transfers journaled.
  const now = deps.now?.() ?? new Date();
  const claimed = await claimBots(deps, portfolioId, cycleId, wanted, now, readAt);
  // Written before anything moves: from here on, a crash leaves `planned` entries that the
  // next cycle starts again.
  const entries = await journalPlanned(deps, claimed, { portfolioId, cycleId });
  const stop = await stopping;

  // Refill blocks before the flags: a cycle that dies between the two is retried on the old flags
  // and decides the same blocks again (setting one twice is harmless).
  for (const change of decided.refillBlocks) {
    await deps.portfolio.setRefillBlocked(portfolioId, change.botId, change.blocked);
  }
  await deps.portfolio.saveCycle(portfolioId, {
    asOf,
    cycleId,
    peakEquity: decided.peakEquity,
    ...(stored.peakFlows !== undefined && { peakFlowsSeen: stored.peakFlows }),
    flags: decided.flags,
    // Only what was read and believed: an unknown bot keeps its last known balance, as stale.
    balances: knownBalances(balances, stored),
    ...(decided.lastRebalance !== undefined && { lastRebalance: decided.lastRebalance }),
    newProtectEpisode: !decided.flags.blackSwan || !stored.flags.blackSwan,
    confirmationsEnded: [...confirmationsEnded],
    ...(entersHalt && { haltedAt: asOf }),
  });
  await deps.performance.putSnapshots(
    portfolioId,
    snapshots(state, cycleId, asOf, deps.config.checkIntervalMs),
  );
  // After the series: returns kept never run ahead of the snapshots they come from.
  await deps.performance.putRecent(portfolioId, recent);
  await recordHealth(deps, portfolioId, health, positions, asOf);

  const equity = portfolioEquity(state);
  const deployed = deployedSums(config, state);
  deps.metrics.emit(portfolioId, {
    ...(equity !== undefined && { [METRIC_NAMES.equity]: toFloat(equity) }),
    [METRIC_NAMES.reserveTotal]: toFloat(sum(state.reserves.values())),
    ...(deployed && {
      [METRIC_NAMES.deployedRatio]: toFloat(deployed.balance) / toFloat(deployed.capitalBase),
    }),
    ...healthMetrics(decided.health),
  });

  // A few at once, in the order planned: a fleet's wave (10,000 allocations) started one by one
  // would outlast the cycle's timeout, all at once would pass Step Functions' start rate.
  await pMap([...entries, ...stale], (entry) => deps.workflow.start(entry), {
    concurrency: START_CONCURRENCY,
  });
  await sendAll(deps.alerter, withStop(decided.alerts, stop), { portfolioId, cycleId });
  // The transfers that ended since the last cycle, digested (those it started end later).
  await deps.alerter.flush?.(portfolioId);

  return {
    cycleId,
    asOf,
    plan: decided,
    state,
    risk,
    equity,
    entries,
    restarted: stale.length,
    held: [...new Set(wanted.map((e) => e.botId))].filter(
      (b) => !claimed.some((e) => e.botId === b),
    ),
    ...(stop && { stop }),
  };
}

/** The halt's critical alert, saying what the coordinated stop paused and what it did not. */
function withStop(alerts: readonly Alert[], stop: CoordinatedStop | undefined): readonly Alert[] {
  if (!stop) return alerts;
  const journal = stop.journalError
    ? `; the answers could not be journaled (${stop.journalError})`
    : '';
  const said = `; coordinated stop (pause_bots): ${pauseSummary(stop.answers)}${journal}`;
  return alerts.map((a) => (a.code === 'halted' ? { ...a, message: `${a.message}${said}` } : a));
}

/**
 * What the bots' APIs answered, the statuses judged (the next cycle sees a restart from them),
 * and the positions read (what `status` shows of exposure). Bookkeeping, not money: a failed
 * write is not the cycle's failure — the next cycle asks again, and a bot not heard from goes
 * stale, which only keeps money out.
 */
async function recordHealth(
  deps: Pick<CycleDeps, 'heartbeats'>,
  portfolioId: string,
  reading: HealthReading,
  positions: ReadonlyMap<string, PositionReading>,
  asOf: string,
): Promise<void> {
  const store = deps.heartbeats;
  if (!store) return;
  try {
    for (const [botId, pulled] of reading.pulls) await store.recordPull(portfolioId, botId, pulled);
    if (positions.size > 0) await store.recordPositions(portfolioId, positions, asOf);
    const judged = new Map(
      [...reading.health]
        .filter(([, h]) => h.status !== 'not_monitored')
        .map(([id, h]) => [id, h.status]),
    );
    if (judged.size > 0) await store.recordJudged(portfolioId, judged);
  } catch {
    // See above: nothing this cycle decided rests on these writes.
  }
}

/** How many monitored bots have each status (the dashboard's counts); none when none is monitored. */
function healthMetrics(
  health: ReadonlyMap<string, BotHealth>,
): Partial<Record<MetricName, number>> {
  const counts = countByStatus(health);
  if (counts.not_monitored === health.size) return {};
  return {
    [METRIC_NAMES.botsRunning]: counts.running,
    [METRIC_NAMES.botsStale]: counts.stale,
    [METRIC_NAMES.botsStopped]: counts.stopped,
    [METRIC_NAMES.botsError]: counts.error,
  };
}

/** The funded bots' balances read and believed this cycle, by bot id. */
function knownBalances(
  balances: ReadonlyMap<string, BalanceReading>,
  stored: PortfolioState,
): Map<string, Money> {
  const out = new Map<string, Money>();
  for (const [botId, reading] of balances) {
    if (reading.known && stored.bots.has(botId)) out.set(botId, reading.balance);
  }
  return out;
}

/** This cycle's row of every bot whose balance is known (an unknown one gets no sample). */
function snapshots(
  state: PortfolioState,
  cycleId: string,
  at: string,
  checkIntervalMs: number,
): BotSnapshot[] {
  const expiresAt = snapshotExpiry(at, checkIntervalMs);
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
      expiresAt,
    }));
}

/**
 * Sends the plan's alerts, except the info alerts announcing a transfer: the workflow reports
 * each transfer when it ends (completed, failed or uncertain), which is what the trader needs.
 * An alerter that digests (`sendMany`) gets them at once.
 */
async function sendAll(
  alerter: Alerter,
  alerts: readonly Alert[],
  context: { portfolioId: string; cycleId: string },
) {
  const news = alerts.filter((a) => !announcesTransfer(a));
  if (alerter.sendMany) await alerter.sendMany(news, context);
  else for (const a of news) await alerter.send(a, context);
}
