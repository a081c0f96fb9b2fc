/**
 * The backtest's bench, run in a process of its own (`tsx bench/backtest.ts`, one JSON line) so
 * that its peak memory is its own: 100 bots × 35,040 15-minute steps (a year) replayed through the
 * policy. `backtest_bot_cycles_per_s` times `backtest` alone (the curves are made first, from a
 * seed), on the wall clock; `backtest_cpu_s` is the CPU time it took (on a shared machine the
 * clock also counts the time others had the cores); `backtest_peak_rss_mb` is the process's peak resident memory, curves included.
 */
import { backtest } from '../functions/core/backtest.ts';
import { fleetConfig, fleetCurves, YEAR_STEPS } from './backtest-fleet.ts';

export const BACKTEST_BOTS = 100;

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
process.stdout.write(
  `${JSON.stringify({
    backtest_bots: bots,
    backtest_steps: steps,
    backtest_s: Number(seconds.toFixed(3)),
    backtest_cpu_s: Number(cpuSeconds.toFixed(3)),
    backtest_bot_cycles_per_s: Math.round((bots * steps) / seconds),
    backtest_peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
    backtest_planned_cycles: result.plannedCycles,
    backtest_transfers: result.timeline.length,
    backtest_events: result.events.length,
  })}\n`,
);
