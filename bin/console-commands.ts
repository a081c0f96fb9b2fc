/**
 * The console's read-only commands — `status`, `state`, `transfers`, `bot`: what a trader types
 * many times a day. Defined here once, for the whole CLI (botfolio.ts) and for each one's own
 * build (bin/console/<name>.ts), which `dist/botfolio.mjs` starts for that command. Each build
 * says how the command's module is loaded (`load`): the whole CLI imports it when the command
 * runs; a command's own build has it bundled in, so esbuild, which cuts chunks by which entries
 * (each `await import` is one) reach a module, has no reason to cut its code into twenty files.
 */
import { type Command, InvalidArgumentError } from 'commander';
import { rememberedConfig } from '../functions/local/config-memo.ts';
import { booksAt, configOf, configOption, dataOption, stackOption } from './cli-parts.ts';

type StatusModule = typeof import('../functions/local/commands/status.ts');
type LocalDataModule = typeof import('../functions/local/commands/local-data.ts');
type BotModule = typeof import('../functions/local/commands/bot.ts');
type BooksModule = typeof import('../functions/local/books.ts');

export const defineStatus = (
  program: Command,
  load: () => Promise<Pick<StatusModule, 'showStatus'>>,
) =>
  program
    .command('status')
    .description('the portfolio: mode, equity, reserves, bots')
    .addOption(configOption())
    .addOption(dataOption())
    .addOption(stackOption())
    .option('--json', 'as JSON', false)
    .action(async (o) => {
      const { showStatus } = await load();
      process.exitCode = await showStatus(() => rememberedConfig(o.config), booksAt(o), o.json);
    });

export const defineState = (
  program: Command,
  load: () => Promise<Pick<LocalDataModule, 'showState'>>,
) =>
  program
    .command('state')
    .description('the portfolio state, in the form `botfolio plan --state` reads')
    .addOption(configOption())
    .addOption(dataOption())
    .addOption(stackOption())
    .option(
      '--rebuild',
      'recompute the ledger (reserves, bot books) from the journal and replace it',
    )
    .option('--dry-run', 'with --rebuild: only show how the ledger differs from the journal', false)
    .option('--json', 'with --rebuild: as JSON', false)
    .action(async (o) => {
      if (!o.rebuild && o.dryRun)
        throw new InvalidArgumentError(
          '--dry-run goes with --rebuild: `state` alone changes nothing',
        );
      // Only a rebuild changes the books: it validates; showing the state may use the memo.
      const config = o.rebuild ? await configOf(o.config) : await rememberedConfig(o.config);
      if (o.rebuild) {
        const { rebuildCommand } = await import('../functions/local/commands/reconcile.ts');
        process.exitCode = await rebuildCommand(config, booksAt(o), {
          dryRun: o.dryRun,
          json: o.json,
        });
      } else {
        const { showState } = await load();
        process.exitCode = await showState(config, booksAt(o));
      }
    });

export const defineTransfers = (
  program: Command,
  load: () => Promise<Pick<LocalDataModule, 'showTransfers'>>,
) =>
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
      const { showTransfers } = await load();
      process.exitCode = await showTransfers(await rememberedConfig(o.config), booksAt(o), {
        bot: o.bot,
        id: o.id,
        json: o.json,
      });
    });

export const defineBot = (
  program: Command,
  load: () => Promise<Pick<BotModule, 'botCommand'> & Pick<BooksModule, 'withStores'>>,
) =>
  program
    .command('bot')
    .description(
      "one bot's story: its equity over time, its metrics and what they are computed from, its transfers",
    )
    .argument('<id>', 'the bot')
    .addOption(configOption())
    .addOption(dataOption())
    .addOption(stackOption())
    .action(async (id: string, o) => {
      const { botCommand, withStores } = await load();
      const config = await rememberedConfig(o.config);
      process.exitCode = await withStores(config, booksAt(o), (stores) =>
        botCommand(config, stores, id),
      );
    });
