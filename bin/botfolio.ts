#!/usr/bin/env -S npx tsx
/**
 * The `botfolio` CLI. Composition and translation only: parse arguments (commander), call a
 * command, turn user errors into a clear message on stderr and a non-zero exit.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { DEMO_SEED } from '../functions/adapters/paper/market.ts';
import { DeployedStackError } from '../functions/adapters/stack-outputs.ts';
import { InvalidConfigError } from '../functions/core/problems.ts';
import type { BooksAt } from '../functions/local/books.ts';
import { VENUES } from '../functions/local/chaos/venues.ts';
import { backtestCommand } from '../functions/local/commands/backtest.ts';
import { chaosCommand } from '../functions/local/commands/chaos.ts';
import { demo } from '../functions/local/commands/demo.ts';
import {
  cycleOnce,
  showState,
  showStatus,
  showTransfers,
} from '../functions/local/commands/local-data.ts';
import {
  confirmBalanceCommand,
  haltCommand,
  resumeCommand,
} from '../functions/local/commands/operator.ts';
import { planCommand, validateCommand } from '../functions/local/commands/plan.ts';
import { rebuildCommand, reconcileCommand } from '../functions/local/commands/reconcile.ts';
import { RUN_EXCHANGES, run } from '../functions/local/commands/run.ts';
import { sweepCommand } from '../functions/local/commands/sweep.ts';
import { loadConfigFile, UserFileError } from '../functions/local/files.ts';

const DEFAULT_CONFIG = 'examples/spec-portfolio.json';

const positiveInt = (what: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new InvalidArgumentError(`${what} must be a whole number ≥ 0`);
  return n;
};

const program = new Command('botfolio')
  .description('Capital manager for fleets of trading bots')
  .showHelpAfterError()
  .exitOverride();

const configOption = () =>
  new Option('-c, --config <file>', 'portfolio config file').default(DEFAULT_CONFIG);
const dataOption = () =>
  new Option('-d, --data <dir>', 'local data folder (store and paper exchange)');
const stackOption = () =>
  new Option(
    '--stack <name>',
    'a deployed stack instead of the local data (AWS region and profile as usual; AWS_ENDPOINT_URL for an emulator)',
  ).conflicts('data');
/** Where a command finds the books: `--stack`, else the local data folder. */
const booksAt = (o: { data?: string; stack?: string }): BooksAt =>
  o.stack === undefined ? { dir: o.data } : { stack: o.stack };

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
    process.exitCode = await demo({
      config: loadConfigFile(o.config),
      configFile: o.config,
      cycles: o.cycles,
      seed: o.seed,
      quiet: o.quiet,
      delayMs: o.delay,
    });
  });

program
  .command('validate')
  .description('check a config file; every problem is listed with its path')
  .argument('<file>', 'config file')
  .action(async (file: string) => {
    process.exitCode = await validateCommand(file);
  });

program
  .command('plan')
  .description('dry run: what Botfolio would do now, reading only the config and state files')
  .requiredOption('-c, --config <file>', 'portfolio config file')
  .requiredOption('--state <file>', 'portfolio state file (the `botfolio state` form)')
  .option('--json', 'print the plan as JSON (the contract form)', false)
  .action(async (o) => {
    process.exitCode = await planCommand(o.config, o.state, o.json);
  });

program
  .command('cycle')
  .description('run monitoring cycles against the local store and paper exchange')
  .requiredOption('--once', 'run exactly one cycle')
  .addOption(configOption())
  .addOption(dataOption())
  .action(async (o) => {
    process.exitCode = await cycleOnce(loadConfigFile(o.config), o.data, o.config);
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
  .action(async (o) => {
    process.exitCode = await run({
      config: loadConfigFile(o.config),
      configFile: o.config,
      exchange: o.exchange,
      dataDir: o.data,
      dryRun: o.dryRun,
      cycles: o.cycles,
    });
  });

program
  .command('status')
  .description('the portfolio: mode, equity, reserves, bots')
  .addOption(configOption())
  .addOption(dataOption())
  .addOption(stackOption())
  .option('--json', 'as JSON', false)
  .action(async (o) => {
    process.exitCode = await showStatus(loadConfigFile(o.config), booksAt(o), o.json);
  });

program
  .command('state')
  .description('the portfolio state, in the form `botfolio plan --state` reads')
  .addOption(configOption())
  .addOption(dataOption())
  .addOption(stackOption())
  .option('--rebuild', 'recompute the ledger (reserves, bot books) from the journal and replace it')
  .option('--dry-run', 'with --rebuild: only show how the ledger differs from the journal', false)
  .option('--json', 'with --rebuild: as JSON', false)
  .action(async (o) => {
    const config = loadConfigFile(o.config);
    process.exitCode = o.rebuild
      ? await rebuildCommand(config, booksAt(o), { dryRun: o.dryRun, json: o.json })
      : await showState(config, booksAt(o));
  });

program
  .command('reconcile')
  .description('settle transfers left open, apply what the ledger misses, check the books')
  .addOption(configOption())
  .addOption(dataOption())
  .addOption(stackOption())
  .option('--json', 'as JSON', false)
  .action(async (o) => {
    process.exitCode = await reconcileCommand(loadConfigFile(o.config), booksAt(o), {
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
      'where the money sits: the paper exchange, or a fake Bitget through the real adapter',
    )
      .choices(VENUES)
      .default('paper'),
  )
  .option('--json', 'print one JSON object', false)
  .action(async (o) => {
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

program
  .command('transfers')
  .description('the transfer journal, newest first')
  .addOption(configOption())
  .addOption(dataOption())
  .addOption(stackOption())
  .option('-b, --bot <id>', 'only this bot')
  .option('--id <id>', 'one transfer, with its whole history')
  .option('--json', 'as JSON', false)
  .action(async (o) => {
    process.exitCode = await showTransfers(loadConfigFile(o.config), booksAt(o), {
      bot: o.bot,
      id: o.id,
      json: o.json,
    });
  });

program
  .command('halt')
  .description('emergency stop: nothing moves toward a bot until `resume` (harvests go on)')
  .addOption(configOption())
  .addOption(dataOption())
  .addOption(stackOption())
  .action(async (o) => {
    process.exitCode = await haltCommand(loadConfigFile(o.config), booksAt(o));
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
  .action(async (o) => {
    process.exitCode = await resumeCommand(loadConfigFile(o.config), booksAt(o), o.unblock);
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
    process.exitCode = await confirmBalanceCommand(loadConfigFile(o.config), booksAt(o), bot, {
      amount: o.amount,
      reason: o.reason,
    });
  });

program
  .command('backtest')
  .description('replay equity curves (CSV) through the policy: per-bot metrics, profit retention')
  .requiredOption('-c, --config <file>', 'portfolio config file')
  .requiredOption('--curves <path>', 'a CSV file of equity curves, or a folder of them')
  .option('--json', 'as JSON', false)
  .option('--sweep <file>', 'backtest every parameter set of a sweep file (JSON) and rank them')
  .action(async (o) => {
    process.exitCode = o.sweep
      ? await sweepCommand(o.config, o.curves, o.sweep, o.json)
      : await backtestCommand(loadConfigFile(o.config), o.config, o.curves, o.json);
  });

try {
  await program.parseAsync();
} catch (error) {
  if (
    error instanceof InvalidConfigError ||
    error instanceof UserFileError ||
    error instanceof DeployedStackError
  ) {
    process.stderr.write(`${error.message}\n`);
    process.exitCode = 1;
  } else if (error instanceof Error && 'exitCode' in error && typeof error.exitCode === 'number') {
    // commander's own exit (help, version, a usage error it already printed)
    process.exitCode = error.exitCode;
  } else {
    throw error;
  }
}
