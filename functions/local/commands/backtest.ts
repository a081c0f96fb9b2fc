/**
 * `botfolio backtest --config FILE --curves DIR|FILE`: replays recorded equity curves through the
 * policy (core/backtest.ts) and prints per-bot metrics and the portfolio's profit retention.
 *
 * Curves are CSV with a header: `time` first, then one column per bot id, one row per cycle:
 *
 *     time,1h_lorentzian_sol,4h_swing_btc
 *     2026-01-01T00:00:00Z,1000,1000
 *     2026-01-02T00:00:00Z,1012.5,990
 *
 * Only the ratios between rows matter (a bot's balance moves as its curve did); an empty cell
 * carries the last value over. A folder means every `*.csv` in it, merged on time. A Freqtrade
 * backtest result (`backtest-result-*.json` or `.zip`) gives one curve per strategy instead
 * (core/freqtrade.ts).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { loadAllocationModule } from '../../adapters/allocation-module.ts';
import { WIN_RATE_NOTE } from '../../core/analytics.ts';
import {
  type BacktestResult,
  backtest,
  curveProblems,
  type EquityCurves,
} from '../../core/backtest.ts';
import type { Config } from '../../core/config.ts';
import type { CurveTarget } from '../../core/freqtrade.ts';
import { formatMoney, type Money } from '../../core/money.ts';
import type { StressScenario } from '../../core/stress-spec.ts';
import { TRANSFER_KINDS } from '../../core/transfer.ts';
import { UserFileError } from '../files.ts';
import { freqtradeFileCurves, isResultsFile } from '../freqtrade-file.ts';
import { type Align, renderTable } from '../table.ts';

/** One CSV file's curves: its rows' times (ms, in file order) and a column per bot, in 10⁻⁸ units. */
interface CsvCurves {
  readonly times: number[];
  readonly columns: Map<string, Float64Array>;
}

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const AMOUNT = /^(\d+)(?:\.(\d{0,8})0*)?$/;

/** An amount ≥ 0 of at most 8 decimals as exact 10⁻⁸ units, or undefined. */
function unitsOf(cell: string): number | undefined {
  const m = AMOUNT.exec(cell);
  if (!m) return undefined;
  const units = Number(m[1]) * 1e8 + Number((m[2] ?? '').padEnd(8, '0'));
  return Number.isSafeInteger(units) ? units : undefined;
}

/** Reads a CSV of equity curves, collecting every problem with its file and line. */
export function parseCurvesCsv(text: string, file: string, problems: string[]): CsvCurves {
  const lines = text.split(/\r?\n/);
  while (lines.length > 1 && (lines.at(-1) ?? '').trim() === '') lines.pop();
  const header = (lines[0] ?? '').split(',').map((h) => h.trim());
  if (header[0]?.toLowerCase() !== 'time' || header.length < 2) {
    problems.push(
      `${file}:1: expected a header "time,<bot id>,<bot id>…" (got "${lines[0] ?? ''}")`,
    );
    return { times: [], columns: new Map() };
  }
  const bots = header.slice(1);
  const rows = lines.length - 1;
  const columns = new Map(bots.map((b) => [b, new Float64Array(rows).fill(Number.NaN)]));
  const times: number[] = [];
  const seen = new Set<number>();
  for (let i = 0; i < rows; i++) {
    const line = lines[i + 1] ?? '';
    const at = `${file}:${i + 2}`;
    if (line.trim() === '') continue;
    const cells = line.split(',').map((c) => c.trim());
    // A short row is a cut line or a missing comma, not a carried-over value (that is ",,").
    if (cells.length !== header.length) {
      problems.push(
        `${at}: ${cells.length} cell(s) where the header has ${header.length} (time, ${bots.join(', ')}): give every cell, an empty one (",,") to carry a value over`,
      );
      continue;
    }
    const timeText = cells[0] ?? '';
    const ms = Date.parse(DATE_ONLY.test(timeText) ? `${timeText}T00:00:00Z` : timeText);
    if (Number.isNaN(ms)) {
      problems.push(`${at}: time "${timeText}" is not an ISO date or date-time`);
      continue;
    }
    if (seen.has(ms)) problems.push(`${at}: time ${timeText} appears twice`);
    seen.add(ms);
    const row = times.length;
    times.push(ms);
    for (let k = 0; k < bots.length; k++) {
      const cell = (cells[k + 1] ?? '').trim();
      if (cell === '') continue;
      const units = unitsOf(cell);
      if (units === undefined) {
        problems.push(
          `${at}: ${bots[k]} equity "${cell}" is not an amount ≥ 0 of at most 8 decimals (and below 90 million)`,
        );
      } else {
        (columns.get(bots[k] ?? '') as Float64Array)[row] = units;
      }
    }
  }
  for (const [bot, column] of columns) columns.set(bot, column.subarray(0, times.length));
  return { times, columns };
}

/** What a Freqtrade results file's curves are fitted to: the config's bots, currency and step. */
export const curveTarget = (config: Config): CurveTarget => ({
  botIds: config.bots.map((b) => b.botId),
  currency: config.currency,
  stepMs: config.checkIntervalMs,
});

/**
 * The curves of a CSV file, of every CSV file of a folder (on one clock), or of a Freqtrade
 * backtest result (`.json`, or the `.zip` around it; told by extension or content) fitted to
 * `target` (freqtrade-file.ts).
 */
export function readCurves(path: string, target: CurveTarget): EquityCurves {
  let files: string[];
  try {
    files = statSync(path).isDirectory()
      ? readdirSync(path)
          .filter((f) => f.endsWith('.csv'))
          .sort()
          .map((f) => join(path, f))
      : [path];
  } catch {
    throw new UserFileError(`cannot read curves ${path}: no such file or folder`);
  }
  if (files.length === 0) throw new UserFileError(`no .csv file in ${path}`);
  if (files.length === 1 && files[0] === path) {
    const bytes = readFileSync(path);
    if (isResultsFile(path, bytes)) return freqtradeFileCurves(path, bytes, target);
  }
  const problems: string[] = [];
  const parsed = files.map((file) => ({
    file,
    ...parseCurvesCsv(readFileSync(file, 'utf8'), file, problems),
  }));
  const owner = new Map<string, string>();
  for (const { file, columns } of parsed) {
    for (const bot of columns.keys()) {
      const first = owner.get(bot);
      if (first !== undefined) problems.push(`${file}: bot ${bot} already has a curve in ${first}`);
      else owner.set(bot, file);
    }
  }
  if (problems.length > 0) throw new UserFileError(`invalid curves:\n  ${problems.join('\n  ')}`);
  // Merged on time: each file's rows placed at their time's row of the union.
  const times = [...new Set(parsed.flatMap((p) => p.times))].sort((a, b) => a - b);
  const rowOf = new Map(times.map((ms, i) => [ms, i]));
  const values = new Map<string, Float64Array>();
  for (const { columns, times: own } of parsed) {
    const rows = own.map((ms) => rowOf.get(ms) ?? 0);
    for (const [bot, column] of columns) {
      if (values.has(bot)) continue;
      const merged = new Float64Array(times.length).fill(Number.NaN);
      column.forEach((x, i) => {
        merged[rows[i] ?? 0] = x;
      });
      values.set(bot, merged);
    }
  }
  return { times: times.map((ms) => new Date(ms).toISOString().replace('.000Z', 'Z')), values };
}

const pct = (x: number | undefined) => (x === undefined ? '—' : `${(x * 100).toFixed(1)}%`);
const num = (x: number | undefined) => (x === undefined ? '—' : x.toFixed(2));

const BOT_TABLE_HEAD = [
  'bot',
  'pool',
  'balance',
  'PnL',
  'harvested',
  'refilled',
  'protected',
  'win rate*',
  'Sharpe*',
  'max DD',
];
const BOT_TABLE_ALIGN: Align[] = ['left', 'left', ...Array<Align>(8).fill('right')];

/** The result as text: a table of bots, then the portfolio. */
export function renderBacktest(config: Config, source: string, r: BacktestResult): string {
  const m2 = (m: Money) => formatMoney(m, 2);
  const rows: string[][] = [];
  for (const b of r.bots) {
    rows.push([
      b.botId,
      b.pool,
      m2(b.balance),
      m2(b.metrics.pnl),
      m2(b.harvested),
      m2(b.refilled),
      m2(b.protected),
      pct(b.metrics.winRate),
      num(b.metrics.sharpe),
      pct(b.metrics.maxDrawdown),
    ]);
  }
  const p = r.portfolio;
  const lr = p.lossRecovery;
  const transfers = TRANSFER_KINDS.filter((k) => r.transfers[k].count > 0)
    .map((k) => `${r.transfers[k].count} ${k} (${m2(r.transfers[k].amount)})`)
    .join(', ');
  const lines = [
    `backtest of ${source}: ${r.bots.length} bots, ${r.cycles} cycles, ${r.from} → ${r.to}`,
    '',
    renderTable({ head: BOT_TABLE_HEAD, align: BOT_TABLE_ALIGN }, rows),
    `* ${WIN_RATE_NOTE}; Sharpe annualised (√365) on daily returns, risk-free 0; all on flow-adjusted returns`,
    '',
    `portfolio: equity ${m2(r.startEquity)} → ${m2(r.endEquity)} ${config.currency} (peak ${m2(r.peakEquity)}), mode at the end: ${r.mode}`,
    `  profit retention: ${pct(p.profitRetention)} (harvested ${m2(p.harvested)} of a gross profit of ${m2(p.grossProfit)})`,
    `  loss recovery: ${lr.refilled === 0 ? 'no bot was refilled' : `${lr.recovered} of ${lr.refilled} refilled bots got back to their capital base (${pct(lr.rate)})`}`,
    `  transfers (all completed in a backtest): ${transfers || 'none'}`,
    `  transfer fees: ${m2(r.fees)} ${config.currency} (transfer_fee × amount, out of the bots' equity)`,
  ];
  if (r.events.length > 0) {
    lines.push('', 'events:');
    for (const e of r.events) {
      lines.push(
        `  ${e.at} ${e.alert.severity} ${e.alert.code}${e.alert.botId ? ` [${e.alert.botId}]` : ''}: ${e.alert.message}`,
      );
    }
  }
  return lines.join('\n');
}

/** The result as JSON: amounts as 8-decimal strings, ratios as numbers (null when undefined). */
export function backtestToJson(r: BacktestResult): Record<string, unknown> {
  const m = (x: Money) => formatMoney(x);
  const n = (x: number | undefined) => x ?? null;
  return {
    cycles: r.cycles,
    from: r.from,
    to: r.to,
    start_equity: m(r.startEquity),
    end_equity: m(r.endEquity),
    peak_equity: m(r.peakEquity),
    mode: r.mode,
    win_rate_is: WIN_RATE_NOTE,
    bots: r.bots.map((b) => ({
      bot_id: b.botId,
      pool: b.pool,
      balance: m(b.balance),
      capital_base: m(b.capitalBase),
      contributed: m(b.contributed),
      harvested: m(b.harvested),
      protected: m(b.protected),
      refilled: m(b.refilled),
      refills: b.refills,
      total_pnl: m(b.metrics.pnl),
      days: b.metrics.days,
      win_rate: n(b.metrics.winRate),
      sharpe: n(b.metrics.sharpe),
      max_drawdown: b.metrics.maxDrawdown,
    })),
    portfolio: {
      harvested: m(r.portfolio.harvested),
      gross_profit: m(r.portfolio.grossProfit),
      profit_retention: n(r.portfolio.profitRetention),
      refilled_bots: r.portfolio.lossRecovery.refilled,
      recovered_bots: r.portfolio.lossRecovery.recovered,
      loss_recovery_rate: n(r.portfolio.lossRecovery.rate),
    },
    transfers: Object.fromEntries(
      TRANSFER_KINDS.map((k) => [
        k,
        { count: r.transfers[k].count, amount: m(r.transfers[k].amount) },
      ]),
    ),
    fees: m(r.fees),
    events: r.events.map((e) => ({
      at: e.at,
      severity: e.alert.severity,
      code: e.alert.code,
      bot_id: e.alert.botId ?? null,
      message: e.alert.message,
    })),
  };
}

export async function backtestCommand(
  config: Config,
  configFile: string,
  curvesPath: string,
  json: boolean,
  stress?: { readonly scenarios: readonly StressScenario[]; readonly seed: number },
  report?: string,
): Promise<number> {
  const customWeights = await loadAllocationModule(config, configFile);
  const curves = readCurves(curvesPath, curveTarget(config));
  const problems = curveProblems(config, curves);
  if (problems.length > 0) {
    throw new UserFileError(
      `curves ${curvesPath} do not fit config ${configFile}:\n  ${problems.join('\n  ')}`,
    );
  }
  if (stress) {
    const { renderStress, stressReport, stressToJson } = await import('./stress.ts');
    const report = stressReport(config, curves, stress.scenarios, stress.seed, customWeights);
    process.stdout.write(
      `${json ? JSON.stringify(stressToJson(report), null, 2) : renderStress(config, curvesPath, curves, report)}\n`,
    );
    return 0;
  }
  const result = backtest(config, curves, {
    ...(customWeights && { customWeights }),
    series: report !== undefined,
  });
  if (report !== undefined) {
    const { writeReport } = await import('./report.ts');
    writeReport({
      file: report,
      config,
      curves,
      result,
      title: `Backtest of ${configFile} on ${curvesPath}`,
    });
  }
  process.stdout.write(
    `${json ? JSON.stringify(backtestToJson(result), null, 2) : renderBacktest(config, curvesPath, result)}\n`,
  );
  return 0;
}
