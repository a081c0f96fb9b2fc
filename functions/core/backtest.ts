/**
 * Backtests (DESIGN.md §2, "equity-curve CSVs"): a portfolio replayed through the policy over
 * recorded equity curves, one cycle per curve row. Pure: no store, no exchange. Each cycle the
 * bots' balances move as their curves did (B × E_t ÷ E_{t−1}, exact, rounded down), the policy
 * plans exactly as the cycle would — with the same window of history — and every planned transfer
 * completes (simulate.ts), paying its exchange's `transfer_fee` out of its bot's balance. The
 * result carries per-bot metrics, the portfolio's profit retention and the fees paid.
 *
 * Fast, and the same answers as planning every cycle (backtest-replay.ts; a property test holds
 * the two together):
 * - only the cycles the screen cannot prove quiet are planned (backtest-screen.ts); on the others
 *   only the analytics alerts and `allocation_drift` can fire: the policy's `returnAlerts` is
 *   asked for just the bots whose window says one might (backtest-window.ts), and its
 *   `allocationDriftAlerts` only when a float screen of the pools' shares says one might;
 * - nothing per cycle grows with history: the windows are fixed rings, the metrics are kept as
 *   the cycles go (backtest-metrics.ts);
 * - nothing is allocated per bot and cycle: balances are exact integers of 10⁻⁸ units held in
 *   doubles (exact-float.ts), turned into Money for each plan. Past 2⁵³ units (about 90 million in
 *   the currency) the replay falls back to bigint, planning every cycle.
 */
import { netContributed, periodReturn } from './analytics.ts';
import { RunningMetrics } from './backtest-metrics.ts';
import {
  BacktestRecord,
  type BacktestResult,
  dayNumbers,
  type EquityCurves,
} from './backtest-record.ts';
import { replayEveryCycle } from './backtest-replay.ts';
import { Bands, DriftScreen, modesMayChange, portfolioBooks } from './backtest-screen.ts';
import { SeriesRecorder } from './backtest-series.ts';
import { ReturnWindows, SampleRings } from './backtest-window.ts';
import type { BotConfig, Config } from './config.ts';
import { mulDivFloor } from './exact-float.ts';
import type { Money } from './money.ts';
import { historySamplesToRead, plan, rebalanceDue, returnAlerts } from './policy.ts';
import { type BotState, balanceOf, initialState, type PortfolioState } from './state.ts';
import type { WeightsFunction } from './strategies.ts';

export {
  type BacktestResult,
  type BotOutcome,
  curveOf,
  type EquityCurves,
  type TimelineTransfer,
} from './backtest-record.ts';
export type { BacktestSeries } from './backtest-series.ts';

export interface BacktestOptions {
  readonly customWeights?: WeightsFunction;
  /** Keep every cycle's equity, reserves and balances in `result.series` (for the report). */
  readonly series?: boolean;
}

/** Curves every enabled bot of `config` must have; a curve for an unknown bot is refused. */
export function curveProblems(config: Config, curves: EquityCurves): string[] {
  const known = new Set(config.bots.map((b) => b.botId));
  const problems: string[] = [];
  for (const [id, curve] of curves.values) {
    if (!known.has(id)) problems.push(`curve "${id}": bot not in the config`);
    if (curve.length !== curves.times.length) {
      problems.push(`curve "${id}": ${curve.length} points for ${curves.times.length} times`);
    }
    const bad = curve.findIndex((x) => !Number.isNaN(x) && !(Number.isSafeInteger(x) && x >= 0));
    if (bad >= 0) {
      problems.push(`curve "${id}" at ${curves.times[bad]}: not an amount ≥ 0 of 8 decimals`);
    }
  }
  for (const b of config.bots) {
    if (b.enabled && !curves.values.has(b.botId)) {
      problems.push(`bot "${b.botId}": no equity curve`);
    }
  }
  if (curves.times.length === 0) problems.push('no rows');
  return problems;
}

/** An amount past what a double holds exactly: the backtest starts over in bigint. */
class BeyondDoublesError extends Error {
  constructor() {
    super('an amount is beyond 2^53 units');
    this.name = 'BeyondDoublesError';
  }
}

/** A Money as a double, exactly, or the fallback. */
function exact(m: Money): number {
  const x = Number(m);
  if (!Number.isSafeInteger(x)) throw new BeyondDoublesError();
  return x;
}

/** Replays `curves` through the policy; `curveProblems` must be empty. */
export function backtest(
  config: Config,
  curves: EquityCurves,
  opts: BacktestOptions = {},
): BacktestResult {
  try {
    return screened(config, curves, opts);
  } catch (e) {
    if (e instanceof BeyondDoublesError) return replayEveryCycle(config, curves, opts);
    throw e;
  }
}

function screened(config: Config, curves: EquityCurves, opts: BacktestOptions): BacktestResult {
  const { times } = curves;
  const bots = config.bots;
  const n = bots.length;
  const index = new Map(bots.map((b, k) => [b.botId, k]));
  const record = new BacktestRecord(config);
  const trace = opts.series ? new SeriesRecorder(config, times) : undefined;
  let books: PortfolioState = initialState(config, times[0] ?? new Date(0).toISOString());
  let peak = books.peakEquity;

  const none = new Float64Array(times.length).fill(Number.NaN);
  const curveOf = bots.map((b) => curves.values.get(b.botId) ?? none);
  const enabled = Uint8Array.from(bots, (b) => (b.enabled ? 1 : 0));
  const funded = new Uint8Array(n);
  const sampled = new Uint8Array(n);
  const flagged = new Uint8Array(n);
  const last = new Float64Array(n).fill(Number.NaN);
  // Exact integers of 10⁻⁸ units: balance, net contribution and capital base from the books.
  const balance = new Float64Array(n);
  const net = new Float64Array(n);
  const capitalBase = new Float64Array(n);
  const prevBalance = new Float64Array(n);
  /** prevBalance ÷ 10⁸, the divisor periodReturn's float expression has. */
  const prevUnits = new Float64Array(n);
  const prevNet = new Float64Array(n);

  /** The books with this cycle's balances. */
  const movedBooks = (): Map<string, BotState> => {
    const moved = new Map<string, BotState>();
    for (const [botId, s] of books.bots) {
      moved.set(botId, { ...s, balance: BigInt(balance[index.get(botId) ?? -1] ?? 0) as Money });
    }
    return moved;
  };
  const drift = new DriftScreen(config);

  const botAt = (k: number): readonly [number, number] | undefined =>
    funded[k] ? [balance[k] as number, capitalBase[k] as number] : undefined;

  const dayOf = dayNumbers(times);
  const metrics = new RunningMetrics(n, (dayOf.at(-1) ?? 0) + 1);
  const windows = new ReturnWindows(n);
  const longest = historySamplesToRead(config, { ...books, lastRebalance: undefined });
  const rings = new SampleRings(n, longest + 1);
  const bands = new Bands(config);
  bands.set(config, books);
  let pb = portfolioBooks(config, books);

  for (let i = 0; i < times.length; i++) {
    const at = times[i] as string;
    const day = dayOf[i] ?? 0;
    const slot = rings.slot(i);
    let active = pb.alwaysPlan;
    let total = 0;
    let deployed = 0;
    for (let k = 0; k < n; k++) {
      const now = (curveOf[k] as Float64Array)[i] as number;
      if (!Number.isNaN(now)) {
        const before = last[k] as number;
        last[k] = now;
        if (funded[k] && before > 0) {
          const moved = mulDivFloor(balance[k] as number, now, before);
          if (Number.isNaN(moved)) throw new BeyondDoublesError();
          balance[k] = moved;
        }
      }
      if (!funded[k]) continue;
      const b = balance[k] as number;
      const N = net[k] as number;
      total += b;
      if (enabled[k]) deployed += b;
      rings.put(k, i, slot, b, N);
      flagged[k] = 0;
      const units = b / 1e8;
      if (sampled[k]) {
        const was = prevBalance[k] as number;
        // With no flow since the last sample, periodReturn's own float expression, without bigints.
        const r =
          N !== prevNet[k]
            ? periodReturn(
                BigInt(was) as Money,
                BigInt(prevNet[k] as number) as Money,
                BigInt(b) as Money,
                BigInt(N) as Money,
              )
            : was > 0
              ? units / (prevUnits[k] as number) - 1
              : undefined;
        windows.push(k, r);
        if (r !== undefined) metrics.push(k, r, day);
        if (enabled[k] && windows.mayAlert(k)) flagged[k] = 1;
      }
      sampled[k] = 1;
      prevBalance[k] = b;
      prevUnits[k] = units;
      prevNet[k] = N;
      if (record.wasRefilled[k]) record.sampled(k, b >= (capitalBase[k] as number));
      if (!active && bands.acts(k, b)) active = true;
    }
    if (total + Number(pb.reserves) > Number.MAX_SAFE_INTEGER) throw new BeyondDoublesError();
    const equity = (BigInt(total) + pb.reserves) as Money;
    if (
      !active &&
      !modesMayChange(config, pb, peak, equity, BigInt(deployed) as Money) &&
      !rebalanceDue(config, { ...books, asOf: at })
    ) {
      if (equity > peak) peak = equity;
      record.cycle(Number(equity), pb.flags.halted, day);
      trace?.cycle(i, Number(equity), books.reserves, botAt, pb.flags.halted);
      for (let k = 0; k < n; k++) {
        if (!flagged[k]) continue;
        for (const a of returnAlerts(bots[k] as BotConfig, windows.returns(k))) record.alert(at, a);
      }
      // A quiet cycle plans nothing, but a pool's shares may have drifted: the policy's own check,
      // asked only when the float screen says one might have.
      if (drift.mayAlert(funded, balance, capitalBase)) {
        const state: PortfolioState = { ...books, asOf: at, peakEquity: peak, bots: movedBooks() };
        for (const a of drift.alerts(state)) record.alert(at, a);
      }
      continue;
    }

    const state: PortfolioState = { ...books, asOf: at, peakEquity: peak, bots: movedBooks() };
    const window = historySamplesToRead(config, state);
    const due = rebalanceDue(config, state);
    const history = new Map(
      bots.flatMap((b, k) =>
        funded[k] && (due || flagged[k]) ? [[b.botId, rings.history(k, i, window, times)]] : [],
      ),
    );
    const decided = plan(config, state, {
      history,
      ...(opts.customWeights && { customWeights: opts.customWeights }),
    });
    books = record.planned(at, state, decided);
    peak = books.peakEquity;
    for (const [botId, s] of books.bots) {
      const k = index.get(botId) ?? -1;
      funded[k] = 1;
      balance[k] = exact(balanceOf(s));
      net[k] = exact(netContributed(s));
      capitalBase[k] = exact(s.capitalBase);
    }
    bands.set(config, books);
    pb = portfolioBooks(config, books);
    record.cycle(Number(equity), books.flags.halted, day);
    trace?.cycle(i, Number(equity), books.reserves, botAt, books.flags.halted);
  }

  const final = new Map<string, BotState>();
  for (const [botId, s] of books.bots) {
    final.set(botId, { ...s, balance: BigInt(balance[index.get(botId) ?? -1] ?? 0) as Money });
  }
  const result = record.result(times, { ...books, peakEquity: peak, bots: final }, (k, bot) =>
    metrics.metrics(k, bot),
  );
  return trace ? { ...result, series: trace.series() } : result;
}
