/** `botfolio status` built on its own (bin/build-cli.ts; console-commands.ts says why). */
// Before zod loads (a config not in the memo), as in the whole CLI (zod-jitless.ts says why).
import '../../functions/local/zod-jitless.ts';
import { showStatus } from '../../functions/local/commands/status.ts';
import { createProgram, runProgram } from '../cli-parts.ts';
import { defineStatus } from '../console-commands.ts';

const program = createProgram();
defineStatus(program, async () => ({ showStatus }));
await runProgram(program);
