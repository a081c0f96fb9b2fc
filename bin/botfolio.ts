#!/usr/bin/env -S npx tsx
/**
 * The `botfolio` CLI. Composition and translation only: parse arguments (commander), call a
 * command, turn user errors into a clear message on stderr and a non-zero exit.
 */
// First, before any module builds its schemas (zod-jitless.ts says why).
import '../functions/local/zod-jitless.ts';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { DEMO_SEED } from '../functions/adapters/paper/demo-seed.ts';
import { DURATION_PATTERN, parseDuration } from '../functions/core/duration.ts';
import { SUPPORTED_EXCHANGES } from '../functions/core/exchange-names.ts';
import { type Money, money } from '../functions/core/money.ts';
import {
  parseStress,
  type StressScenario,
  StressSpecError,
} from '../functions/core/stress-spec.ts';
import { RUN_EXCHANGES, VENUES } from '../functions/local/choices.ts';
import type { OperationRequest } from '../functions/usecases/operations.ts';
import {
  booksAt,
  configOf,
  configOption,
  createProgram,
  dataOption,
  positiveInt,
  runProgram,
  stackOption,
} from './cli-parts.ts';
import { defineBot, defineState, defineStatus, defineTransfers } from './console-commands.ts';

// Each command imports its own modules when it runs (`await import`), so a read-only command
// never loads ccxt, CDK or the AWS SDK clients it does not use: start-up is a Node start plus
// what that command needs (README, "Start-up").

/** `backtest --stress`: the scenarios, or the one part of one that is wrong. */
const stressArgument = (value: string): StressScenario[] => {
  try {
    return parseStress(value);
  } catch (e) {
    if (e instanceof StressSpecError) throw new InvalidArgumentError(e.message);
    throw e;
  }
};

const seedArgument = (value: string) => {
  const n = Number(value);
  if (!Number.isSafeInteger(n))
    throw new InvalidArgumentError(`--seed ${value}: expected a whole number`);
  return n;
};

/**
 * `run --interval`: this machine's loop is not an EventBridge schedule, so whole seconds from 1s
 * to 1d (a deployed `check_interval` counts in whole minutes).
 */
const interval = (value: string) => {
  const ms = DURATION_PATTERN.test(value) ? parseDuration(value) : Number.NaN;
  const problem = Number.isNaN(ms)
    ? 'expected a duration such as "30s", "5m" or "1h"'
    : ms < 1_000 || ms > 86_400_000 || ms % 1_000 !== 0
      ? 'expected whole seconds from "1s" to "1d"'
      : undefined;
  if (problem !== undefined) throw new InvalidArgumentError(`--interval ${value}: ${problem}`);
  return ms;
};

const program = createProgram();

/** `--port` of a server on 127.0.0.1. */
const portOption = (port: number) =>
  new Option('-p, --port <n>', 'port on 127.0.0.1 (0: any free one)')
    .argParser((v: string) => {
      const n = positiveInt('--port')(v);
      if (n > 65_535) throw new InvalidArgumentError('--port must be from 0 to 65535');
      return n;
    })
    .default(port);
program
  .command('demo')
  .description('run the demo: embedded store, paper exchange, simulated bots, accelerated cycles')
  .addOption(configOption())
  .option('-n, --cycles <n>', 'cycles to run', positiveInt('--cycles'), 30)
  .option('-s, --seed <n>', 'seed of the simulated market', positiveInt('--seed'), DEMO_SEED)
  .option('-q, --quiet', 'one line per cycle instead of the status board', false)
  .option(
    '--delay <ms>',
    'pause between cycles',
    positiveInt('--delay'),
    process.stdout.isTTY ? 400 : 0,
  )
  .action(async (o) => {
    const { demo } = await import('../functions/local/commands/demo.ts');
    process.exitCode = await demo({
      config: await configOf(o.config),
      configFile: o.config,
      cycles: o.cycles,
      seed: o.seed,
      quiet: o.quiet,
      delayMs: o.delay,
    });
  });

program
  .command('validate')
  .description(
    "check a config file; every problem is listed with its path (--against-state: and the config drift a deploy of it would cause against the portfolio's books)",
  )
  .argument('<file>', 'config file')
  .option(
    '--against-state',
    "compare it with the portfolio's books (the local data folder, or --stack): one line per config_drift",
    false,
  )
  .addOption(dataOption())
  .addOption(stackOption())
  .option('--json', 'with --against-state: as JSON', false)
  .addHelpText(
    'after',
    '\nExit codes: 0 valid (and, with --against-state, no config drift); 1 invalid, or no books to compare with; 2 valid but it drifts from the books.\n',
  )
  .action(async (file: string, o) => {
    if (!o.againstState && (o.data !== undefined || o.stack !== undefined || o.json))
      throw new InvalidArgumentError(
        '--data, --stack and --json go with --against-state: `validate FILE` alone reads only the file',
      );
    if (o.againstState) {
      const { validateAgainstState } = await import(
        '../functions/local/commands/validate-drift.ts'
      );
      process.exitCode = await validateAgainstState(file, booksAt(o), { json: o.json });
      return;
    }
    const { validateCommand } = await import('../functions/local/commands/plan.ts');
    process.exitCode = await validateCommand(file);
  });

program
  .command('plan')
  .description('dry run: what Botfolio would do now, reading only the config and state files')
  .requiredOption('-c, --config <file>', 'portfolio config file')
  .requiredOption('--state <file>', 'portfolio state file (the `botfolio state` form)')
  .option('--json', 'print the plan as JSON (the contract form)', false)
  .action(async (o) => {
    const { planCommand } = await import('../functions/local/commands/plan.ts');
    process.exitCode = await planCommand(o.config, o.state, o.json);
  });

program
  .command('import-launcher')
  .description(
    "turn a launcher portfolio file (the portfolio launcher's JSON) into a Botfolio config, and list what must still be filled in (sub-accounts, pools, exchange limits)",
  )
  .argument('<file>', 'launcher portfolio file, e.g. aave_hype_equal_weight.json')
  .option('-o, --out <file>', 'write the config here (never over an existing file); else to stdout')
  .option(
    '--exchange <name>',
    `the bots' exchange (the launcher's -exchange): ${SUPPORTED_EXCHANGES.join(', ')}; else a blank to fill in`,
    (v: string) => {
      if (!(SUPPORTED_EXCHANGES as readonly string[]).includes(v))
        throw new InvalidArgumentError(
          `--exchange ${v}: expected one of ${SUPPORTED_EXCHANGES.join(', ')}`,
        );
      return v;
    },
  )
  .option(
    '--currency <code>',
    'the portfolio currency (the launcher names none)',
    (v: string) => {
      if (!/^[A-Z0-9]{2,10}$/.test(v))
        throw new InvalidArgumentError(`--currency ${v}: expected a currency code such as USDT`);
      return v;
    },
    'USDT',
  )
  .addHelpText(
    'after',
    '\nThe config goes to --out (the notes to stdout) or to stdout (the notes to stderr). Exit 1 on a bad launcher file, with the field named.\n',
  )
  .action(async (file: string, o) => {
    const { importLauncherCommand } = await import(
      '../functions/local/commands/import-launcher.ts'
    );
    process.exitCode = await importLauncherCommand(file, {
      currency: o.currency,
      ...(o.out !== undefined && { out: o.out }),
      ...(o.exchange !== undefined && { exchange: o.exchange }),
    });
  });

program
  .command('cycle')
  .description('run one monitoring cycle against the local store and paper exchange')
  .option('--once', 'one cycle (what `cycle` always does; kept for scripts)')
  .addOption(configOption())
  .addOption(dataOption())
  .action(async (o) => {
    const { cycleOnce } = await import('../functions/local/commands/local-data.ts');
    process.exitCode = await cycleOnce(await configOf(o.config), o.data, o.config);
  });

program
  .command('run')
  .description(
    'the monitoring loop on this machine: a cycle every check interval against the paper exchange or Bitget, Binance, OKX, Bybit',
  )
  .addOption(configOption())
  .addOption(
    new Option('-e, --exchange <name>', 'the exchange to run against')
      .choices(RUN_EXCHANGES)
      .default('paper'),
  )
  .addOption(dataOption())
  .option('--dry-run', 'plan and print each cycle; record nothing, move nothing', false)
  .option(
    '-n, --cycles <n>',
    'stop after this many cycles (default: until Ctrl+C)',
    positiveInt('--cycles'),
  )
  .option(
    '-i, --interval <duration>',
    "this run's check interval, e.g. 30s or 5m (whole seconds, 1s–1d; default: the config's monitoring.check_interval)",
    interval,
  )
  .action(async (o) => {
    const { run } = await import('../functions/local/commands/run.ts');
    const config = await configOf(o.config);
    process.exitCode = await run({
      // `--interval` is this run's check interval: its cycles are slotted and named by it.
      config: o.interval === undefined ? config : { ...config, checkIntervalMs: o.interval },
      configFile: o.config,
      exchange: o.exchange,
      dataDir: o.data,
      dryRun: o.dryRun,
      cycles: o.cycles,
    });
  });

defineStatus(program, () => import('../functions/local/commands/status.ts'));
defineState(program, () => import('../functions/local/commands/local-data.ts'));

program
  .command('reconcile')
  .description('settle transfers left open, apply what the ledger misses, check the books')
  .addOption(configOption())
  .addOption(dataOption())
  .addOption(stackOption())
  .option('--json', 'as JSON', false)
  .action(async (o) => {
    const { reconcileCommand } = await import('../functions/local/commands/reconcile.ts');
    process.exitCode = await reconcileCommand(await configOf(o.config), booksAt(o), {
      json: o.json,
    });
  });

program
  .command('chaos')
  .description(
    'the fault campaign: randomized portfolios under injected faults, checked against the exchange',
  )
  .addOption(configOption())
  .option('-r, --runs <n>', 'independent runs', positiveInt('--runs'), 100)
  .option('-s, --seed <n>', 'seed of the campaign', positiveInt('--seed'), 1)
  .option('--cycles <n>', 'cycles per run', positiveInt('--cycles'), 8)
  .option(
    '-w, --workers <n>',
    'processes (default: one per core from 40 runs)',
    positiveInt('--workers'),
  )
  .option('--run <i>', 'replay only run i of the campaign', positiveInt('--run'))
  .addOption(
    new Option(
      '--exchange <name>',
      "where the money sits: the paper exchange, or a real exchange's fake server through its real adapter",
    )
      .choices(VENUES)
      .default('paper'),
  )
  .option('--json', 'print one JSON object', false)
  .action(async (o) => {
    const { chaosCommand } = await import('../functions/local/commands/chaos.ts');
    process.exitCode = await chaosCommand({
      exchange: o.exchange,
      configFile: o.config,
      runs: o.runs,
      seed: o.seed,
      cycles: o.cycles,
      workers: o.workers,
      run: o.run,
      json: o.json,
    });
  });

defineTransfers(program, () => import('../functions/local/commands/local-data.ts'));
defineBot(program, async () => ({
  ...(await import('../functions/local/commands/bot.ts')),
  ...(await import('../functions/local/books.ts')),
}));

program
  .command('dashboard')
  .description(
    'the portfolio in a browser on 127.0.0.1 (read-only, refreshing by itself): mode, equity, drawdown, reserves, bots, transfers and their stories, alerts',
  )
  .addOption(configOption())
  .addOption(dataOption())
  .addOption(stackOption())
  .addOption(portOption(4280))
  .option('--refresh <duration>', 'how often the page reads the books again', interval, 3_000)
  .action(async (o) => {
    const { dashboardCommand } = await import('../functions/local/commands/dashboard.ts');
    process.exitCode = await dashboardCommand({
      config: await configOf(o.config),
      at: booksAt(o),
      port: o.port,
      refreshMs: o.refresh,
    });
  });

program
  .command('serve')
  .description(
    'the heartbeat endpoint on 127.0.0.1: POST /heartbeat, signed by each bot with its own secret (BOTFOLIO_HEARTBEAT_SECRET_<BOT_ID>)',
  )
  .addOption(configOption())
  .addOption(dataOption())
  .addOption(portOption(4281))
  .action(async (o) => {
    const { serveCommand } = await import('../functions/local/commands/serve.ts');
    process.exitCode = await serveCommand({
      config: await configOf(o.config),
      at: booksAt(o),
      port: o.port,
    });
  });

program
  .command('halt')
  .description(
    'emergency stop: nothing moves toward a bot until `resume` (harvests go on); with emergency_stop.pause_bots, also pauses every bot with a control API',
  )
  .addOption(configOption())
  .addOption(dataOption())
  .addOption(stackOption())
  .action(async (o) => {
    const { haltCommand } = await import('../functions/local/commands/operator.ts');
    process.exitCode = await haltCommand(await configOf(o.config), booksAt(o));
  });

program
  .command('resume')
  .description(
    'clear the emergency stop (the drawdown counts from now); --unblock lifts refill blocks',
  )
  .addOption(configOption())
  .addOption(dataOption())
  .addOption(stackOption())
  .option(
    '-u, --unblock <bot>',
    'lift the no_refill_policy block of this bot (repeatable)',
    (bot: string, previous: string[]) => [...previous, bot],
    [] as string[],
  )
  .option('--json', 'as JSON (with the bots to restart by hand)', false)
  .action(async (o) => {
    const { resumeCommand } = await import('../functions/local/commands/operator.ts');
    process.exitCode = await resumeCommand(await configOf(o.config), booksAt(o), o.unblock, {
      json: o.json,
    });
  });

program
  .command('confirm-balance')
  .description(
    'confirm a bot balance beyond max_plausible_jump is real: the next cycle believes it (once)',
  )
  .argument('<bot>', 'the bot whose balance is confirmed')
  .requiredOption('--amount <x>', 'the balance the bot really holds, e.g. 5000')
  .requiredOption('--reason <text>', 'why it is real, e.g. "deposited 4850 by hand"')
  .addOption(configOption())
  .addOption(dataOption())
  .addOption(stackOption())
  .action(async (bot: string, o) => {
    const { confirmBalanceCommand } = await import('../functions/local/commands/operator.ts');
    process.exitCode = await confirmBalanceCommand(await configOf(o.config), booksAt(o), bot, {
      amount: o.amount,
      reason: o.reason,
    });
  });

/** The options every capital operation takes (DESIGN.md §10). */
const operationOptions = (cmd: Command) =>
  cmd
    .requiredOption('--reason <text>', 'why (kept in the journal)')
    .option('--dry-run', 'check and show what it would do; write nothing', false)
    .option('--json', 'as JSON', false)
    .addOption(configOption())
    .addOption(dataOption());

const amountArgument = (value: string) => {
  try {
    return money(value);
  } catch {
    throw new InvalidArgumentError(`amount must be a decimal number such as 1500 or 1500.25`);
  }
};

const operate = async (
  o: { config: string; data?: string; reason: string; dryRun: boolean; json: boolean },
  request: OperationRequest,
) => {
  const { operationCommand } = await import('../functions/local/commands/operations.ts');
  process.exitCode = await operationCommand(await configOf(o.config), request, {
    reason: o.reason,
    dryRun: o.dryRun,
    json: o.json,
    configFile: o.config,
    ...(o.data !== undefined && { dir: o.data }),
  });
};

operationOptions(
  program
    .command('adopt')
    .description(
      'book a bot whose sub-account already holds money: its balance becomes its capital base (no money moves)',
    )
    .argument('<bot>', 'the bot to adopt')
    .option(
      '--from-reserve',
      "book its money as allocated from its pool's reserve (books lost, a new portfolio_id)",
      false,
    )
    .option(
      '--capital <amount>',
      'the capital base to book, e.g. what was allocated (the rest is its PnL so far; default: its balance)',
      amountArgument,
    ),
).action((bot: string, o) =>
  operate(o, {
    kind: 'adoption',
    botId: bot,
    fromReserve: o.fromReserve,
    ...(o.capital !== undefined && { capital: o.capital }),
  }),
);

operationOptions(
  program
    .command('deposit')
    .description('book money the trader added to the master account (refused unless it is there)')
    .argument('<amount>', 'how much was added', amountArgument)
    .requiredOption('--to <reserve>', 'the reserve it goes to, e.g. reserve:emergency'),
).action((amount: Money, o) => operate(o, { kind: 'deposit', amount, to: o.to }));

operationOptions(
  program
    .command('withdraw')
    .description(
      'book money the trader takes out of a reserve (then move it out of the master by hand; Botfolio never withdraws)',
    )
    .argument('<amount>', 'how much', amountArgument)
    .requiredOption('--from <reserve>', 'the reserve it comes from, e.g. reserve:trend'),
).action((amount: Money, o) => operate(o, { kind: 'withdrawal', amount, from: o.from }));

operationOptions(
  program
    .command('retire')
    .description(
      'stop managing a bot: its books close (with --sweep its balance first goes back to its pool reserve)',
    )
    .argument('<bot>', 'the bot to retire')
    .option(
      '--sweep',
      "bring its balance back to its pool's reserve through the transfer workflow",
      false,
    ),
).action((bot: string, o) => operate(o, { kind: 'retirement', botId: bot, sweep: o.sweep }));

operationOptions(
  program
    .command('move')
    .description(
      "the operator's own move between two reserves (fund a new pool, merge a renamed one)",
    )
    .argument('<amount>', 'how much', amountArgument)
    .requiredOption('--from <reserve>', 'the reserve it comes from')
    .requiredOption('--to <reserve>', 'the reserve it goes to'),
).action((amount: Money, o) => operate(o, { kind: 'move', amount, from: o.from, to: o.to }));

program
  .command('backtest')
  .description(
    'replay equity curves (CSV, or a Freqtrade backtest result) through the policy: per-bot metrics, profit retention',
  )
  .requiredOption('-c, --config <file>', 'portfolio config file')
  .requiredOption(
    '--curves <path>',
    'a CSV file of equity curves, a folder of them, or a Freqtrade backtest-result-*.json / .zip (one bot per strategy)',
  )
  .option('--json', 'as JSON', false)
  .option('--sweep <file>', 'backtest every parameter set of a sweep file (JSON) and rank them')
  .option(
    '--stress <scenarios>',
    'also backtest the curves under each scenario, beside the baseline: crash:X%:DUR[@TIME], bleed:X%:DUR[@TIME], flash:X%:DUR[@TIME], correlated:X%:DUR:BOT+BOT|N[@TIME], bootstrap:N[:BLOCK] (comma-separated; DUR 30m/6h/14d; README, "Stress tests")',
    stressArgument,
  )
  .option('--seed <n>', 'seed of the stress scenarios’ random choices', seedArgument, 1)
  .option(
    '--report <file>',
    'also write an HTML report (charts of equity with and without the manager, drawdown, reserves, transfers, each bot; with --sweep its heat map)',
  )
  .option(
    '--heatmap <a,b>',
    "with --sweep and --report: the heat map's two parameters (default: the first two swept)",
  )
  .action(async (o) => {
    if (o.sweep && o.stress) {
      throw new InvalidArgumentError(
        '--stress and --sweep do not go together: stress one config at a time',
      );
    }
    if (o.heatmap !== undefined && (o.sweep === undefined || o.report === undefined))
      throw new InvalidArgumentError('--heatmap goes with --sweep and --report');
    if (o.sweep) {
      const { sweepCommand } = await import('../functions/local/commands/sweep.ts');
      process.exitCode = await sweepCommand(
        o.config,
        o.curves,
        o.sweep,
        o.json,
        o.report === undefined
          ? undefined
          : {
              file: o.report,
              ...(o.heatmap !== undefined && {
                heatmap: String(o.heatmap)
                  .split(',')
                  .map((p) => p.trim()),
              }),
            },
      );
      return;
    }
    const { backtestCommand } = await import('../functions/local/commands/backtest.ts');
    process.exitCode = await backtestCommand(
      await configOf(o.config),
      o.config,
      o.curves,
      o.json,
      o.stress ? { scenarios: o.stress, seed: o.seed } : undefined,
      o.report,
    );
  });

await runProgram(program);
