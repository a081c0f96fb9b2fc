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
  const { reserves } = report;
  const summary = {
    restarted: report.restarted.length,
    settled: report.settled,
    applied: report.applied.length,
    unresolved: report.unresolved,
    locksReleased: report.locksReleased,
    holdsReleased: report.holdsReleased,
    books: {
      checked: reserves.checked,
      agree: reserves.agree,
      reason: reserves.reason,
      reserves: reserves.reserves === undefined ? undefined : formatMoney(reserves.reserves),
      master: reserves.master === undefined ? undefined : formatMoney(reserves.master),
    },
    entriesApplied: Number(report.watermark.applied),
  };
  const mismatch = reserves.checked && !reserves.agree;
  console.log(
    JSON.stringify({ level: mismatch ? 'error' : 'info', message: 'reconciled', ...summary }),
  );
  return summary;
}
