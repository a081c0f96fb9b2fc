/** `botfolio transfers` built on its own (bin/build-cli.ts; console-commands.ts says why). */
// Before zod loads (a config not in the memo), as in the whole CLI (zod-jitless.ts says why).
import '../../functions/local/zod-jitless.ts';
import { showTransfers } from '../../functions/local/commands/local-data.ts';
import { createProgram, runProgram } from '../cli-parts.ts';
import { defineTransfers } from '../console-commands.ts';

const program = createProgram();
defineTransfers(program, async () => ({ showTransfers }));
await runProgram(program);
