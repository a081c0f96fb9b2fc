/** `botfolio bot` built on its own (bin/build-cli.ts; console-commands.ts says why). */
// Before zod loads (a config not in the memo), as in the whole CLI (zod-jitless.ts says why).
import '../../functions/local/zod-jitless.ts';
import { withStores } from '../../functions/local/books.ts';
import { botCommand } from '../../functions/local/commands/bot.ts';
import { createProgram, runProgram } from '../cli-parts.ts';
import { defineBot } from '../console-commands.ts';

const program = createProgram();
defineBot(program, async () => ({ botCommand, withStores }));
await runProgram(program);
