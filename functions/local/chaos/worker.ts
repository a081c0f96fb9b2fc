/**
 * A process of the fault campaign (`botfolio chaos --workers N`): it gets the campaign and its
 * share of the runs over IPC, runs them with its own embedded store and synthesized definition,
 * and sends each run's result back as it finishes.
 */
import { synthesizeTransferDefinition } from '../definition.ts';
import { startEmbeddedDynamo } from '../dynamo.ts';
import type { ChaosJob } from './campaign.ts';
import { chaosRun } from './storm.ts';

process.once('message', async (job: ChaosJob) => {
  const send = (message: unknown) =>
    new Promise<void>((resolve, reject) =>
      process.send?.(message, undefined, {}, (e) => (e ? reject(e) : resolve())),
    );
  const definition = synthesizeTransferDefinition();
  const dynamo = await startEmbeddedDynamo();
  try {
    for (const run of job.runs) {
      await send({ result: await chaosRun({ ...job, definition, dynamo }, run) });
    }
  } finally {
    await dynamo.close();
  }
  process.disconnect();
});
