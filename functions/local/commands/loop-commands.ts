/**
 * The commands `botfolio run` serves to other processes on its control endpoint (control.ts):
 * those that need the exchange the loop holds. Register one by adding it here; the CLI side
 * calls `runOnFolder(config, dir, COMMAND, args)` (local-data.ts).
 */
import { type LoopCommands, loopCommands } from '../control.ts';
import { OPERATE } from './operations.ts';
import { RECONCILE } from './reconcile.ts';

export const LOOP_COMMANDS: LoopCommands = loopCommands(RECONCILE, OPERATE);
