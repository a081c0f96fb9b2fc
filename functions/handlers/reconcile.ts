/** Lambda entry point of the scheduled reconciliation: run it, log what it did. */
import { SFNClient } from '@aws-sdk/client-sfn';
import { StepFunctionsStarter } from '../adapters/stepfunctions/starter.ts';
import { formatMoney } from '../core/money.ts';
import { reconcile } from '../usecases/reconcile.ts';
import { alerter, config, exchanges, metrics, stores } from './aws.ts';
import { requireEnv } from './env.ts';

const workflow = new StepFunctionsStarter(new SFNClient({}), requireEnv('STATE_MACHINE_ARN'));

export async function handler() {
  const report = await reconcile({
    config,
    ...stores,
    exchanges,
    alerter,
    metrics,
    workflow,
    now: () => new Date(),
  });
  const { reserves: books } = report;
  const summary = {
    restarted: report.restarted.length,
    settled: report.settled,
    applied: report.applied.length,
    unresolved: report.unresolved,
    locksReleased: report.locksReleased,
    holdsReleased: report.holdsReleased,
    books: {
      checked: books.checked,
      agree: books.agree,
      reason: books.reason,
      reserves: books.reserves === undefined ? undefined : formatMoney(books.reserves),
      master: books.master === undefined ? undefined : formatMoney(books.master),
    },
    entriesApplied: Number(report.watermark.applied),
  };
  const mismatch = books.checked && !books.agree;
  console.log(
    JSON.stringify({ level: mismatch ? 'error' : 'info', message: 'reconciled', ...summary }),
  );
  return summary;
}
