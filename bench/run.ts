/**
 * The benchmark of the real-exchange path (a contract: `npm run --silent bench -- --json` prints
 * one JSON object). Everything is measured side by side in this one run:
 *
 * - `bundle_bytes`: the largest Lambda bundle containing ccxt, built as the stack builds it;
 * - `import_ms_slim` / `import_ms_full_ccxt`: a fresh process importing ccxt's Bitget class as
 *   the Lambdas carry it, against `import 'ccxt'` (medians, interleaved child processes);
 * - `balance_calls_per_cycle`: the calls the cycle's balance read makes for 500 bots;
 * - `cycle_ms_batched` / `cycle_ms_per_bot`: that read for 500 bots with 50 ms of latency per
 *   call, batched (the adapter) against one balance call per bot in turn (the spec's loop);
 * - `exchanges.<name>`: Binance's, OKX's and Bybit's `balance_calls_per_cycle` for 500 bots and
 *   `cycle_ms` at 50 ms per call under the adapter's rate limits (OKX and Bybit, one call per bot,
 *   timed on a smaller fleet and scaled), and `bundle_bytes` of each exchange's own cycle bundle;
 * - `cli_status_ms` / `node_start_ms`: `botfolio status` from the shipped build on a data folder
 *   with 10 bots and 500 journal entries, against a bare Node start (medians, interleaved).
 * - `backtest_bot_cycles_per_s`, `backtest_peak_rss_mb` (and the rest of bench/backtest.ts's
 *   line): 100 bots × 35,040 15-minute steps through the backtest, in a process of its own.
 *
 * - `scale` and `aws_cost_month` (bench/scale.ts, in a process of its own): one portfolio of
 *   1,000 and of 10,000 bots (and 10 every 15 minutes) through the local runtime, every DynamoDB
 *   request counted in billed units; the month's AWS bill computed from those counts.
 *
 * `--cli` measures only `cli_status_ms` (for work on the CLI's start-up); `--scale` only the
 * scale section (add `--bots 1000` to pick the fleets).
 * Without `--json` it prints a table with the targets.
 */
import { execFileSync } from 'node:child_process';
import { renderTable } from '../functions/local/table.ts';
import { batchedCalls, batchedCycleMs, perBotCycleMs, startFleet } from './balances.ts';
import { buildBundles, importTimes } from './bundles.ts';
import { cliStartup } from './cli.ts';
import { venueFigures } from './venues.ts';

const BOTS = 500;
const LATENCY_MS = 50;
const IMPORT_RUNS = 7;
const CYCLE_RUNS = 5;
const CLI_RUNS = 9;
const TARGETS = {
  bundleBytes: 1.5 * 1024 * 1024,
  importSpeedup: 4,
  callsPerCycle: 5,
  cycleSpeedup: 50,
  cliStatusOverNodeStart: 3,
  backtestBotCyclesPerS: 2_000_000,
  backtestPeakRssMb: 300,
  largestItemBytes: 40 * 1024,
  wcuPerTransfer: 20,
  rcuPerBotCycle: 2,
  snsPerCycle10k: 5,
  cost10BotsNat: 10,
  cost1000Bots: 60,
};

interface ScaleOutput {
  readonly scale: Record<
    string,
    {
      largest_item_bytes: number;
      wcu_per_transfer: number;
      rcu_per_bot_cycle: number;
      sns_per_cycle: number;
      cycle_ms: number;
      heap_mb: number;
    }
  >;
  readonly aws_cost_month: Record<string, number>;
}

/** bench/scale.ts in a process of its own (its heap is its own figure), with `args`. */
function runScale(args: readonly string[]): ScaleOutput {
  return JSON.parse(
    execFileSync(process.execPath, ['--import', 'tsx', 'bench/scale.ts', ...args], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', json ? 'ignore' : 'inherit'],
      maxBuffer: 64 * 1024 * 1024,
    }),
  ) as ScaleOutput;
}

/** Which of the scale targets the figures meet (a fleet not measured meets none). */
function scaleTargets(out: ScaleOutput): Record<string, boolean> {
  const fleets = Object.values(out.scale);
  const big = out.scale.bots_10000;
  return {
    largest_item_bytes:
      big !== undefined && fleets.every((f) => f.largest_item_bytes <= TARGETS.largestItemBytes),
    wcu_per_transfer: fleets.every((f) => f.wcu_per_transfer <= TARGETS.wcuPerTransfer),
    rcu_per_bot_cycle: fleets.every((f) => f.rcu_per_bot_cycle <= TARGETS.rcuPerBotCycle),
    sns_per_cycle: big !== undefined && big.sns_per_cycle <= TARGETS.snsPerCycle10k,
    cost_b10_15m_nat: (out.aws_cost_month.b10_15m_nat ?? Infinity) <= TARGETS.cost10BotsNat,
    cost_b1000_5m: (out.aws_cost_month.b1000_5m ?? Infinity) <= TARGETS.cost1000Bots,
  };
}

const json = process.argv.includes('--json');
const progress = (text: string) => {
  if (!json) process.stderr.write(`${text}\n`);
};
const round = (n: number, digits = 1) => Number(n.toFixed(digits));

if (process.argv.includes('--scale')) {
  const i = process.argv.indexOf('--bots');
  const out = runScale(i < 0 ? [] : ['--bots', process.argv[i + 1] ?? '']);
  process.stdout.write(`${JSON.stringify({ ...out, targets_met: scaleTargets(out) })}\n`);
  process.exit(0);
}

progress(`timing \`botfolio status\` (10 bots, 500 journal entries) against a bare Node start…`);
const cli = await cliStartup(CLI_RUNS);
const cliFigures = {
  cli_status_ms: round(cli.cliStatusMs),
  node_start_ms: round(cli.nodeStartMs),
  cli_status_over_node_start: round(cli.cliStatusMs / cli.nodeStartMs),
  cli_runs: CLI_RUNS,
};
const cliMet = cli.cliStatusMs <= TARGETS.cliStatusOverNodeStart * cli.nodeStartMs;
if (process.argv.includes('--cli')) {
  const only = { ...cliFigures, node: process.version, targets_met: { cli_status_ms: cliMet } };
  process.stdout.write(
    json
      ? `${JSON.stringify(only)}\n`
      : `status ${only.cli_status_ms} ms, node start ${only.node_start_ms} ms: ${only.cli_status_over_node_start}× (target ≤ ${TARGETS.cliStatusOverNodeStart}×)\n`,
  );
  process.exit(0);
}

progress('bundling the Lambdas as the stack does…');
const { lambdas, slim, cycles } = await buildBundles();
const withCcxt = lambdas.filter((b) => b.ccxtExchanges.length > 0);
const largest = withCcxt.reduce((a, b) => (b.bytes > a.bytes ? b : a));

progress(`importing the slim bundle and the whole of ccxt, ${IMPORT_RUNS} times each…`);
const imports = importTimes(slim.file, IMPORT_RUNS);

progress(`reading ${BOTS} bots on the fake Bitget…`);
const counting = await startFleet(BOTS);
const calls = await batchedCalls(counting);
await counting.fake.close();

progress(`timing a cycle's reads with ${LATENCY_MS} ms per call: batched, then one call per bot…`);
// Rate limits off here: the batched read runs several times in a row, the per-bot loop signs
// with 500 keys; the call count above was taken with them on.
const slow = await startFleet(BOTS, { latencyMs: LATENCY_MS, enforceRateLimits: false });
const batchedMs = await batchedCycleMs(slow, CYCLE_RUNS);
const perBotMs = await perBotCycleMs(slow);
await slow.fake.close();

progress(`reading ${BOTS} bots on the fake Binance, OKX and Bybit (${LATENCY_MS} ms per call)…`);
const venues = await venueFigures(BOTS, LATENCY_MS, 12);
const exchanges = Object.fromEntries(
  cycles.map((c) => {
    const name = c.name.replace(/^cycle-/, '');
    return [name, { ...venues[name], bundle_bytes: c.bytes }];
  }),
);

progress('backtest: 100 bots × 35,040 15-minute steps, in a process of its own…');
const backtestFigures = JSON.parse(
  execFileSync(process.execPath, ['--import', 'tsx', 'bench/backtest.ts'], { encoding: 'utf8' }),
) as { backtest_bot_cycles_per_s: number; backtest_peak_rss_mb: number };

progress('scale: 10, 1,000 and 10,000 bots through the local runtime, in a process of its own…');
const scaleOut = runScale([]);

const result = {
  bundle_bytes: largest.bytes,
  bundle_name: largest.name,
  bundle_ccxt_exchanges: largest.ccxtExchanges,
  import_ms_slim: round(imports.slim),
  import_ms_full_ccxt: round(imports.full),
  import_speedup: round(imports.full / imports.slim),
  import_runs: IMPORT_RUNS,
  balance_calls_per_cycle: calls,
  bots: BOTS,
  latency_ms_per_call: LATENCY_MS,
  cycle_ms_batched: round(batchedMs),
  cycle_ms_per_bot: round(perBotMs),
  cycle_speedup: round(perBotMs / batchedMs),
  exchanges,
  ...cliFigures,
  ...backtestFigures,
  ...scaleOut,
  node: process.version,
  targets_met: {
    bundle_bytes: largest.bytes <= TARGETS.bundleBytes,
    import_speedup: imports.full / imports.slim >= TARGETS.importSpeedup,
    balance_calls_per_cycle: calls <= TARGETS.callsPerCycle,
    cycle_speedup: perBotMs / batchedMs >= TARGETS.cycleSpeedup,
    cli_status_ms: cliMet,
    backtest_bot_cycles_per_s:
      backtestFigures.backtest_bot_cycles_per_s >= TARGETS.backtestBotCyclesPerS,
    backtest_peak_rss_mb: backtestFigures.backtest_peak_rss_mb <= TARGETS.backtestPeakRssMb,
    ...scaleTargets(scaleOut),
  },
};

if (json) {
  process.stdout.write(`${JSON.stringify(result)}\n`);
} else {
  const rows: string[][] = [];
  const yes = (ok: boolean) => (ok ? 'yes' : 'NO');
  rows.push(
    [
      `largest Lambda bundle with ccxt (${largest.name}; ccxt exchanges: ${largest.ccxtExchanges.join(', ')})`,
      `${(largest.bytes / 1024 / 1024).toFixed(2)} MB`,
      '≤ 1.5 MB',
      yes(result.targets_met.bundle_bytes),
    ],
    ['import: ccxt Bitget class alone (median)', `${result.import_ms_slim} ms`, '', ''],
    ['import: the whole ccxt library (median)', `${result.import_ms_full_ccxt} ms`, '', ''],
    [
      '  slim import is faster by',
      `${result.import_speedup}×`,
      '≥ 4×',
      yes(result.targets_met.import_speedup),
    ],
    [
      `balance calls per cycle (${BOTS} bots)`,
      String(calls),
      '≤ 5',
      yes(result.targets_met.balance_calls_per_cycle),
    ],
    [
      `cycle's reads, batched (${LATENCY_MS} ms/call, median)`,
      `${result.cycle_ms_batched} ms`,
      '',
      '',
    ],
    [
      `cycle's reads, one call per bot (${LATENCY_MS} ms/call)`,
      `${result.cycle_ms_per_bot} ms`,
      '',
      '',
    ],
    [
      '  batched is faster by',
      `${result.cycle_speedup}×`,
      '≥ 50×',
      yes(result.targets_met.cycle_speedup),
    ],
  );
  rows.push([
    '`botfolio status` (10 bots, 500 journal entries; median)',
    `${result.cli_status_ms} ms`,
    '',
    '',
  ]);
  rows.push([
    '  against a bare Node start',
    `${result.node_start_ms} ms: ${result.cli_status_over_node_start}×`,
    `≤ ${TARGETS.cliStatusOverNodeStart}×`,
    yes(cliMet),
  ]);
  for (const [name, e] of Object.entries(exchanges)) {
    const read = 'cycle_ms' in e ? `${e.balance_calls_per_cycle} calls, ${e.cycle_ms} ms` : '';
    rows.push([
      `${name}: cycle bundle; ${BOTS} bots' read (${LATENCY_MS} ms/call)`,
      `${(e.bundle_bytes / 1024 / 1024).toFixed(2)} MB; ${read}`,
      '≤ 1.5 MB',
      yes(e.bundle_bytes <= TARGETS.bundleBytes),
    ]);
  }
  for (const [name, f] of Object.entries(scaleOut.scale)) {
    rows.push([
      `scale ${name}: largest item; WCU/transfer; RCU/bot-cycle; SNS/cycle`,
      `${f.largest_item_bytes} B; ${f.wcu_per_transfer}; ${f.rcu_per_bot_cycle}; ${f.sns_per_cycle}`,
      '≤ 40 KB; ≤ 20; ≤ 2; ≤ 5 (10,000)',
      '',
    ]);
    rows.push([`  cycle wall time; heap`, `${f.cycle_ms} ms; ${f.heap_mb} MB`, '', '']);
  }
  for (const [name, dollars] of Object.entries(scaleOut.aws_cost_month)) {
    rows.push([`AWS a month, ${name}`, `$${dollars}`, '', '']);
  }
  process.stdout.write(`${renderTable({ head: ['measure', 'value', 'target', 'met'] }, rows)}\n`);
}
