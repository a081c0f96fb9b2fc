/** `botfolio transfers` built on its own (bin/build-cli.ts; console-commands.ts says why). */
import { showTransfers } from '../../functions/local/commands/local-data.ts';
import { createProgram, runProgram } from '../cli-parts.ts';
import { defineTransfers } from '../console-commands.ts';

const program = createProgram();
defineTransfers(program, async () => ({ showTransfers }));
await runProgram(program);
