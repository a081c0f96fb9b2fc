/**
 * Scale (issue 16): one portfolio of N bots on the paper exchange through the local runtime — the
 * same use cases as the Lambdas, the synthesized transfer state machine executed in process,
 * dynalite — with every DynamoDB request counted in the units AWS bills (dynamo-units.ts).
 *
 * Per fleet size: an allocation cycle (every bot funded: N transfers), then steady cycles five
 * minutes apart, the simulated bots trading between them. Figures (steady cycles: the median):
 * - `cycle_ms`: a steady cycle's wall time, its transfers included;
 * - `rcu_per_bot_cycle`, `wcu_per_bot_cycle`: a steady cycle's own units (its transfers'
 *   executions are counted per transfer), per bot;
 * - `wcu_per_transfer`, `rcu_per_transfer`: the units of every transfer execution of the run plus
 *   the cycles' journal writes that planned them, per transfer;
 * - `largest_item_bytes`: the largest item of any table at the end (DynamoDB's size rules), and
 *   which it is;
 * - `sns_per_cycle`: alerts published in a steady cycle (one SNS message each, to every
 *   subscriber);
 * - `sfn_transitions_per_transfer`: Step Functions state transitions per transfer execution;
 * - `heap_mb`: the process's heap after the run.
 *
 * `npx tsx bench/scale.ts [--bots 1000,10000] [--steady 3]` prints one JSON object (bench/run.ts
 * runs it in a process of its own).
 */

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type AttributeValue, type DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import type { TableNames } from '../functions/adapters/dynamodb/context.ts';
import { TABLES, type TableDef } from '../functions/adapters/dynamodb/tables.ts';
import type { Alert } from '../functions/core/alerts.ts';
import { ALERT_HISTORY_SAMPLES } from '../functions/core/analytics.ts';
import { type Config, parseConfig } from '../functions/core/config.ts';
import type { Money } from '../functions/core/money.ts';
import { snapshotExpiry } from '../functions/core/retention.ts';
import type { BotSnapshot, Stores } from '../functions/core/store-ports.ts';
import { localDynamoClient, startEmbeddedDynamo } from '../functions/local/dynamo.ts';
import { startLocalRuntime } from '../functions/local/runtime.ts';
import { fixedResources, monthlyCost, PRICES_AS_OF } from './aws-cost.ts';
import { countUnits, itemSize, scope, type Units } from './dynamo-units.ts';

const tableKey = (t: TableDef) => t.id.toLowerCase() as keyof TableNames;

const T0 = Date.parse('2026-11-20T12:00:00Z');
const SPEC_PORTFOLIO = fileURLToPath(new URL('../examples/spec-portfolio.json', import.meta.url));

/** N bots in two pools, every one funded by the first cycle (100 USDT each). */
export function fleetConfig(bots: number, checkInterval = '5m'): Config {
  return parseConfig(fleetConfigJson(bots, checkInterval));
}

/** The specification's portfolio (examples/spec-portfolio.json) with N bots of 100 USDT each. */
export function fleetConfigJson(bots: number, checkInterval = '5m'): Record<string, unknown> {
  const spec = JSON.parse(readFileSync(SPEC_PORTFOLIO, 'utf8')) as {
    pools: Record<string, Record<string, unknown>>;
    exchanges: { bitget: Record<string, unknown> };
  };
  const pool = (name: string, share: number) => ({
    ...spec.pools[name],
    share,
    allocation_per_bot: 100,
  });
  return {
    ...spec,
    portfolio_id: 'scale',
    total_capital: bots * 250,
    emergency_reserve: { share: 0.2, minimum: 200 },
    pools: {
      low_frequency: pool('low_frequency', 0.4),
      high_frequency: pool('high_frequency', 0.4),
    },
    monitoring: { check_interval: checkInterval },
    exchanges: { bitget: { ...spec.exchanges.bitget, daily_transfer_limit: bots * 1_000 } },
    bots: Array.from({ length: bots }, (_, i) => ({
      bot_id: `bot-${String(i).padStart(5, '0')}`,
      pool: i % 2 === 0 ? 'low_frequency' : 'high_frequency',
      exchange: 'bitget',
      account: String(7_000_000_000 + i),
      enabled: true,
    })),
  };
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
};
const round = (n: number, digits = 2) => Number(n.toFixed(digits));

export interface ScaleFigures {
  readonly bots: number;
  readonly cycle_ms: number;
  readonly allocation_cycle_ms: number;
  readonly largest_item_bytes: number;
  readonly largest_item: string;
  readonly wcu_per_transfer: number;
  readonly rcu_per_transfer: number;
  readonly rcu_per_bot_cycle: number;
  readonly wcu_per_bot_cycle: number;
  readonly sns_per_cycle: number;
  readonly sfn_transitions_per_transfer: number;
  /** Task states run per transfer (a Lambda invocation each, in AWS). */
  readonly steps_per_transfer: number;
  readonly transfers: number;
  readonly steady_transfers_per_cycle: number;
  readonly heap_mb: number;
}

export async function measureScale(
  bots: number,
  steadyCycles: number,
  cycleMinutes = 5,
): Promise<ScaleFigures> {
  const config = fleetConfig(bots, `${cycleMinutes}m`);
  const spacing = cycleMinutes * 60_000;
  const dynamo = await startEmbeddedDynamo();
  const journal = dynamo.tableNames.transactions;
  const indexes = Object.fromEntries(
    TABLES.map((t) => [
      dynamo.tableNames[tableKey(t)],
      t.indexes.map((i) => ({
        keys: [i.partitionKey.name, ...(i.sortKey ? [i.sortKey.name] : [])],
        keysOnly: i.projection === 'KEYS_ONLY',
      })),
    ]),
  );
  const peek = localDynamoClient(dynamo.endpoint);
  const counter = countUnits(dynamo.client, indexes, journal, peek);
  const alerts: Alert[] = [];
  let clock = T0;
  const rt = await startLocalRuntime({
    config,
    dynamo,
    retryIntervalMs: 0,
    now: () => new Date(clock),
    onAlert: (a) => alerts.push(a),
    // Called as each Task state is entered: the execution's requests count as the transfer's.
    reaper: () => {
      scope.enterWith('transfer');
      return false;
    },
  });
  const perCycle: { ms: number; cycle: Units; alerts: number; transfers: number }[] = [];
  let transfers = 0;
  let plannedWcu = 0;
  try {
    for (let c = 0; c <= steadyCycles; c++) {
      // A bot's history as a steady fleet has it: the window the cycle's alerts read.
      if (c === 1) await preloadHistory(rt.store, config, T0, spacing);
      if (c > 0) rt.trade();
      clock = T0 + c * spacing;
      counter.reset();
      const alertsBefore = alerts.length;
      const started = performance.now();
      const result = await scope.run('cycle', () => rt.cycle(new Date(clock)));
      const ms = performance.now() - started;
      const cycleUnits = { ...counter.by.cycle };
      transfers += result.entries.length;
      plannedWcu += cycleUnits.journalWcu;
      perCycle.push({
        ms,
        cycle: cycleUnits,
        alerts: alerts.length - alertsBefore,
        transfers: result.entries.length,
      });
    }
    if (process.env.SCALE_DETAIL) {
      const rows = [...counter.detail].sort((a, b) => b[1] - a[1]);
      for (const [what, n] of rows) process.stderr.write(`${n.toFixed(1).padStart(10)}  ${what}\n`);
    }
    const largest = await largestItem(dynamo.client, Object.values(dynamo.tableNames));
    const steady = perCycle.slice(1);
    const executed = counter.by.transfer;
    const outcomes = [...rt.workflow.outcomes.values()];
    const transitions = outcomes.reduce((n, o) => n + o.transitions, 0);
    const steps = outcomes.reduce((n, o) => n + o.path.length, 0);
    const per = (n: number) => n / Math.max(transfers, 1);
    const steadyUnits = (pick: (u: Units) => number) => median(steady.map((s) => pick(s.cycle)));
    return {
      bots,
      cycle_ms: round(median(steady.map((s) => s.ms)), 0),
      allocation_cycle_ms: round(perCycle[0]?.ms ?? 0, 0),
      largest_item_bytes: largest.bytes,
      largest_item: largest.key,
      wcu_per_transfer: round(per(executed.wcu + plannedWcu)),
      rcu_per_transfer: round(per(executed.rcu)),
      rcu_per_bot_cycle: round(steadyUnits((u) => u.rcu) / bots, 3),
      wcu_per_bot_cycle: round(steadyUnits((u) => u.wcu - u.journalWcu) / bots, 3),
      sns_per_cycle: median(steady.map((s) => s.alerts)),
      sfn_transitions_per_transfer: round(per(transitions), 1),
      steps_per_transfer: round(per(steps), 1),
      transfers,
      steady_transfers_per_cycle: median(steady.map((s) => s.transfers)),
      heap_mb: round(process.memoryUsage().heapUsed / 1024 / 1024, 0),
    };
  } finally {
    await rt.close();
    peek.destroy();
    await dynamo.close();
  }
}

/** ALERT_HISTORY_SAMPLES snapshots per funded bot, five minutes apart, before `before`. */
async function preloadHistory(
  store: Stores,
  config: Config,
  before: number,
  spacing: number,
): Promise<void> {
  const state = await store.portfolio.load(config.portfolioId);
  const snapshots: BotSnapshot[] = [];
  for (const [botId, b] of state?.bots ?? []) {
    for (let k = ALERT_HISTORY_SAMPLES; k >= 1; k--) {
      const at = new Date(before - k * spacing).toISOString();
      const balance = (b.capitalBase +
        BigInt(Math.round(Math.sin(k + botId.length) * 1e8))) as Money;
      snapshots.push({
        botId,
        cycleId: `preload-${k}`,
        at,
        balance,
        capitalBase: b.capitalBase,
        contributed: b.contributed,
        harvested: b.harvested,
        protected: b.protected,
        netContributed: b.contributed,
        pnl: (balance - b.capitalBase) as Money,
        expiresAt: snapshotExpiry(at, spacing),
      });
    }
  }
  await store.performance.putSnapshots(config.portfolioId, snapshots);
}

/** The largest item of the tables (a full scan, not counted). */
async function largestItem(
  client: DynamoDBClient,
  tables: readonly string[],
): Promise<{ bytes: number; key: string }> {
  let best = { bytes: 0, key: '' };
  for (const table of tables) {
    let start: Record<string, AttributeValue> | undefined;
    do {
      const out = await scope.run('cycle', () =>
        client.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start })),
      );
      for (const item of out.Items ?? []) {
        const bytes = itemSize(item);
        if (bytes > best.bytes) {
          const key = [item.pk?.S, item.sk?.S, item.id?.S].filter(Boolean).join(' / ');
          best = { bytes, key: `${table}: ${key}` };
        }
      }
      start = out.LastEvaluatedKey;
    } while (start !== undefined);
  }
  return best;
}

/** `aws_cost_month`'s keys, each a fleet measured here and whether the stack has the NAT. */
const COSTED = [
  ['b10_15m_nat', 'bots_10_15m', true],
  ['b10_15m', 'bots_10_15m', false],
  ['b1000_5m_nat', 'bots_1000', true],
  ['b1000_5m', 'bots_1000', false],
  ['b10000_5m_nat', 'bots_10000', true],
  ['b10000_5m', 'bots_10000', false],
] as const;

if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(name);
    return i < 0 ? undefined : process.argv[i + 1];
  };
  const steady = Number(arg('--steady') ?? 3);
  // `10@15` is 10 bots every 15 minutes; the default: the fleets aws_cost_month is computed for.
  const fleets = (arg('--bots') ?? '10@15,1000,10000').split(',').map((f) => {
    const [bots, minutes] = f.split('@').map(Number);
    return { bots: bots as number, minutes: minutes ?? 5 };
  });
  const scale: Record<string, ScaleFigures & { cycle_minutes: number }> = {};
  for (const { bots, minutes } of fleets) {
    const key = minutes === 5 ? `bots_${bots}` : `bots_${bots}_${minutes}m`;
    process.stderr.write(`scale: ${bots} bots every ${minutes} minutes…\n`);
    scale[key] = { ...(await measureScale(bots, steady, minutes)), cycle_minutes: minutes };
    process.stderr.write(`${JSON.stringify(scale[key])}\n`);
  }
  const fixed = {
    nat: fixedResources(fleetConfigJson(10), 'nat-instance'),
    none: fixedResources(fleetConfigJson(10), 'none'),
  };
  const costs: Record<string, Record<string, number>> = {};
  for (const [name, fleet, nat] of COSTED) {
    const f = scale[fleet];
    if (!f) continue;
    costs[name] = monthlyCost(
      {
        bots: f.bots,
        cycleMinutes: f.cycle_minutes,
        cycleMs: f.cycle_ms,
        rcuPerBotCycle: f.rcu_per_bot_cycle,
        wcuPerBotCycle: f.wcu_per_bot_cycle,
        wcuPerTransfer: f.wcu_per_transfer,
        rcuPerTransfer: f.rcu_per_transfer,
        transfersPerCycle: f.steady_transfers_per_cycle,
        snsPerCycle: f.sns_per_cycle,
        transitionsPerTransfer: f.sfn_transitions_per_transfer,
        stepsPerTransfer: f.steps_per_transfer,
      },
      nat ? fixed.nat : fixed.none,
    );
  }
  const out = {
    scale,
    aws_cost_month: Object.fromEntries(Object.entries(costs).map(([k, v]) => [k, v.total])),
    aws_cost_detail: costs,
    aws_fixed_resources: fixed,
    prices_as_of: PRICES_AS_OF,
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}
