/**
 * `botfolio backtest … --report FILE`: the backtest of the config (with its series) drawn into one
 * self-contained HTML file (local/report.ts), beside no manager at all and, for a sweep, its heat
 * map and ranking. Loaded only when a report is asked for: the charts library stays out of the
 * other commands.
 */
import { writeFileSync } from 'node:fs';
import {
  type BacktestResult,
  type BacktestSeries,
  backtest,
  type EquityCurves,
} from '../../core/backtest.ts';
import type { Config } from '../../core/config.ts';
import { type Heatmap, reportData } from '../../core/report-data.ts';
import type { WeightsFunction } from '../../core/strategies.ts';
import type { Outcome } from '../../core/sweep.ts';
import { unmanagedEquity } from '../../core/sweep.ts';
import { reportHtml, sweepTable } from '../report.ts';

export interface ReportRequest {
  readonly file: string;
  readonly config: Config;
  readonly curves: EquityCurves;
  readonly title: string;
  readonly customWeights?: WeightsFunction;
  /** A backtest already run with `series: true`; else it is run here. */
  readonly result?: BacktestResult;
  readonly heatmap?: Heatmap;
  readonly ranked?: readonly Outcome[];
}

/** Writes the report; says where on stderr (stdout stays the command's own output). */
export function writeReport(r: ReportRequest): void {
  const result =
    r.result?.series !== undefined
      ? r.result
      : backtest(r.config, r.curves, {
          series: true,
          ...(r.customWeights && { customWeights: r.customWeights }),
        });
  const data = reportData({
    config: r.config,
    title: r.title,
    result: result as BacktestResult & { series: BacktestSeries },
    unmanaged: unmanagedEquity(r.config, r.curves),
    ...(r.heatmap && { heatmap: r.heatmap }),
  });
  writeFileSync(r.file, reportHtml(data, r.ranked ? sweepTable(r.ranked) : ''));
  process.stderr.write(`report written to ${r.file}\n`);
}
