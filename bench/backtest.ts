/**
 * The backtest's bench, run in a process of its own (`tsx bench/backtest.ts`, one JSON line) so
 * that its peak memory is its own: 100 bots × 35,040 15-minute steps (a year) replayed through the
 * policy. `backtest_bot_cycles_per_s` times `backtest` alone (the curves are made first, from a
 * seed), on the wall clock; `backtest_cpu_s` is the CPU time it took (on a shared machine the
 * clock also counts the time others had the cores); `backtest_peak_rss_mb` is the process's peak resident memory by then, curves included.
 *
 * Side by side, in the same process right after: `replay_bot_cycles_per_s`, the replay that plans
 * every cycle (the backtest before the screen, and its fallback past 2^53 units) on the year's
 * first REPLAY_STEPS steps, and `speedup_over_replay`, the ratio of the two rates: on this shared
 * machine both rates move with the neighbours, their ratio less. (The replay is faster over a
 * short slice than over a year, so the ratio understates the year's.)
 */
import { backtest } from '../functions/core/backtest.ts';
import { replayEveryCycle } from '../functions/core/backtest-replay.ts';
import { fleetConfig, fleetCurves, YEAR_STEPS } from './backtest-fleet.ts';

export const BACKTEST_BOTS = 100;
const REPLAY_STEPS = 1_000;

const bots = Number(process.env.BACKTEST_BENCH_BOTS ?? BACKTEST_BOTS);
const steps = Number(process.env.BACKTEST_BENCH_STEPS ?? YEAR_STEPS);
const config = fleetConfig(bots);
const curves = fleetCurves(config, steps);
const started = performance.now();
const cpu = process.cpuUsage();
const result = backtest(config, curves);
const seconds = (performance.now() - started) / 1000;
const used = process.cpuUsage(cpu);
const cpuSeconds = (used.user + used.system) / 1e6;
const rate = (bots * steps) / seconds;
const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);

const replaySteps = Math.min(REPLAY_STEPS, steps);
const slice = {
  times: curves.times.slice(0, replaySteps),
  values: new Map([...curves.values].map(([id, c]) => [id, c.subarray(0, replaySteps)])),
};
const replayStarted = performance.now();
replayEveryCycle(config, slice);
const replayRate = (bots * replaySteps) / ((performance.now() - replayStarted) / 1000);
process.stdout.write(
  `${JSON.stringify({
    backtest_bots: bots,
    backtest_steps: steps,
    backtest_s: Number(seconds.toFixed(3)),
    backtest_cpu_s: Number(cpuSeconds.toFixed(3)),
    backtest_bot_cycles_per_s: Math.round(rate),
    backtest_peak_rss_mb: peakRssMb,
    backtest_planned_cycles: result.plannedCycles,
    backtest_transfers: result.timeline.length,
    backtest_events: result.events.length,
    replay_bot_cycles_per_s: Math.round(replayRate),
    speedup_over_replay: Number((rate / replayRate).toFixed(1)),
  })}\n`,
);
