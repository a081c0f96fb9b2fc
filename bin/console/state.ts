/** `botfolio state` built on its own (bin/build-cli.ts; console-commands.ts says why). */
// Before zod loads (a config not in the memo), as in the whole CLI (zod-jitless.ts says why).
import '../../functions/local/zod-jitless.ts';
import { showState } from '../../functions/local/commands/local-data.ts';
import { createProgram, runProgram } from '../cli-parts.ts';
import { defineState } from '../console-commands.ts';

const program = createProgram();
defineState(program, async () => ({ showState }));
await runProgram(program);
