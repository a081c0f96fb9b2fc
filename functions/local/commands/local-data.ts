/**
 * Commands on a local data folder (the embedded store and the paper exchange kept on disk):
 * `cycle`, `status`, `state`, `transfers` (transfers.ts); the last three also on a
 * deployed stack (`--stack`, books.ts).
 */
import { announcesTransfer } from '../../core/alerts.ts';
import type { Config } from '../../core/config.ts';
import { formatMoney } from '../../core/money.ts';
import { modeOf, portfolioEquity } from '../../core/policy.ts';
import { type PortfolioState, stateToJson } from '../../core/state.ts';
import type { Stores } from '../../core/store-ports.ts';
import { OPEN_STATUSES } from '../../core/transfer.ts';
import { cycleIdFor } from '../../usecases/cycle.ts';
import {
  type BoardInput,
  boardJson,
  type LastAction,
  renderAlert,
  renderBoard,
  sentAlertOf,
} from '../board.ts';
import { type BooksAt, withStoredState, withStores } from '../books.ts';
import { type CommandAnswer, callLoop, type LoopCommand } from '../control.ts';
import { DataFolderBusyError, findLive } from '../live.ts';
import { dataDirOf } from '../local-store.ts';
import type { LocalRuntime } from '../runtime.ts';
import { showTransfers as printTransfers, transferLine } from './transfers.ts';

export async function withRuntime<T>(
  config: Config,
  dir: string | undefined,
  fn: (rt: LocalRuntime) => Promise<T>,
  configFile?: string,
): Promise<T> {
  // Loaded here: the runtime synthesizes the state machine (CDK); `status` and `transfers` never need it.
  const { startLocalRuntime } = await import('../runtime.ts');
  const rt = await startLocalRuntime({
    config,
    dataDir: dataDirOf(config, dir),
    ...(configFile !== undefined && { configFile }),
  });
  try {
    return await fn(rt);
  } finally {
    await rt.close();
  }
}

/**
 * A command that needs the exchange (`reconcile`, the operations that move money): sent to
 * `botfolio run` when it holds the data folder (control.ts), else run here on a runtime of our
 * own — the same function either way, so the same output and exit code.
 */
export async function runOnFolder<A>(
  config: Config,
  dir: string | undefined,
  command: LoopCommand<A>,
  args: A,
  out: (text: string) => void = (t) => process.stdout.write(t),
  configFile?: string,
): Promise<number> {
  const folder = dataDirOf(config, dir);
  const answer = async (): Promise<CommandAnswer> => {
    const live = await findLive(folder);
    if (live?.control) return callLoop(folder, live, command.name, args);
    try {
      return await withRuntime(config, dir, (rt) => command.run(rt, args), configFile);
    } catch (error) {
      // A loop started in between: it runs the command.
      if (error instanceof DataFolderBusyError && error.live?.control) {
        return callLoop(folder, error.live, command.name, args);
      }
      throw error;
    }
  };
  const { exitCode, stdout, stderr } = await answer();
  out(stdout);
  if (stderr !== '') process.stderr.write(stderr);
  return exitCode;
}

/** `cycle`; `configFile` is where `config` was read (a custom module is found from it). */
export function cycleOnce(config: Config, dir?: string, configFile?: string): Promise<number> {
  const once = async (rt: LocalRuntime) => {
    rt.trade(); // the simulated bots trade one step between cycles
    const result = await rt.cycle(new Date());
    const lines = [
      `cycle ${result.cycleId}: mode ${result.plan.mode}, ${result.entries.length} transfer(s)`,
    ];
    for (const e of result.entries) {
      const entry = await rt.store.journal.get(e.id);
      lines.push(`  ${transferLine(e, config.currency)}: ${entry?.status ?? 'planned'}`);
    }
    // Each transfer is shown above; its info alert would only say it again.
    for (const a of result.plan.alerts) if (!announcesTransfer(a)) lines.push(renderAlert(a));
    process.stdout.write(`${lines.join('\n')}\n`);
    return 0;
  };
  return withRuntime(config, dir, once, configFile);
}

export function showStatus(config: Config, at: BooksAt, json: boolean): Promise<number> {
  return withStoredState(config, at, async (store, state) => {
    const input = await statusBoard(config, store, state);
    process.stdout.write(
      json ? `${JSON.stringify(statusJson(state, input), null, 2)}\n` : `${renderBoard(input)}\n`,
    );
    return 0;
  });
}

/**
 * `status --json`: the state (every amount a decimal string), its equity, and the board — each
 * bot's row, the transfers in flight, the next cycle — under `board`.
 */
export function statusJson(state: PortfolioState, board: BoardInput): Record<string, unknown> {
  const equity = portfolioEquity(state);
  return {
    ...stateToJson(state, 'decimal'),
    equity: equity === undefined ? null : formatMoney(equity),
    board: boardJson(board),
  };
}

/** The board of the stored books: each bot's last transfer, the ones in flight, the next cycle. */
export async function statusBoard(
  config: Config,
  store: Stores,
  state: PortfolioState,
): Promise<BoardInput> {
  const lastAction = new Map<string, LastAction>();
  // Each bot's newest entry, asked for all bots at once (one query each).
  const day = 24 * 3_600_000;
  const [sent, inFlight, ...lasts] = await Promise.all([
    store.cooldowns.sentSince(config.portfolioId, Date.now() - day),
    store.journal.byStatus(config.portfolioId, OPEN_STATUSES),
    ...config.bots.map((b) => store.journal.byBot(config.portfolioId, b.botId, 1)),
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
  };
}

export function showState(config: Config, at: BooksAt): Promise<number> {
  return withStoredState(config, at, (_store, state) => {
    process.stdout.write(`${JSON.stringify(stateToJson(state), null, 2)}\n`);
    return 0;
  });
}

export function showTransfers(
  config: Config,
  at: BooksAt,
  opts: { bot?: string; id?: string; json: boolean },
): Promise<number> {
  return withStores(config, at, (store) => printTransfers({ store }, config, opts));
}
