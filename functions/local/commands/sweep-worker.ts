/**
 * A sweep's worker thread: reads the curves once, then backtests each parameter set it is given
 * and posts each outcome back as it finishes (the main thread draws the progress bar).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadAllocationModule } from '../../adapters/allocation-module.ts';
import { backtest } from '../../core/backtest.ts';
import { parseConfig } from '../../core/config.ts';
import { outcomeOf, type ParameterSet, withParameters } from '../../core/sweep.ts';
import { curveTarget, readCurves } from './backtest.ts';

interface Job {
  readonly configJson: unknown;
  readonly configFile: string;
  readonly curvesPath: string;
  readonly sets: readonly {
    readonly index: number;
    readonly label: string;
    readonly set: ParameterSet;
  }[];
}

const job = workerData as Job;
const curves = readCurves(job.curvesPath, curveTarget(parseConfig(job.configJson)));
for (const { index, label, set } of job.sets) {
  const config = parseConfig(withParameters(job.configJson, set));
  const customWeights = await loadAllocationModule(config, job.configFile);
  const r = backtest(config, curves, customWeights ? { customWeights } : {});
  parentPort?.postMessage({ index, outcome: outcomeOf(label, r) });
}
