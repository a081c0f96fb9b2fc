/**
 * What the backtest report draws (`botfolio backtest --report`), as plain numbers: equity with and
 * without the manager, the underwater plot against the emergency stop, the reserves against their
 * floors, the transfers on the timeline, each bot's balance against its capital base, the metrics
 * and, for a sweep, the heat map of two parameters. Pure: the charts (local/report.ts) only draw it.
 *
 * A year of 15-minute cycles is 35,040 points per series; a chart shows at most `maxPoints` of
 * them, every series on the same cycles, and the drawdown keeps each stretch's deepest point so
 * the plot's trough is the backtest's maximum drawdown.
 */
import { EMERGENCY_ACCOUNT, EMERGENCY_RESERVE } from './accounts.ts';
import type { BacktestResult, BacktestSeries } from './backtest.ts';
import type { Config } from './config.ts';
import { ratioToFloat, toFloat } from './money.ts';
import type { Outcome, ParameterSet } from './sweep.ts';
import type { TransferKind } from './transfer.ts';
import { reserveFloor } from './venues.ts';

export const DEFAULT_MAX_POINTS = 600;

export interface Line {
  readonly name: string;
  /** One value per shown time; null where there is none (a bot not yet funded). */
  readonly values: readonly (number | null)[];
}

export interface BotPanel {
  readonly botId: string;
  readonly pool: string;
  readonly balance: Line;
  readonly capitalBase: Line;
}

export interface TransferPoint {
  readonly at: string;
  readonly kind: TransferKind;
  readonly botId: string;
  readonly amount: number;
}

export interface MetricRow {
  readonly label: string;
  readonly managed: string;
  readonly unmanaged: string;
}

export interface Heatmap {
  readonly x: string;
  readonly y: string | undefined;
  readonly xs: readonly string[];
  readonly ys: readonly string[];
  /** [x index, y index, the best end equity of the sets with those two values]. */
  readonly cells: readonly (readonly [number, number, number])[];
}

export interface ReportData {
  readonly title: string;
  readonly currency: string;
  /** The cycles shown (at most `maxPoints`, first and last included). */
  readonly times: readonly string[];
  readonly equity: readonly [Line, Line];
  /** Fall from the running peak, as a negative fraction (−0.25 = 25 % under the peak). */
  readonly drawdown: readonly [Line, Line];
  /** The emergency stop's drawdown as a negative fraction, when one is configured. */
  readonly emergencyStop: number | undefined;
  readonly reserves: readonly Line[];
  /** Each reserve's floor (the emergency reserve's minimum; pools' reserves may go to zero). */
  readonly floors: ReadonlyMap<string, number>;
  readonly transfers: readonly TransferPoint[];
  readonly bots: readonly BotPanel[];
  readonly metrics: readonly MetricRow[];
  readonly heatmap?: Heatmap;
}

/** The cycles to show: all of them up to `max`, else evenly spaced ones with the last. */
export function shownCycles(n: number, max: number): number[] {
  if (n <= max) return Array.from({ length: n }, (_, i) => i);
  const step = (n - 1) / (max - 1);
  const out: number[] = [];
  for (let j = 0; j < max; j++) out.push(Math.round(j * step));
  return out;
}

/** Each cycle's fall from the running peak (≤ 0; 0 before the first positive peak). */
export function underwater(equity: ArrayLike<number>): Float64Array {
  const out = new Float64Array(equity.length);
  let peak = 0;
  for (let i = 0; i < equity.length; i++) {
    const e = equity[i] as number;
    if (e > peak) peak = e;
    out[i] = peak > 0 && e < peak ? (e - peak) / peak : 0;
  }
  return out;
}

const pick = (xs: ArrayLike<number>, shown: readonly number[]): (number | null)[] =>
  shown.map((i) => {
    const x = xs[i];
    return x === undefined || Number.isNaN(x) ? null : round(x);
  });

/** The deepest point of each stretch between two shown cycles (the stretch ending at it). */
const deepest = (xs: Float64Array, shown: readonly number[]): number[] =>
  shown.map((i, j) => {
    const from = j === 0 ? 0 : (shown[j - 1] as number) + 1;
    let low = 0;
    for (let t = from; t <= i; t++) low = Math.min(low, xs[t] as number);
    return Math.round(low * 1e6) / 1e6;
  });

const round = (x: number) => Math.round(x * 100) / 100;
const pct = (x: number | null | undefined) =>
  x === null || x === undefined ? '—' : `${(x * 100).toFixed(1)} %`;

export interface ReportInput {
  readonly config: Config;
  readonly title: string;
  readonly result: BacktestResult & { readonly series: BacktestSeries };
  /** No manager's equity, one point per cycle (sweep.ts `unmanagedEquity`). */
  readonly unmanaged: Float64Array;
  readonly maxPoints?: number;
  readonly heatmap?: Heatmap;
}

/** Everything the report draws, from a backtest with its series. */
export function reportData(input: ReportInput): ReportData {
  const { config, result, unmanaged } = input;
  const s = result.series;
  const shown = shownCycles(s.times.length, input.maxPoints ?? DEFAULT_MAX_POINTS);
  const unmanagedEnd = unmanaged.at(-1) ?? toFloat(config.totalCapital);
  const unmanagedDrawdown = underwater(unmanaged);
  const managedDrawdown = underwater(s.equity);
  const floors = new Map([...s.reserves.keys()].map((r) => [r, toFloat(reserveFloor(config, r))]));
  const stop = config.emergencyStop?.maxDrawdownPercent;
  const p = result.portfolio;
  const transfers = result.timeline.map((t) => ({
    at: t.at,
    kind: t.kind,
    botId: t.botId,
    amount: toFloat(t.amount),
  }));
  const fees = toFloat(result.fees);
  return {
    title: input.title,
    currency: config.currency,
    times: shown.map((i) => s.times[i] as string),
    equity: [
      { name: 'with the manager', values: pick(s.equity, shown) },
      { name: 'no manager (each bot keeps its allocation)', values: pick(unmanaged, shown) },
    ],
    drawdown: [
      { name: 'with the manager', values: deepest(managedDrawdown, shown) },
      { name: 'no manager', values: deepest(unmanagedDrawdown, shown) },
    ],
    emergencyStop: stop === undefined ? undefined : -ratioToFloat(stop) / 100,
    reserves: [...s.reserves].map(([name, xs]) => ({
      name: name === EMERGENCY_RESERVE ? EMERGENCY_ACCOUNT : `reserve:${name}`,
      values: pick(xs, shown),
    })),
    floors: new Map([...floors].map(([r, f]) => [`reserve:${r}`, f])),
    transfers,
    bots: result.bots.map((b) => ({
      botId: b.botId,
      pool: b.pool,
      balance: { name: 'balance', values: pick(s.balances.get(b.botId) ?? [], shown) },
      capitalBase: { name: 'capital base', values: pick(s.capitalBases.get(b.botId) ?? [], shown) },
    })),
    metrics: [
      {
        label: `end equity (${config.currency})`,
        managed: toFloat(result.endEquity).toFixed(2),
        unmanaged: unmanagedEnd.toFixed(2),
      },
      {
        label: 'return',
        managed: pct(toFloat(result.endEquity) / toFloat(result.startEquity) - 1),
        unmanaged: pct(unmanagedEnd / toFloat(config.totalCapital) - 1),
      },
      {
        label: 'max drawdown',
        managed: pct(result.maxDrawdown),
        unmanaged: pct(-Math.min(0, ...unmanagedDrawdown)),
      },
      { label: 'profit retention', managed: pct(p.profitRetention), unmanaged: '—' },
      { label: 'loss recovery', managed: pct(p.lossRecovery.rate), unmanaged: '—' },
      { label: 'transfers', managed: String(result.timeline.length), unmanaged: '0' },
      { label: `fees (${config.currency})`, managed: fees.toFixed(2), unmanaged: '0.00' },
      { label: 'days halted', managed: String(result.daysHalted), unmanaged: '0' },
      { label: 'mode at the end', managed: result.mode, unmanaged: '—' },
    ],
    ...(input.heatmap && { heatmap: input.heatmap }),
  };
}

/** One backtest of a sweep: its parameter set and what came of it. */
export interface SweptOutcome {
  readonly set: ParameterSet;
  readonly outcome: Outcome;
}

/**
 * The heat map of parameters `x` and `y` (y undefined: a single row): each cell the best end
 * equity among the sets with those two values (the other parameters at their best). Sets that
 * do not name `x` (the current config) are left out.
 */
export function heatmapOf(swept: readonly SweptOutcome[], x: string, y?: string): Heatmap {
  const xs: string[] = [];
  const ys: string[] = [];
  const best = new Map<string, number>();
  const indexIn = (list: string[], v: string) => {
    const at = list.indexOf(v);
    if (at >= 0) return at;
    list.push(v);
    return list.length - 1;
  };
  for (const { set, outcome } of swept) {
    if (!Object.hasOwn(set, x) || (y !== undefined && !Object.hasOwn(set, y))) continue;
    const xi = indexIn(xs, String(set[x]));
    const yi = y === undefined ? indexIn(ys, '—') : indexIn(ys, String(set[y]));
    const key = `${xi},${yi}`;
    best.set(key, Math.max(best.get(key) ?? Number.NEGATIVE_INFINITY, outcome.endEquity));
  }
  const cells = [...best].map(([key, v]) => {
    const [xi, yi] = key.split(',').map(Number) as [number, number];
    return [xi, yi, round(v)] as const;
  });
  return { x, y, xs, ys, cells };
}
