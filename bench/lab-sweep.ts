/**
 * The lab at the size issue 13 names: a sweep of 200 parameter sets over 10 bots × one year of
 * 15-minute points, through the shipped CLI (`dist/botfolio.mjs`, built first), writing the HTML
 * report. Prints the folder, the command and how long it took; the progress bar shows on a
 * terminal. `npm run --silent lab:sweep [-- --sets N --bots N]`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fleetConfig, fleetConfigJson, fleetCurves, YEAR_STEPS } from './backtest-fleet.ts';
import { ROOT } from './bundles.ts';

const { values } = parseArgs({
  options: { sets: { type: 'string', default: '200' }, bots: { type: 'string', default: '10' } },
});
const bots = Number(values.bots);
const sets = Number(values.sets);
const dir = mkdtempSync(join(tmpdir(), 'botfolio-lab-'));
const config = join(dir, 'portfolio.json');
writeFileSync(config, JSON.stringify(fleetConfigJson(bots), null, 2));

const curves = fleetCurves(fleetConfig(bots), YEAR_STEPS);
const ids = [...curves.values.keys()];
const lines = [`time,${ids.join(',')}`];
for (let i = 0; i < curves.times.length; i++) {
  const row = ids.map((id) => ((curves.values.get(id)?.[i] ?? 0) / 1e8).toFixed(8));
  lines.push(`${curves.times[i]},${row.join(',')}`);
}
const csv = join(dir, 'curves.csv');
writeFileSync(csv, `${lines.join('\n')}\n`);

const sweep = join(dir, 'sweep.json');
writeFileSync(
  sweep,
  JSON.stringify({
    mode: 'random',
    samples: sets,
    seed: 7,
    parameters: {
      'pools.low_frequency.harvest_threshold': [1.1, 1.15, 1.2, 1.25, 1.3, 1.4, 1.5],
      'pools.low_frequency.harvest_percentage': [0.4, 0.5, 0.6, 0.7, 0.8],
      'pools.high_frequency.harvest_threshold': [1.1, 1.15, 1.2, 1.3],
      'loss_recovery.intervention_threshold': [0.15, 0.2, 0.25, 0.3, 0.4],
      'loss_recovery.refill_target': [0.5, 0.6, 0.75, 0.9],
      'black_swan_protection.safety_allocation': [0.1, 0.2, 0.3, 0.5],
    },
  }),
);

const build = spawnSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);
const report = join(dir, 'sweep.html');
const args = [
  join(ROOT, 'dist/botfolio.mjs'),
  'backtest',
  '-c',
  config,
  '--curves',
  csv,
  '--sweep',
  sweep,
  '--report',
  report,
  '--heatmap',
  'pools.low_frequency.harvest_threshold,loss_recovery.refill_target',
];
process.stderr.write(`lab: ${bots} bots × ${YEAR_STEPS} steps, ${sets} sets, in ${dir}\n`);
const started = performance.now();
const run = spawnSync(process.execPath, args, { stdio: ['inherit', 'pipe', 'inherit'] });
const seconds = (performance.now() - started) / 1000;
const table = run.stdout.toString();
process.stdout.write(`${table.split('\n').slice(0, 16).join('\n')}\n…\n`);
process.stderr.write(
  `lab: exit ${run.status}, ${seconds.toFixed(1)} s; report ${report} (${Math.round(statSync(report).size / 1024)} KB)\n`,
);
process.exit(run.status ?? 1);
