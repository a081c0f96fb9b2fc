/**
 * Freqtrade backtest results as equity curves: each strategy of a `backtest-result-*.json` (the
 * JSON inside the `.zip` newer Freqtrade writes) becomes one bot's curve — its `starting_balance`
 * plus the `profit_abs` of every trade closed by each step, on a grid of `stepMs` from the
 * backtest's start to its end. Pure: the caller reads the file and names it in the errors.
 *
 * The format, as Freqtrade writes it (freqtrade/freqtrade,
 * freqtrade/optimize/optimize_reports/optimize_reports.py `generate_strategy_stats`; the loader
 * freqtrade/data/btanalysis/bt_fileutils.py `load_backtest_stats`, which reads `<name>.json`
 * out of `<name>.zip`):
 *
 *     { "strategy": { "<name>": {
 *         "starting_balance": 1000, "stake_currency": "USDT",
 *         "backtest_start_ts": 1704067200000, "backtest_end_ts": 1704412800000,
 *         "trades": [ { "close_date": "2024-01-02 10:00:00+00:00", "close_timestamp": 1704189600000,
 *                       "profit_abs": 12.5, … }, … ] } },
 *       "strategy_comparison": [ … ] }
 *
 * A strategy maps to a bot: by name when every strategy is named after a bot id of the config,
 * else in order (the file's strategies, in file order, to the config's bots, in config order)
 * when none is and the counts match. Anything else is refused.
 */
import type { EquityCurves } from './backtest-record.ts';

export class FreqtradeResultsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FreqtradeResultsError';
  }
}

/** One strategy's closed trades, as exact 10⁻⁸ units. */
export interface FreqtradeStrategy {
  readonly name: string;
  readonly currency: string | undefined;
  /** starting_balance in 10⁻⁸ units. */
  readonly start: number;
  /** Each trade's close (ms) and profit (10⁻⁸ units), in close order. */
  readonly closes: readonly { readonly ms: number; readonly profit: number }[];
  readonly fromMs: number | undefined;
  readonly toMs: number | undefined;
}

const isRecord = (x: unknown): x is Record<string, unknown> =>
  typeof x === 'object' && x !== null && !Array.isArray(x);

const units = (x: number) => Math.round(x * 1e8);

function closeOf(trade: Record<string, unknown>): number | undefined {
  if (typeof trade.close_timestamp === 'number' && Number.isFinite(trade.close_timestamp)) {
    return trade.close_timestamp;
  }
  if (typeof trade.close_date === 'string') {
    const ms = Date.parse(trade.close_date);
    return Number.isNaN(ms) ? undefined : ms;
  }
  return undefined;
}

const msOf = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) ? x : undefined);

/** The strategies of a parsed results file; throws FreqtradeResultsError on the first problem. */
export function parseFreqtradeResults(json: unknown): FreqtradeStrategy[] {
  if (!isRecord(json) || !isRecord(json.strategy) || Object.keys(json.strategy).length === 0) {
    throw new FreqtradeResultsError(
      'no strategy results (expected {"strategy": {"<name>": {"trades": […]}}})',
    );
  }
  return Object.entries(json.strategy).map(([name, s]) => {
    if (!isRecord(s)) throw new FreqtradeResultsError(`strategy ${name} is not an object`);
    const balance = s.starting_balance;
    if (typeof balance !== 'number' || !Number.isFinite(balance) || balance <= 0) {
      throw new FreqtradeResultsError(
        `strategy ${name} has no starting_balance (a number > 0; got ${JSON.stringify(balance)})`,
      );
    }
    if (!Array.isArray(s.trades)) {
      throw new FreqtradeResultsError(`strategy ${name} has no trades list`);
    }
    const closes = s.trades.map((t: unknown, i) => {
      const n = i + 1;
      if (!isRecord(t))
        throw new FreqtradeResultsError(`trade ${n} of strategy ${name} is not an object`);
      const ms = closeOf(t);
      if (ms === undefined) {
        throw new FreqtradeResultsError(
          `trade ${n} of strategy ${name} has no close_date (or close_timestamp in ms)`,
        );
      }
      if (typeof t.profit_abs !== 'number' || !Number.isFinite(t.profit_abs)) {
        throw new FreqtradeResultsError(
          `trade ${n} of strategy ${name} has no profit_abs (a number; got ${JSON.stringify(t.profit_abs)})`,
        );
      }
      return { ms, profit: units(t.profit_abs) };
    });
    closes.sort((a, b) => a.ms - b.ms);
    return {
      name,
      currency: typeof s.stake_currency === 'string' ? s.stake_currency : undefined,
      start: units(balance),
      closes,
      fromMs: msOf(s.backtest_start_ts),
      toMs: msOf(s.backtest_end_ts),
    };
  });
}

/** What the config says about the curves it wants: its bots, in order, and its currency. */
export interface CurveTarget {
  readonly botIds: readonly string[];
  readonly currency: string;
  /** The grid's step (the config's check interval). */
  readonly stepMs: number;
}

/** Each strategy's bot id: by name, or in order (see the module's note). */
export function botIdsOf(strategies: readonly FreqtradeStrategy[], target: CurveTarget): string[] {
  const known = new Set(target.botIds);
  const named = strategies.filter((s) => known.has(s.name));
  if (named.length === strategies.length) return strategies.map((s) => s.name);
  if (named.length === 0 && strategies.length === target.botIds.length) {
    return [...target.botIds];
  }
  if (named.length === 0) {
    throw new FreqtradeResultsError(
      `${strategies.length} strategies for ${target.botIds.length} bots of the config: name each strategy after its bot_id, or give one strategy per bot (in config order)`,
    );
  }
  const stray = strategies.filter((s) => !known.has(s.name)).map((s) => s.name);
  throw new FreqtradeResultsError(
    `strategies ${stray.join(', ')} are not bot ids of the config (the others are): name every strategy after its bot_id, or none`,
  );
}

/**
 * The strategies' equity curves on one grid: from the earliest `backtest_start_ts` (else the
 * first close) every `stepMs` until a point at or past the latest `backtest_end_ts` (else the
 * last close); each point is starting_balance plus the profit of the trades closed by then.
 */
export function freqtradeCurves(
  strategies: readonly FreqtradeStrategy[],
  target: CurveTarget,
): EquityCurves {
  for (const s of strategies) {
    if (s.currency !== undefined && s.currency !== target.currency) {
      throw new FreqtradeResultsError(
        `strategy ${s.name} trades in ${s.currency}, the config's currency is ${target.currency}`,
      );
    }
  }
  const ids = botIdsOf(strategies, target);
  const allCloses = strategies.flatMap((s) => s.closes.map((c) => c.ms));
  const starts = strategies.flatMap((s) => (s.fromMs === undefined ? [] : [s.fromMs]));
  const ends = strategies.flatMap((s) => (s.toMs === undefined ? [] : [s.toMs]));
  // Reduced, not spread: a long backtest has more trades than a call has room for arguments.
  const from = (starts.length > 0 ? starts : allCloses).reduce(
    (a, b) => Math.min(a, b),
    Number.POSITIVE_INFINITY,
  );
  const to = [...ends, ...allCloses].reduce((a, b) => Math.max(a, b), Number.NEGATIVE_INFINITY);
  if (!Number.isFinite(from) || !Number.isFinite(to)) {
    throw new FreqtradeResultsError(
      'no trades and no backtest_start_ts/backtest_end_ts: no time span',
    );
  }
  const step = target.stepMs;
  const points = Math.ceil((to - from) / step) + 1;
  const times = Array.from({ length: points }, (_, i) =>
    new Date(from + i * step).toISOString().replace('.000Z', 'Z'),
  );
  const values = new Map<string, Float64Array>();
  strategies.forEach((s, k) => {
    const curve = new Float64Array(points);
    let equity = s.start;
    let j = 0;
    for (let i = 0; i < points; i++) {
      const at = from + i * step;
      while (j < s.closes.length && (s.closes[j]?.ms ?? Number.POSITIVE_INFINITY) <= at) {
        equity += s.closes[j]?.profit ?? 0;
        j++;
      }
      if (equity < 0) {
        throw new FreqtradeResultsError(
          `strategy ${s.name} falls below 0 by ${times[i]} (starting_balance plus its trades' profit_abs)`,
        );
      }
      curve[i] = equity;
    }
    values.set(ids[k] as string, curve);
  });
  return { times, values };
}
