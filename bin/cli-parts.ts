/**
 * What every build of the `botfolio` CLI shares: the program itself, the options many commands
 * take, and how a run ends (a user's mistake as one line on stderr and exit 1). bin/botfolio.ts
 * defines every command on it; bin/console.ts only the console's read-only ones
 * (console-commands.ts), so those start without the rest (bin/build-cli.ts).
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { DeployedStackError } from '../functions/adapters/stack-outputs.ts';
import { InvalidConfigError } from '../functions/core/problems.ts';
import type { BooksAt } from '../functions/local/books.ts';
import { UserFileError } from '../functions/local/user-file.ts';
import packageJson from '../package.json' with { type: 'json' };

export const DEFAULT_CONFIG = 'examples/spec-portfolio.json';

/** The config file, validated (the validation's modules load only when a command needs them). */
export const configOf = async (file: string) =>
  (await import('../functions/local/files.ts')).loadConfigFile(file);

export const positiveInt = (what: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new InvalidArgumentError(`${what} must be a whole number ≥ 0`);
  return n;
};

/** The program, before any command is defined on it. */
export const createProgram = () =>
  new Command('botfolio')
    .description('Capital manager for fleets of trading bots')
    .version(packageJson.version, '-V, --version', 'the version of botfolio')
    .showHelpAfterError()
    .exitOverride();

export const configOption = () =>
  new Option('-c, --config <file>', 'portfolio config file').default(DEFAULT_CONFIG);
export const dataOption = () =>
  new Option(
    '-d, --data <dir>',
    'local data folder (store and paper exchange) (default: .local/<portfolio_id>)',
  );
export const stackOption = () =>
  new Option(
    '--stack <name>',
    'a deployed stack instead of the local data (AWS region and profile as usual; AWS_ENDPOINT_URL for an emulator)',
  ).conflicts('data');

/** Where a command finds the books: `--stack`, else the local data folder. */
export const booksAt = (o: { data?: string; stack?: string }): BooksAt =>
  o.stack === undefined ? { dir: o.data } : { stack: o.stack };

/** Parses the arguments and runs the command; a user's mistake ends as one line and exit 1. */
export async function runProgram(program: Command): Promise<void> {
  try {
    await program.parseAsync();
  } catch (error) {
    if (
      // an action's own refusal (commander prints and wraps the ones it raises while parsing)
      error instanceof InvalidArgumentError ||
      error instanceof InvalidConfigError ||
      error instanceof UserFileError ||
      error instanceof DeployedStackError
    ) {
      process.stderr.write(`${error.message}\n`);
      process.exitCode = 1;
    } else if (
      error instanceof Error &&
      'exitCode' in error &&
      typeof error.exitCode === 'number'
    ) {
      // commander's own exit (help, version, a usage error it already printed)
      process.exitCode = error.exitCode;
    } else {
      throw error;
    }
  }
}
