/**
 * `botfolio adopt | deposit | withdraw | retire | move`: the operator's capital operations
 * (DESIGN.md §10, usecases/operations.ts) on the local data folder, against the exchange the local
 * runtime uses. `--dry-run` checks and describes, and writes nothing.
 */
import { userInfo } from 'node:os';
import type { Config } from '../../core/config.ts';
import { showMoney } from '../../core/money.ts';
import {
  OPERATION_VERBS,
  OperationRefusedError,
  type OperationRequest,
  runOperation,
} from '../../usecases/operations.ts';
import { withRuntime } from './local-data.ts';

export interface OperationCommandOptions {
  readonly reason: string;
  readonly dryRun: boolean;
  readonly json: boolean;
  readonly dir?: string;
  readonly configFile?: string;
}

/** Who the machine says is at the keyboard. */
export function operator(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

export async function operationCommand(
  config: Config,
  request: OperationRequest,
  opts: OperationCommandOptions,
  out: (text: string) => void = (t) => process.stdout.write(t),
  err: (text: string) => void = (t) => process.stderr.write(t),
): Promise<number> {
  const verb = OPERATION_VERBS[request.kind];
  try {
    return await withRuntime(
      config,
      opts.dir,
      async (rt) => {
        const result = await runOperation(
          {
            config,
            ...rt.store,
            exchanges: rt.exchanges,
            workflow: rt.workflow,
            now: () => new Date(),
          },
          request,
          { reason: opts.reason, by: operator(), dryRun: opts.dryRun },
        );
        if (result.started) await rt.workflow.drain();
        const entry = (await rt.store.journal.get(result.entry.id)) ?? result.entry;
        if (opts.json) {
          out(
            `${JSON.stringify(
              {
                operation: request.kind,
                id: entry.id,
                dry_run: opts.dryRun,
                status: opts.dryRun ? null : entry.status,
                from: entry.from,
                to: entry.to,
                amount: showMoney(entry.amount),
                summary: result.summary,
                ...(entry.error !== undefined && { error: entry.error }),
              },
              null,
              2,
            )}\n`,
          );
        } else if (opts.dryRun) {
          out(`dry run — ${verb} would do this (nothing written):\n  ${result.summary}\n`);
        } else {
          const ended = result.started
            ? entry.status === 'completed'
              ? 'the sweep completed and the books are closed'
              : `the sweep is ${entry.status}${entry.error ? ` (${entry.error})` : ''}: the bot keeps its books until it completes`
            : 'booked';
          out(`${result.summary}\n  ${verb} ${entry.id.slice(0, 8)}: ${ended}\n`);
        }
        return result.started && entry.status !== 'completed' ? 1 : 0;
      },
      opts.configFile,
    );
  } catch (error) {
    if (error instanceof OperationRefusedError) {
      err(`${verb}: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}
