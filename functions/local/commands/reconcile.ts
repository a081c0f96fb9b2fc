/**
 * `botfolio reconcile`: settles what the transfer workflow left open on the local data (as the
 * scheduled reconcile function does in AWS) and checks the books against the exchange; with
 * `--stack`, the deployed reconcile function does it and its report is printed the same way.
 * `botfolio state --rebuild [--dry-run]`: recomputes the ledger from the journal and replaces the
 * projection with it (or only shows the differences).
 */
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import * as z from 'zod';
import { DeployedStackError } from '../../adapters/stack-outputs.ts';
import type { Config } from '../../core/config.ts';
import { formatMoney, money } from '../../core/money.ts';
import { rebuildLedger } from '../../usecases/ledger-rebuild.ts';
import {
  booksDisagree,
  type ReconcileJson,
  reconcileReportJson,
  type SubAccountJson,
} from '../../usecases/reconcile-report.ts';
import { type BooksAt, deployedStackOf, withStores } from '../books.ts';
import type { LoopCommand } from '../control.ts';
import { runOnFolder } from './local-data.ts';

/** Reconciliation on a runtime: here, or in `botfolio run` for another process (control.ts). */
export const RECONCILE: LoopCommand<{ json: boolean }> = {
  name: 'reconcile',
  args: z.object({ json: z.boolean() }),
  async run(rt, { json }) {
    const report = reconcileReportJson(await rt.reconcile());
    return { exitCode: booksDisagree(report) ? 1 : 0, stdout: shown(report, json), stderr: '' };
  },
};

const shown = (report: ReconcileJson, json: boolean) =>
  json ? `${JSON.stringify(report, null, 2)}\n` : describe(report);

export async function reconcileCommand(
  config: Config,
  at: BooksAt,
  opts: { json: boolean },
  out: (text: string) => void = (t) => process.stdout.write(t),
): Promise<number> {
  if (at.stack === undefined) return runOnFolder(config, at.dir, RECONCILE, opts, out);
  const report = await reconcileInStack(config, at.stack);
  out(shown(report, opts.json));
  return booksDisagree(report) ? 1 : 0;
}

/**
 * A deployed stack reconciles in its own reconcile function: it calls the exchange from the
 * stack's network (the address the key is bound to) with the stack's key, never from here.
 */
async function reconcileInStack(config: Config, stackName: string): Promise<ReconcileJson> {
  const stack = await deployedStackOf(config, stackName);
  const lambda = new LambdaClient({});
  try {
    const answer = await lambda.send(new InvokeCommand({ FunctionName: stack.reconcileFunction }));
    const text = new TextDecoder().decode(answer.Payload ?? new Uint8Array());
    if (answer.FunctionError) {
      throw new DeployedStackError(
        `stack ${stackName}: the reconcile function failed (${answer.FunctionError}): ${text}`,
      );
    }
    return JSON.parse(text) as ReconcileJson;
  } finally {
    lambda.destroy();
  }
}

function describe(r: ReconcileJson): string {
  const lines = [`reconciled at ${r.at}`];
  for (const s of r.settled) lines.push(`  settled    ${s.id}: ${s.from} → ${s.to}`);
  for (const id of r.restarted) lines.push(`  restarted  ${id}`);
  for (const id of r.applied)
    lines.push(`  applied    ${id} (completed, was missing from the ledger)`);
  for (const u of r.unresolved) lines.push(`  open       ${u.id}: ${u.status}, ${u.why}`);
  for (const b of r.locksReleased) lines.push(`  unlocked   ${b} (its transfer had ended)`);
  for (const id of r.holdsReleased) lines.push(`  released   the reserve hold of ${id}`);
  for (const b of r.plansReleased)
    lines.push(`  released   the plan holding ${b} (its transfers had ended)`);
  const b = r.books;
  const amount = (m: string | undefined) => formatMoney(money(m ?? 0), 2);
  lines.push(
    !b.checked
      ? `  books      not checked: ${b.reason}`
      : b.agree
        ? `  books      agree: reserves ${amount(b.reserves)} = master accounts`
        : `  books      MISMATCH: reserves ${amount(b.reserves)}, master accounts ${amount(b.master)}`,
  );
  if (r.subAccounts && r.subAccounts.length > 0) {
    lines.push(
      "  sub-accts  a booked bot's balance other than its capital base is its PnL, not a mismatch; money in a sub-account without books is drift",
    );
    for (const c of r.subAccounts) lines.push(`  sub-acct   ${subAccountLine(c)}`);
  }
  lines.push(
    `  watermark  ${r.watermark.applied} completed transfers in the ledger${r.watermark.lastApplied ? ` (last ${r.watermark.lastApplied.id} at ${r.watermark.lastApplied.at})` : ''}`,
  );
  return `${lines.join('\n')}\n`;
}

/** One bot's sub-account: what was read, and what it means for the books. */
function subAccountLine(c: SubAccountJson): string {
  const amount = (m: string) => formatMoney(money(m), 2);
  const where = `${c.botId} (${c.exchange} ${c.account})`;
  const read = c.balance === null ? `unknown (${c.unknownWhy ?? 'not read'})` : amount(c.balance);
  const base = `capital base ${amount(c.capitalBase ?? '0')}`;
  const booked =
    c.pnl === undefined
      ? `${read}, ${base}`
      : `${read} = ${base} ${c.pnl.startsWith('-') ? '−' : '+'} PnL ${amount(c.pnl.replace(/^-/, ''))}`;
  const moving = c.inFlight ? ' (a transfer in flight)' : '';
  switch (c.books) {
    case 'booked':
      return `${where}: ${booked}${moving}`;
    case 'not_in_config':
      return `${where}: ${booked}, booked but not in the config: \`botfolio retire ${c.botId} [--sweep]\``;
    case 'unbooked':
      if (c.bookedTo !== undefined)
        return `${where}: ${read}, no books of its own: the account is booked to ${c.bookedTo}`;
      if (c.drift)
        return `${where}: DRIFT — holds ${read} and has no books: \`botfolio adopt ${c.botId}\` books it`;
      return `${where}: ${read}, no books${c.inFlight ? ' (a transfer in flight: not judged)' : ''}`;
  }
}

export function rebuildCommand(
  config: Config,
  at: BooksAt,
  opts: { dryRun: boolean; json: boolean },
  out: (text: string) => void = (t) => process.stdout.write(t),
): Promise<number> {
  return withStores(config, at, async (stores) => {
    const report = await rebuildLedger({ config, ...stores }, { replace: !opts.dryRun });
    if (opts.json) {
      out(
        `${JSON.stringify({ entries: report.entries, differences: report.differences.map(({ field, projection, journal }) => ({ field, projection, journal })), replaced: report.replaced }, null, 2)}\n`,
      );
    } else {
      const lines = [
        `the journal holds ${report.entries} completed transfers; the ledger ${report.differences.length === 0 ? 'agrees with it' : 'differs:'}`,
        ...report.differences.map(
          (d) => `  ${d.field}: projection ${d.projection}, journal ${d.journal}`,
        ),
      ];
      lines.push(
        report.openingRecorded
          ? '(from the recorded opening layout and the journal, not from the config)'
          : '(no opening recorded in these books: from the config as it is now)',
      );
      if (report.replaced) lines.push('the projection was rebuilt from the journal');
      out(`${lines.join('\n')}\n`);
    }
    return opts.dryRun && report.differences.length > 0 ? 1 : 0;
  });
}
