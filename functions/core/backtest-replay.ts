/**
 * The plain replay: every cycle planned, every bot's whole series kept, bigint throughout — the
 * way backtests ran before the screened loop of backtest.ts, kept as its reference (the property
 * test checks that both give the same result) and as its fallback for amounts beyond what doubles
 * hold exactly (2⁵³ units: about 90 million in the currency).
 */
import { botMetrics, type EquitySample, netContributed } from './analytics.ts';
import {
  BacktestRecord,
  type BacktestResult,
  dayNumbers,
  type EquityCurves,
} from './backtest-record.ts';
import { SeriesRecorder } from './backtest-series.ts';
import type { Config } from './config.ts';
import type { Money } from './money.ts';
import { historySamplesToRead, plan, portfolioEquity } from './policy.ts';
import { balanceOf, initialState, type PortfolioState } from './state.ts';
import type { WeightsFunction } from './strategies.ts';

/** Replays `curves` planning every cycle; `curveProblems` must be empty. */
export function replayEveryCycle(
  config: Config,
  curves: EquityCurves,
  opts: { readonly customWeights?: WeightsFunction; readonly series?: boolean } = {},
): BacktestResult {
  const { times } = curves;
  let state: PortfolioState = initialState(config, times[0] ?? new Date(0).toISOString());
  const record = new BacktestRecord(config);
  const samples = new Map<string, EquitySample[]>();
  const last = new Map<string, Money>();
  const dayOf = dayNumbers(times);
  const trace = opts.series ? new SeriesRecorder(config, times) : undefined;
  times.forEach((at, i) => {
    state = { ...state, asOf: at, bots: moved(state, curves.values, i, last) };
    const window = historySamplesToRead(config, state);
    const history = new Map([...samples].map(([id, xs]) => [id, xs.slice(-window)]));
    const decided = plan(config, state, {
      history,
      ...(opts.customWeights && { customWeights: opts.customWeights }),
    });
    config.bots.forEach((bot, k) => {
      const b = state.bots.get(bot.botId);
      if (!b) return;
      const list = samples.get(bot.botId) ?? [];
      list.push({ at, balance: balanceOf(b), netContributed: netContributed(b) });
      samples.set(bot.botId, list);
      record.sampled(k, balanceOf(b) >= b.capitalBase);
    });
    const equity = portfolioEquity(state) ?? 0n;
    state = record.planned(at, state, decided);
    record.cycle(Number(equity), state.flags.halted, dayOf[i] ?? 0);
    const books = state;
    trace?.cycle(
      i,
      Number(equity),
      books.reserves,
      (k) => {
        const b = books.bots.get(config.bots[k]?.botId ?? '');
        return b ? [Number(balanceOf(b)), Number(b.capitalBase)] : undefined;
      },
      books.flags.halted,
    );
  });
  const result = record.result(times, state, (k, bot) =>
    botMetrics(bot, samples.get(config.bots[k]?.botId ?? '') ?? []),
  );
  return trace ? { ...result, series: trace.series() } : result;
}

/**
 * Every funded bot's balance after the market of row `i`: B × E_i ÷ E_{i−1} with the bot's last
 * curve value before (carried over gaps), rounded down to 10⁻⁸. A curve that reached zero no
 * longer moves the bot.
 */
function moved(
  state: PortfolioState,
  values: EquityCurves['values'],
  i: number,
  last: Map<string, Money>,
): PortfolioState['bots'] {
  const bots = new Map(state.bots);
  for (const [botId, curve] of values) {
    const point = curve[i];
    if (point === undefined || Number.isNaN(point)) continue;
    const now = BigInt(point) as Money;
    const before = last.get(botId);
    last.set(botId, now);
    const b = bots.get(botId);
    if (!b || before === undefined) continue;
    const held = balanceOf(b);
    const balance = before > 0n ? (((held * now) / before) as Money) : held;
    bots.set(botId, { ...b, balance });
  }
  return bots;
}
