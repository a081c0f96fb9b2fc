/** `botfolio state` built on its own (bin/build-cli.ts; console-commands.ts says why). */
import { showState } from '../../functions/local/commands/local-data.ts';
import { createProgram, runProgram } from '../cli-parts.ts';
import { defineState } from '../console-commands.ts';

const program = createProgram();
defineState(program, async () => ({ showState }));
await runProgram(program);
