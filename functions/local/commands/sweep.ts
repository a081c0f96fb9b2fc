/**
 * `botfolio backtest --sweep FILE`: the backtest of every parameter set of a sweep file
 * (core/sweep.ts), in worker threads (one per core), with a progress bar on a terminal, then a
 * ranked table of the outcomes beside the current config and no manager at all.
 *
 *     { "mode": "grid", "parameters": {
 *         "pools.low_frequency.harvest_threshold": [1.15, 1.25, 1.5],
 *         "loss_recovery.refill_target": [0.5, 0.75] } }
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { curveProblems } from '../../core/backtest.ts';
import { parseConfig } from '../../core/config.ts';
import { InvalidConfigError } from '../../core/problems.ts';
import {
  InvalidSweepError,
  OUTCOME_COLUMNS,
  type Outcome,
  type ParameterSet,
  parseSweep,
  rank,
  unmanagedOutcome,
  withParameters,
} from '../../core/sweep.ts';
import { readJsonFile, UserFileError } from '../files.ts';
import { renderTable } from '../table.ts';
import { curveTarget, readCurves } from './backtest.ts';

/**
 * The worker's module: its source, or in the shipped CLI (bin/build-cli.ts) its own entry beside
 * this chunk.
 */
const BUNDLED = process.env.BOTFOLIO_CLI_BUNDLE === '1';
const WORKER = BUNDLED
  ? new URL('./sweep-worker.mjs', import.meta.url)
  : new URL('./sweep-worker.ts', import.meta.url);

const CURRENT = 'current config';

/** The sets' outcomes, in the sets' order, computed by `workers` threads. */
async function runAll(
  job: { configJson: unknown; configFile: string; curvesPath: string },
  sets: readonly { index: number; label: string; set: ParameterSet }[],
  workers: number,
  progress: (done: number) => void,
): Promise<Outcome[]> {
  const outcomes: Outcome[] = new Array(sets.length);
  let done = 0;
  const shares = Array.from({ length: workers }, (_, w) =>
    sets.filter((_, i) => i % workers === w),
  );
  await Promise.all(
    shares.map(
      (share) =>
        new Promise<void>((resolve, reject) => {
          const worker = new Worker(WORKER, {
            workerData: { ...job, sets: share },
            // The source needs tsx to load; the shipped CLI's worker is plain JavaScript.
            execArgv: BUNDLED ? [] : ['--import', 'tsx'],
          });
          worker.on('message', (m: { index: number; outcome: Outcome }) => {
            outcomes[m.index] = m.outcome;
            progress(++done);
          });
          worker.on('error', reject);
          worker.on('exit', (code) =>
            code === 0 ? resolve() : reject(new Error(`sweep worker exited with ${code}`)),
          );
        }),
    ),
  );
  return outcomes;
}

const label = (set: ParameterSet) =>
  Object.entries(set)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');

export interface SweepReport {
  /** The HTML report's file. */
  readonly file: string;
  /** The heat map's two parameters (default: the first two swept). */
  readonly heatmap?: readonly string[];
}

const RANKING_TABLE_HEAD = ['#', 'parameters', 'end equity', ...OUTCOME_COLUMNS];

export async function sweepCommand(
  configFile: string,
  curvesPath: string,
  sweepFile: string,
  json: boolean,
  report?: SweepReport,
): Promise<number> {
  const configJson = readJsonFile(configFile, 'config');
  const config = parseConfig(configJson);
  let sets: readonly ParameterSet[];
  try {
    sets = parseSweep(readJsonFile(sweepFile, 'sweep'), configJson).sets;
  } catch (e) {
    if (e instanceof InvalidSweepError) throw new UserFileError(`sweep ${sweepFile}: ${e.message}`);
    throw e;
  }
  sets.forEach((set, i) => {
    try {
      parseConfig(withParameters(configJson, set));
    } catch (e) {
      if (!(e instanceof InvalidConfigError)) throw e;
      const why = e.problems.map((p) => `${p.path}: ${p.message}`).join('; ');
      throw new UserFileError(
        `sweep ${sweepFile}: set ${i + 1} (${label(set)}) makes an invalid config: ${why}`,
      );
    }
  });
  const swept = Object.keys(sets[0] ?? {});
  const axes = report?.heatmap ?? swept.slice(0, 2);
  for (const a of axes) {
    if (!swept.includes(a)) {
      throw new UserFileError(
        `--heatmap ${axes.join(',')}: ${a} is not a swept parameter (${swept.join(', ')})`,
      );
    }
  }
  if (axes.length < 1 || axes.length > 2 || axes[0] === axes[1]) {
    throw new UserFileError(`--heatmap ${axes.join(',')}: name two different swept parameters`);
  }
  const curves = readCurves(curvesPath, curveTarget(config));
  const problems = curveProblems(config, curves);
  if (problems.length > 0) {
    throw new UserFileError(
      `curves ${curvesPath} do not fit config ${configFile}:\n  ${problems.join('\n  ')}`,
    );
  }

  const jobs = [{}, ...sets].map((set, index) => ({
    index,
    label: index === 0 ? CURRENT : label(set),
    set,
  }));
  const tty = process.stderr.isTTY === true && !json;
  const bar = (done: number) => {
    if (!tty) return;
    const width = 30;
    const filled = Math.round((done / jobs.length) * width);
    process.stderr.write(
      `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${jobs.length} backtests`,
    );
    if (done === jobs.length) process.stderr.write('\n');
  };
  const workers = Math.max(1, Math.min(availableParallelism(), jobs.length));
  const outcomes = await runAll({ configJson, configFile, curvesPath }, jobs, workers, bar);
  const none = unmanagedOutcome(config, curves);
  const ranked = rank(outcomes);
  if (report !== undefined) {
    const { writeReport } = await import('./report.ts');
    const { heatmapOf } = await import('../../core/report-data.ts');
    const { loadAllocationModule } = await import('../../adapters/allocation-module.ts');
    const customWeights = await loadAllocationModule(config, configFile);
    writeReport({
      file: report.file,
      config,
      curves,
      title: `Sweep of ${sweepFile}: ${configFile} on ${curvesPath}`,
      ...(customWeights && { customWeights }),
      heatmap: heatmapOf(
        jobs.map((j, i) => ({ set: j.set, outcome: outcomes[i] as Outcome })),
        axes[0] as string,
        axes[1],
      ),
      ranked,
    });
  }

  if (json) {
    process.stdout.write(`${JSON.stringify({ no_manager: none, ranked }, null, 2)}\n`);
    return 0;
  }
  const pct = (x: number | null) => (x === null ? '—' : `${(x * 100).toFixed(1)}%`);
  const rows: string[][] = [];
  rows.push([
    '—',
    'no manager (each bot keeps its allocation)',
    none.endEquity.toFixed(2),
    pct(none.maxDrawdown),
    '—',
    '—',
    '0',
    '0.00',
    '0',
  ]);
  ranked.forEach((o, i) => {
    rows.push([
      String(i + 1),
      o.label,
      o.endEquity.toFixed(2),
      pct(o.maxDrawdown),
      pct(o.profitRetention),
      pct(o.lossRecovery),
      String(o.transfers),
      o.fees.toFixed(2),
      String(o.daysHalted),
    ]);
  });
  process.stdout.write(
    `sweep of ${sweepFile}: ${sets.length} parameter sets on ${curvesPath} (${curves.times.length} cycles), ranked by end equity ${config.currency}\n${renderTable({ head: RANKING_TABLE_HEAD }, rows)}\n`,
  );
  return 0;
}
