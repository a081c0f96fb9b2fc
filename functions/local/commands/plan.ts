/**
 * `botfolio validate` and `botfolio plan`: read files (and a custom strategy's module), print a
 * verdict or a plan, touch nothing else. The plan is made without history: the history alerts and
 * the history-based strategies need the performance series only a cycle reads.
 */
import { loadAllocationModule } from '../../adapters/allocation-module.ts';
import { announcesTransfer } from '../../core/alerts.ts';
import type { Config } from '../../core/config.ts';
import { formatMoney } from '../../core/money.ts';
import { planToJson } from '../../core/plan-json.ts';
import { plan } from '../../core/policy.ts';
import { InvalidConfigError } from '../../core/problems.ts';
import { parseState } from '../../core/state-file.ts';
import { loadConfigFile, readJsonFile } from '../files.ts';
import { transferLine } from './transfers.ts';

/** The line a valid config gets: its portfolio, capital and pools. */
export function validSummary(config: Config, file: string): string {
  const pools = [...config.pools.values()].map(
    (p) => `${p.name} (${config.bots.filter((b) => b.pool === p.name).length} bots)`,
  );
  return `${file}: valid — portfolio ${config.portfolioId}, ${formatMoney(config.totalCapital, 2)} ${config.currency}, pools ${pools.join(', ')}`;
}

export async function validateCommand(file: string): Promise<number> {
  const config = loadConfigFile(file);
  await loadAllocationModule(config, file);
  process.stdout.write(`${validSummary(config, file)}\n`);
  return 0;
}

export async function planCommand(
  configFile: string,
  stateFile: string,
  json: boolean,
): Promise<number> {
  const config = loadConfigFile(configFile);
  const customWeights = await loadAllocationModule(config, configFile);
  const raw = readJsonFile(stateFile, 'state');
  let state: ReturnType<typeof parseState>;
  try {
    state = parseState(raw, config);
  } catch (e) {
    if (e instanceof InvalidConfigError)
      throw new InvalidConfigError(e.problems, `state ${stateFile}`);
    throw e;
  }
  const decided = plan(config, state, customWeights ? { customWeights } : {});
  if (json) {
    process.stdout.write(`${JSON.stringify(planToJson(decided, config), null, 2)}\n`);
    return 0;
  }
  const lines = [
    `mode ${decided.mode}, peak equity ${formatMoney(decided.peakEquity, 2)} ${config.currency}`,
  ];
  if (decided.transfers.length === 0) lines.push('no transfers');
  for (const t of decided.transfers)
    lines.push(`  ${transferLine(t, config.currency)}  (${t.reason})`);
  // Each transfer is shown above; its info alert would only say it again.
  for (const a of decided.alerts.filter((a) => !announcesTransfer(a)))
    lines.push(`  ${a.severity}: ${a.code}${a.botId ? ` [${a.botId}]` : ''} ${a.message}`);
  for (const c of decided.refillBlocks)
    lines.push(`  ${c.botId}: refills ${c.blocked ? 'blocked' : 'unblocked'} (${c.reason})`);
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}
