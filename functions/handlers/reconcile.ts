/**
 * Lambda entry point of the scheduled reconciliation: run it, log what it did, and return the
 * report in its JSON form (what `botfolio reconcile --json` prints; `--stack` invokes this).
 */
import { SFNClient } from '@aws-sdk/client-sfn';
import { StepFunctionsStarter } from '../adapters/stepfunctions/starter.ts';
import { reconcile } from '../usecases/reconcile.ts';
import {
  booksDisagree,
  type ReconcileJson,
  reconcileReportJson,
} from '../usecases/reconcile-report.ts';
import { alerter, config, exchanges, logger, metrics, stores } from './aws.ts';
import { requireEnv } from './env.ts';

const workflow = new StepFunctionsStarter(new SFNClient({}), requireEnv('STATE_MACHINE_ARN'));

export async function handler(): Promise<ReconcileJson> {
  const report = reconcileReportJson(
    await reconcile({
      config,
      ...stores,
      exchanges,
      alerter,
      metrics,
      workflow,
      now: () => new Date(),
    }),
  );
  if (booksDisagree(report)) logger.error('reconciled: the books disagree', { report });
  else logger.info('reconciled', { report });
  return report;
}
