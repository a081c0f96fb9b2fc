/**
 * `status`: the portfolio's books on the board (or as JSON). On a local data folder it reads the
 * embedded store's files directly when it can take the store's lock (store-file.ts) — the same
 * items decoded by the same code, without starting dynalite and the SDK client; otherwise (the
 * folder held by `botfolio run` or another command, no store yet, a deployed stack) it goes the
 * usual way (books.ts), loaded only then.
 */
import type { Config } from '../../core/config.ts';
import type { PoolCorrelation } from '../../core/correlation.ts';
import { cycleIdFor } from '../../core/cycle-id.ts';
import { positionOfStored, riskJson, riskOf, unknownPosition } from '../../core/exposure.ts';
import { type HealthFacts, isMonitored, judgeFleet } from '../../core/health.ts';
import { formatMoney } from '../../core/money.ts';
import { modeOf, type PortfolioState, portfolioEquity, stateToJson } from '../../core/state.ts';
import type { PerformanceStore, Stores } from '../../core/store-ports.ts';
import { type JournalEntry, OPEN_STATUSES, type TransferStatus } from '../../core/transfer.ts';
import { correlationJson, readPoolCorrelations } from '../../usecases/correlation.ts';
import { type BoardInput, boardJson, type LastAction, renderBoard, sentAlertOf } from '../board.ts';
import type { BooksAt } from '../books.ts';
import { dataDirOf, localTableNames, storeDirOf } from '../data-folder.ts';
import { openStoreFile } from '../store-file.ts';

/** What the board reads of the books besides the state (and `--json`, the end-of-day equity). */
interface StatusReads extends Pick<PerformanceStore, 'endOfDay'> {
  sentSince(portfolioId: string, sinceMs: number): Promise<{ key: string; sentAt: number }[]>;
  byStatus(portfolioId: string, statuses: readonly TransferStatus[]): Promise<JournalEntry[]>;
  byBot(portfolioId: string, botId: string, limit: number): Promise<JournalEntry[]>;
  healthFacts(portfolioId: string): Promise<Map<string, HealthFacts>>;
}

export const readsOf = (stores: Stores): StatusReads => ({
  sentSince: (portfolioId, sinceMs) => stores.cooldowns.sentSince(portfolioId, sinceMs),
  byStatus: (portfolioId, statuses) => stores.journal.byStatus(portfolioId, statuses),
  byBot: (portfolioId, botId, limit) => stores.journal.byBot(portfolioId, botId, limit),
  endOfDay: (portfolioId, botId, days) => stores.performance.endOfDay(portfolioId, botId, days),
  healthFacts: (portfolioId) => stores.heartbeats.healthFacts(portfolioId),
});

/**
 * `status`; `loadConfig` reads the config. A data folder given by path starts opening before the
 * config is read, so LevelDB reads its files (on libuv's threads) meanwhile.
 */
export async function showStatus(
  loadConfig: () => Promise<Config>,
  at: BooksAt,
  json: boolean,
): Promise<number> {
  const early =
    at.stack === undefined && at.dir !== undefined
      ? openStoreFile(storeDirOf(at.dir), localTableNames())
      : undefined;
  let config: Config;
  try {
    config = await loadConfig();
  } catch (error) {
    await early?.then(
      (file) => file?.close(),
      () => {},
    );
    throw error;
  }
  const show = async (reads: StatusReads, state: PortfolioState) => {
    // Correlation as of the last cycle: over the complete days before its day.
    const [board, correlations] = await Promise.all([
      statusBoard(config, reads, state),
      readPoolCorrelations(config, reads, state.asOf),
    ]);
    const input = { ...board, correlations };
    process.stdout.write(
      json
        ? `${JSON.stringify(statusJson(state, input, correlations), null, 2)}\n`
        : `${renderBoard(input)}\n`,
    );
    return 0;
  };
  if (at.stack === undefined) {
    const file = await (early ??
      openStoreFile(storeDirOf(dataDirOf(config, at.dir)), localTableNames()));
    if (file) {
      try {
        const state = await file.loadState(config.portfolioId);
        // No state yet: the usual way explains it.
        if (state) return await show(file, state);
      } finally {
        await file.close();
      }
    }
  }
  const { withStoredState } = await import('../books.ts');
  return withStoredState(config, at, (stores, state) => show(readsOf(stores), state));
}

/**
 * `status --json`: the state (every amount a decimal string), its equity, and the board — each
 * bot's row, the transfers in flight, the next cycle — under `board`; with `correlations`, each
 * pool's correlation under `pools.<pool>.correlation` (an additive field: `average` null is
 * unknown, never 0); with the board's risk, `risk`: total exposure (a lower bound, `partial`, when
 * a bot's position is unknown) and each booked bot's notional and leverage, or "unknown".
 */
export function statusJson(
  state: PortfolioState,
  board: BoardInput,
  correlations?: readonly PoolCorrelation[],
): Record<string, unknown> {
  const equity = portfolioEquity(state);
  const windowDays = board.config.risk.correlationWindowDays;
  return {
    ...stateToJson(state, 'decimal'),
    equity: equity === undefined ? null : formatMoney(equity),
    board: boardJson(board),
    ...(correlations && {
      pools: Object.fromEntries(
        correlations.map((c) => [c.pool, { correlation: correlationJson(c, windowDays) }]),
      ),
    }),
    ...(board.risk && { risk: riskJson(board.config, board.risk, state.asOf) }),
  };
}

/** The board of the stored books: each bot's last transfer, the ones in flight, the next cycle. */
export async function statusBoard(
  config: Config,
  store: StatusReads,
  state: PortfolioState,
): Promise<BoardInput> {
  const lastAction = new Map<string, LastAction>();
  // Each bot's newest entry, asked for all bots at once (one query each).
  const day = 24 * 3_600_000;
  const monitored = config.bots.some(isMonitored);
  // Read whatever is monitored: the bots' health items also hold their positions.
  const [sent, inFlight, facts, ...lasts] = await Promise.all([
    store.sentSince(config.portfolioId, Date.now() - day),
    store.byStatus(config.portfolioId, OPEN_STATUSES),
    store.healthFacts(config.portfolioId).catch((error: unknown) => String(error)),
    ...config.bots.map((b) => store.byBot(config.portfolioId, b.botId, 1)),
  ]);
  for (const [last] of lasts)
    if (last)
      lastAction.set(last.botId, {
        kind: last.kind,
        amount: last.amount,
        status: last.status,
        at: last.createdAt,
      });
  const interval = config.checkIntervalMs;
  const slot = Math.floor(Date.parse(state.asOf) / interval) * interval;
  return {
    config,
    state,
    cycleId: cycleIdFor(new Date(state.asOf), interval),
    mode: modeOf(state.flags),
    equity: portfolioEquity(state),
    peakEquity: state.peakEquity,
    nextCycleAt: new Date(slot + interval).toISOString(),
    lastAction,
    inFlight: inFlight ?? [],
    recentAlerts: (sent ?? []).map((a) => sentAlertOf(a.key, a.sentAt)),
    risk: riskOf(
      state,
      new Map(
        [...state.bots.keys()].map((id) => [
          id,
          typeof facts === 'string'
            ? unknownPosition(`the bots' health items could not be read (${facts})`)
            : positionOfStored(facts.get(id)?.position, state.asOf),
        ]),
      ),
    ),
    ...(monitored && {
      // As of now: a bot's health ages between cycles, and the board says what it is now.
      health: judgeFleet(
        config,
        typeof facts === 'string' ? new Map() : facts,
        Date.now(),
        typeof facts === 'string' ? facts : undefined,
      ),
    }),
  };
}
