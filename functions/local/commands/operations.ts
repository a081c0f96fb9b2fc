/**
 * `botfolio adopt | deposit | withdraw | retire | move`: the operator's capital operations
 * (DESIGN.md §10, usecases/operations.ts) on the local data folder, against the exchange the local
 * runtime uses. `--dry-run` checks and describes, and writes nothing.
 */
import { userInfo } from 'node:os';
import * as z from 'zod';
import type { Config } from '../../core/config.ts';
import { formatMoney, money } from '../../core/money.ts';
import type { JournalEntry } from '../../core/transfer.ts';
import {
  OPERATION_VERBS,
  OperationRefusedError,
  type OperationRequest,
  runOperation,
} from '../../usecases/operations.ts';
import type { LoopCommand } from '../control.ts';
import { runOnFolder } from './local-data.ts';

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

/** An operation as it travels to `botfolio run` (amounts as decimal strings: JSON has no bigint). */
const operateArgs = z.object({
  request: z.discriminatedUnion('kind', [
    z.object({
      kind: z.literal('adoption'),
      botId: z.string(),
      fromReserve: z.boolean(),
      capital: z.string().optional(),
    }),
    z.object({ kind: z.literal('deposit'), amount: z.string(), to: z.string() }),
    z.object({ kind: z.literal('withdrawal'), amount: z.string(), from: z.string() }),
    z.object({ kind: z.literal('move'), amount: z.string(), from: z.string(), to: z.string() }),
    z.object({ kind: z.literal('retirement'), botId: z.string(), sweep: z.boolean() }),
  ]),
  reason: z.string(),
  by: z.string(),
  dryRun: z.boolean(),
  json: z.boolean(),
});
type OperateArgs = z.infer<typeof operateArgs>;

function requestOf(r: OperateArgs['request']): OperationRequest {
  switch (r.kind) {
    case 'adoption':
      return {
        kind: r.kind,
        botId: r.botId,
        fromReserve: r.fromReserve,
        ...(r.capital !== undefined && { capital: money(r.capital) }),
      };
    case 'retirement':
      return r;
    case 'deposit':
    case 'withdrawal':
    case 'move':
      return { ...r, amount: money(r.amount) } as OperationRequest;
  }
}

function argsOf(request: OperationRequest): OperateArgs['request'] {
  switch (request.kind) {
    case 'adoption':
      return {
        kind: request.kind,
        botId: request.botId,
        fromReserve: request.fromReserve,
        ...(request.capital !== undefined && { capital: formatMoney(request.capital) }),
      };
    case 'retirement':
      return request;
    case 'deposit':
    case 'withdrawal':
    case 'move':
      return { ...request, amount: formatMoney(request.amount) } as OperateArgs['request'];
  }
}

/** An operation on a runtime: here, or in `botfolio run` for another process (control.ts). */
export const OPERATE: LoopCommand<OperateArgs> = {
  name: 'operate',
  args: operateArgs,
  async run(rt, args) {
    const request = requestOf(args.request);
    const verb = OPERATION_VERBS[request.kind];
    try {
      const result = await runOperation(
        {
          config: rt.config,
          ...rt.store,
          exchanges: rt.exchanges,
          workflow: rt.workflow,
          now: () => new Date(),
        },
        request,
        { reason: args.reason, by: args.by, dryRun: args.dryRun },
      );
      if (result.started) await rt.workflow.drain();
      const entry = (await rt.store.journal.get(result.entry.id)) ?? result.entry;
      const failedSweep = result.started && entry.status !== 'completed';
      return {
        exitCode: failedSweep ? 1 : 0,
        stdout: shown(args, verb, result, entry),
        stderr: '',
      };
    } catch (error) {
      if (error instanceof OperationRefusedError) {
        return { exitCode: 1, stdout: '', stderr: `${verb}: ${error.message}\n` };
      }
      throw error;
    }
  },
};

function shown(
  args: OperateArgs,
  verb: string,
  result: Awaited<ReturnType<typeof runOperation>>,
  entry: JournalEntry,
): string {
  if (args.json) {
    return `${JSON.stringify(
      {
        operation: entry.kind,
        id: entry.id,
        dry_run: args.dryRun,
        status: args.dryRun ? null : entry.status,
        from: entry.from,
        to: entry.to,
        amount: formatMoney(entry.amount),
        summary: result.summary,
        ...(entry.error !== undefined && { error: entry.error }),
      },
      null,
      2,
    )}\n`;
  }
  if (args.dryRun)
    return `dry run — ${verb} would do this (nothing written):\n  ${result.summary}\n`;
  const ended = result.started
    ? entry.status === 'completed'
      ? 'the sweep completed and the books are closed'
      : `the sweep is ${entry.status}${entry.error ? ` (${entry.error})` : ''}: the bot keeps its books until it completes`
    : 'booked';
  return `${result.summary}\n  ${verb} ${entry.id.slice(0, 8)}: ${ended}\n`;
}

/** Runs the operation on the local data folder — in `botfolio run` when it holds the folder. */
export function operationCommand(
  config: Config,
  request: OperationRequest,
  opts: OperationCommandOptions,
  out: (text: string) => void = (t) => process.stdout.write(t),
): Promise<number> {
  return runOnFolder(
    config,
    opts.dir,
    OPERATE,
    {
      request: argsOf(request),
      reason: opts.reason,
      by: operator(),
      dryRun: opts.dryRun,
      json: opts.json,
    },
    out,
    opts.configFile,
  );
}
