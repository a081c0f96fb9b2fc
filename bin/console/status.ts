/** `botfolio status` built on its own (bin/build-cli.ts; console-commands.ts says why). */
import { showStatus } from '../../functions/local/commands/status.ts';
import { createProgram, runProgram } from '../cli-parts.ts';
import { defineStatus } from '../console-commands.ts';

const program = createProgram();
defineStatus(program, async () => ({ showStatus }));
await runProgram(program);
