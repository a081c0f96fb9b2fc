/** `botfolio bot` built on its own (bin/build-cli.ts; console-commands.ts says why). */
import { withStores } from '../../functions/local/books.ts';
import { botCommand } from '../../functions/local/commands/bot.ts';
import { createProgram, runProgram } from '../cli-parts.ts';
import { defineBot } from '../console-commands.ts';

const program = createProgram();
defineBot(program, async () => ({ botCommand, withStores }));
await runProgram(program);
