/**
 * The fault campaign: many independent runs of the storm (./storm.ts), fanned out over worker
 * processes (./worker.ts) or run in this process, their results merged and summed. A run's result
 * depends only on the campaign's seed and its index, never on how many processes ran it.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { synthesizeTransferDefinition } from '../definition.ts';
import { startEmbeddedDynamo } from '../dynamo.ts';
import { type ChaosRunOptions, chaosRun, type RunResult } from './storm.ts';
import type { VenueName } from './venues.ts';

/** A campaign, or a worker's share of it. */
export interface ChaosJob {
  /** The config every run starts from (raw JSON; each run gets its own portfolio id and limits). */
  readonly base: Record<string, unknown>;
  readonly seed: number;
  /** Cycles per run. */
  readonly cycles: number;
  /** The runs (their indices in the campaign) to run. */
  readonly runs: readonly number[];
  /** Where the money sits: the paper exchange, or a real exchange's fake through its real adapter. */
  readonly exchange?: VenueName;
}

/**
 * Runs the job's runs, in `workers` processes (each with its own store and definition; 1: in
 * this process), and reports each result as it comes. The results do not depend on `workers`.
 */
export async function runCampaign(
  job: ChaosJob,
  opts: {
    workers: number;
    onResult?: (r: RunResult) => void;
    journal?: ChaosRunOptions['journal'];
  },
): Promise<RunResult[]> {
  const results: RunResult[] = [];
  const take = (r: RunResult) => {
    results.push(r);
    opts.onResult?.(r);
  };
  if (opts.workers <= 1) {
    const definition = synthesizeTransferDefinition();
    const dynamo = await startEmbeddedDynamo();
    try {
      for (const run of job.runs) {
        take(await chaosRun({ ...job, definition, dynamo, journal: opts.journal }, run));
      }
    } finally {
      await dynamo.close();
    }
  } else {
    const shares = Array.from({ length: opts.workers }, (_, w) =>
      job.runs.filter((_, i) => i % opts.workers === w),
    ).filter((runs) => runs.length > 0);
    await Promise.all(shares.map((runs) => inWorker({ ...job, runs }, take)));
  }
  return results.sort((a, b) => a.run - b.run);
}

/** The worker's module: its source, or in the shipped CLI (bin/build-cli.ts) its own entry beside this chunk. */
const WORKER = fileURLToPath(
  process.env.BOTFOLIO_CLI_BUNDLE === '1'
    ? new URL('./chaos-worker.mjs', import.meta.url)
    : new URL('./worker.ts', import.meta.url),
);

/** One worker process over its share; rejects if it dies before sending every result. */
function inWorker(job: ChaosJob, take: (r: RunResult) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    // The same Node and loader flags (tsx) as this process, so the worker runs the same code.
    const child = fork(WORKER, [], { execArgv: process.execArgv, stdio: 'inherit' });
    let received = 0;
    child.on('message', (m: { result: RunResult }) => {
      received += 1;
      take(m.result);
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      received === job.runs.length
        ? resolve()
        : reject(
            new Error(`a chaos worker exited (${code}) after ${received}/${job.runs.length} runs`),
          ),
    );
    child.send(job);
  });
}

const SUMMED = [
  'transfers',
  'completed',
  'failed',
  'rejected',
  'uncertain',
  'duplicates',
  'lost',
  'mismatch',
  'unapplied',
  'unjournaled',
  'violations',
  'deaths',
  'duplicateStarts',
  'repeatedCycles',
  'failedCycles',
  'reconciliations',
  'surprises',
  'unknown_decisions',
  'double_moves',
  'stale_moves',
  'silent_drops',
  'unprotected',
  'drift_moves',
  'double_funding',
  'unsettled',
] as const satisfies readonly (keyof RunResult)[];

/** The campaign's totals: the sums of its runs, and the runs that found something wrong. */
export type ChaosSummary = {
  readonly runs: number;
  readonly seed: number;
  readonly cycles: number;
  readonly exchange: VenueName;
  readonly faults: Readonly<Record<string, number>>;
  /** How often each fault family was injected, over all runs. */
  readonly families: Readonly<Record<string, number>>;
  /** The lifecycle family's events, by kind, over all runs. */
  readonly lifecycle_events: Readonly<Record<string, number>>;
  /** The first runs with a problem (at most 20): replay one with `--run N`. */
  readonly failures: readonly { run: number; seed: number; problems: readonly string[] }[];
} & Pick<RunResult, (typeof SUMMED)[number]>;

/** Sums the runs' results, in run order, into the campaign's summary. */
export function summarize(
  results: readonly RunResult[],
  campaign: { seed: number; cycles: number; exchange?: VenueName },
): ChaosSummary {
  const sorted = [...results].sort((a, b) => a.run - b.run);
  const totals = Object.fromEntries(
    SUMMED.map((k) => [k, sorted.reduce((n, r) => n + r[k], 0)]),
  ) as Record<(typeof SUMMED)[number], number>;
  const counted = (of: (r: RunResult) => Readonly<Record<string, number>>) => {
    const out: Record<string, number> = {};
    for (const r of sorted) for (const [k, v] of Object.entries(of(r))) out[k] = (out[k] ?? 0) + v;
    return out;
  };
  return {
    runs: sorted.length,
    seed: campaign.seed,
    cycles: campaign.cycles,
    exchange: campaign.exchange ?? 'paper',
    ...totals,
    faults: counted((r) => r.faults),
    families: counted((r) => r.families),
    lifecycle_events: counted((r) => r.lifecycle_events ?? {}),
    failures: sorted
      .filter((r) => r.problems.length > 0)
      .slice(0, 20)
      .map((r) => ({ run: r.run, seed: r.seed, problems: r.problems.slice(0, 10) })),
  };
}

/**
 * The campaign holds: nothing doubled, nothing lost, no account off, no money moved on unknown or
 * stale facts or in config drift, no bot funded twice, nothing left unsettled or else broken.
 */
export const holds = (s: ChaosSummary): boolean =>
  s.duplicates === 0 &&
  s.lost === 0 &&
  s.mismatch === 0 &&
  s.unapplied === 0 &&
  s.unjournaled === 0 &&
  s.violations === 0 &&
  s.unknown_decisions === 0 &&
  s.double_moves === 0 &&
  s.stale_moves === 0 &&
  s.silent_drops === 0 &&
  s.unprotected === 0 &&
  s.drift_moves === 0 &&
  s.double_funding === 0 &&
  s.unsettled === 0 &&
  s.failures.length === 0;
