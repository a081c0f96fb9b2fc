/**
 * `botfolio chaos --runs N --seed S [--json]`: the fault campaign (functions/local/chaos/).
 * One JSON object on stdout (with --json), progress on stderr, exit 0 only when nothing was
 * doubled, lost or off by any amount. `--run I` replays one run of the campaign and shows its
 * journal, to see what happened to every transfer and why.
 */
import { availableParallelism } from 'node:os';
import { type ChaosSummary, holds, runCampaign, summarize } from '../chaos/campaign.ts';
import type { RunResult } from '../chaos/storm.ts';
import type { VenueName } from '../chaos/venues.ts';
import { readJsonFile } from '../files.ts';
import { entryStory } from './transfers.ts';

export interface ChaosCommandOptions {
  readonly configFile: string;
  readonly runs: number;
  readonly seed: number;
  readonly cycles: number;
  /** Processes; undefined: one per core for long campaigns, this process for short ones. */
  readonly workers?: number;
  /** Replay only this run of the campaign. */
  readonly run?: number;
  /** @default 'paper' */
  readonly exchange?: VenueName;
  readonly json: boolean;
  readonly out?: (text: string) => void;
  readonly err?: (text: string) => void;
}

/** Long enough a campaign to be worth starting worker processes for. */
const PARALLEL_FROM = 40;

export async function chaosCommand(opts: ChaosCommandOptions): Promise<number> {
  const out = opts.out ?? ((t: string) => process.stdout.write(t));
  const err = opts.err ?? ((t: string) => process.stderr.write(t));
  const base = readJsonFile(opts.configFile, 'config') as Record<string, unknown>;
  const runs = opts.run !== undefined ? [opts.run] : Array.from({ length: opts.runs }, (_, i) => i);
  const workers =
    opts.run !== undefined
      ? 1
      : (opts.workers ?? (runs.length >= PARALLEL_FROM ? availableParallelism() : 1));

  const started = performance.now();
  let done = 0;
  let lastShown = 0;
  const progress = (final = false) => {
    const now = performance.now();
    if (!final && now - lastShown < 2_000) return;
    lastShown = now;
    const rate = done / Math.max((now - started) / 1000, 1e-3);
    err(
      `chaos: ${done}/${runs.length} runs, ${rate.toFixed(1)} runs/s (${workers} process${workers > 1 ? 'es' : ''})\n`,
    );
  };
  const results = await runCampaign(
    { base, seed: opts.seed, cycles: opts.cycles, runs, exchange: opts.exchange ?? 'paper' },
    {
      workers,
      onResult: () => {
        done += 1;
        progress();
      },
      // A replay tells every transfer's story.
      ...(opts.run !== undefined &&
        !opts.json && {
          journal: (entries, config) =>
            out(`${entries.map((e) => entryStory(e, config.currency)).join('\n\n')}\n\n`),
        }),
    },
  );
  progress(true);
  const summary = summarize(results, {
    seed: opts.seed,
    cycles: opts.cycles,
    exchange: opts.exchange ?? 'paper',
  });
  if (opts.json) out(`${JSON.stringify(opts.run !== undefined ? results[0] : summary, null, 2)}\n`);
  else out(opts.run !== undefined && results[0] ? describeRun(results[0]) : describe(summary));
  return holds(summary) ? 0 : 1;
}

const counts = (of: Readonly<Record<string, number>>) =>
  Object.entries(of)
    .map(([k, v]) => `${v} ${k}`)
    .join(', ');

function describe(s: ChaosSummary): string {
  const faults = counts(s.faults);
  const lines = [
    `chaos: ${s.runs} runs of ${s.cycles} cycles on ${s.exchange}, seed ${s.seed}`,
    `  transfers   ${s.transfers}: ${s.completed} completed, ${s.failed} failed, ${s.rejected} rejected; ${s.uncertain} were uncertain for a while`,
    `  injected    ${faults}; ${s.surprises} bots lost money mid-transfer`,
    `              ${s.deaths} executions died, ${s.duplicateStarts} duplicate starts, ${s.repeatedCycles} cycles run again (${s.failedCycles} failed), ${s.reconciliations} reconciliations`,
    `  duplicates  ${s.duplicates}   lost ${s.lost}   mismatch ${s.mismatch}   (unapplied ${s.unapplied}, unjournaled ${s.unjournaled}, guard violations ${s.violations})`,
    `  families    ${counts(s.families)}`,
    `  stale facts unknown decisions ${s.unknown_decisions}   double moves ${s.double_moves}   stale moves ${s.stale_moves}   silent drops ${s.silent_drops}   unprotected ${s.unprotected}`,
  ];
  for (const f of s.failures) {
    lines.push(`  run ${f.run} (replay: --run ${f.run}):`);
    for (const p of f.problems) lines.push(`    ${p}`);
  }
  lines.push(holds(s) ? '  holds: nothing doubled, lost or off' : '  DOES NOT HOLD');
  return `${lines.join('\n')}\n`;
}

function describeRun(r: RunResult): string {
  return `${JSON.stringify({ ...r, problems: undefined }, null, 2)}\n${
    r.problems.length === 0
      ? 'no problem found\n'
      : `${r.problems.map((p) => `  ${p}`).join('\n')}\n`
  }`;
}
