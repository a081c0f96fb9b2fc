/**
 * `botfolio backtest --stress SCENARIO[,SCENARIO…] [--seed N]`: the backtest of the curves as
 * recorded (the baseline) beside the backtest of each scenario's bent curves (core/stress.ts),
 * the same policy replayed on each; a bootstrap gives the p5 / p50 / p95 of its variants.
 */

import { backtest, type EquityCurves } from '../../core/backtest.ts';
import type { Config } from '../../core/config.ts';
import type { WeightsFunction } from '../../core/strategies.ts';
import { applyShock, bootstrapVariants, percentile, scenarioRng } from '../../core/stress.ts';
import { type StressScenario, StressSpecError } from '../../core/stress-spec.ts';
import { OUTCOME_COLUMNS, type Outcome, outcomeOf } from '../../core/sweep.ts';
import { UserFileError } from '../files.ts';
import { type Align, renderTable } from '../table.ts';

type Metrics = Omit<Outcome, 'label'>;

export type StressRow =
  | {
      readonly scenario: string;
      readonly kind: 'shock';
      readonly at: string;
      readonly bots: readonly string[];
      readonly metrics: Metrics;
    }
  | {
      readonly scenario: string;
      readonly kind: 'bootstrap';
      readonly variants: number;
      readonly p5: Metrics;
      readonly p50: Metrics;
      readonly p95: Metrics;
    };

export interface StressReport {
  readonly seed: number;
  readonly baseline: Metrics;
  readonly rows: readonly StressRow[];
}

const metricsOf = (o: Outcome): Metrics => {
  const { label: _, ...m } = o;
  return m;
};

/** Each metric's p-quantile over the variants, on its own (nulls left out). */
function quantiles(all: readonly Metrics[], p: number): Metrics {
  const q = (pick: (m: Metrics) => number | null) =>
    percentile(
      all.map(pick).filter((x): x is number => x !== null),
      p,
    );
  return {
    endEquity: q((m) => m.endEquity) ?? 0,
    maxDrawdown: q((m) => m.maxDrawdown) ?? 0,
    profitRetention: q((m) => m.profitRetention) ?? null,
    lossRecovery: q((m) => m.lossRecovery) ?? null,
    transfers: q((m) => m.transfers) ?? 0,
    fees: q((m) => m.fees) ?? 0,
    daysHalted: q((m) => m.daysHalted) ?? 0,
  };
}

/** The baseline and every scenario's backtest. */
export function stressReport(
  config: Config,
  curves: EquityCurves,
  scenarios: readonly StressScenario[],
  seed: number,
  customWeights?: WeightsFunction,
): StressReport {
  const run = (c: EquityCurves) =>
    metricsOf(outcomeOf('', backtest(config, c, customWeights ? { customWeights } : {})));
  const rows = scenarios.map((s, index): StressRow => {
    const rng = scenarioRng(seed, index);
    try {
      if (s.kind === 'shock') {
        const shocked = applyShock(curves, s, rng);
        return {
          scenario: s.spec,
          kind: 'shock',
          at: shocked.at,
          bots: shocked.bots,
          metrics: run(shocked.curves),
        };
      }
      const all = [...bootstrapVariants(curves, s, rng)].map(run);
      return {
        scenario: s.spec,
        kind: 'bootstrap',
        variants: s.variants,
        p5: quantiles(all, 0.05),
        p50: quantiles(all, 0.5),
        p95: quantiles(all, 0.95),
      };
    } catch (e) {
      if (e instanceof StressSpecError) throw new UserFileError(e.message);
      throw e;
    }
  });
  return { seed, baseline: run(curves), rows };
}

const snake = (m: Metrics) => ({
  end_equity: m.endEquity,
  max_drawdown: m.maxDrawdown,
  profit_retention: m.profitRetention,
  loss_recovery_rate: m.lossRecovery,
  transfers: m.transfers,
  fees: m.fees,
  days_halted: m.daysHalted,
});

/** The report as JSON: ratios and amounts as numbers (the quantiles are not amounts booked). */
export function stressToJson(r: StressReport): Record<string, unknown> {
  return {
    seed: r.seed,
    baseline: snake(r.baseline),
    scenarios: r.rows.map((row) =>
      row.kind === 'shock'
        ? { scenario: row.scenario, at: row.at, bots: row.bots, ...snake(row.metrics) }
        : {
            scenario: row.scenario,
            variants: row.variants,
            p5: snake(row.p5),
            p50: snake(row.p50),
            p95: snake(row.p95),
          },
    ),
  };
}

const pct = (x: number | null) => (x === null ? '—' : `${(x * 100).toFixed(1)}%`);

const SCENARIO_TABLE_HEAD = ['scenario', 'from', 'end equity', 'vs baseline', ...OUTCOME_COLUMNS];
const SCENARIO_TABLE_ALIGN: Align[] = ['left', 'left', ...Array<Align>(8).fill('right')];

/** The report as a table: the baseline first, then each scenario (a bootstrap on three rows). */
export function renderStress(
  config: Config,
  source: string,
  curves: EquityCurves,
  r: StressReport,
): string {
  const rows: string[][] = [];
  const line = (label: string, from: string, m: Metrics) => [
    label,
    from,
    m.endEquity.toFixed(2),
    label === 'baseline'
      ? ''
      : `${m.endEquity >= r.baseline.endEquity ? '+' : ''}${(m.endEquity - r.baseline.endEquity).toFixed(2)}`,
    pct(m.maxDrawdown),
    pct(m.profitRetention),
    pct(m.lossRecovery),
    String(m.transfers),
    m.fees.toFixed(2),
    String(m.daysHalted),
  ];
  rows.push(line('baseline', '', r.baseline));
  for (const row of r.rows) {
    if (row.kind === 'shock') {
      rows.push(line(row.scenario, row.at, row.metrics));
    } else {
      for (const p of ['p5', 'p50', 'p95'] as const) {
        rows.push(line(`${row.scenario} ${p}`, `${row.variants} variants`, row[p]));
      }
    }
  }
  const bootstrap = r.rows.some((row) => row.kind === 'bootstrap');
  return [
    `stress test of ${source}: ${curves.values.size} bots, ${curves.times.length} cycles, ${curves.times[0]} → ${curves.times.at(-1)}, seed ${r.seed}; end equity in ${config.currency}`,
    renderTable({ head: SCENARIO_TABLE_HEAD, align: SCENARIO_TABLE_ALIGN }, rows),
    ...(bootstrap
      ? ['a bootstrap row (p5, p50, p95) is each metric’s own percentile over the variants']
      : []),
  ].join('\n');
}
