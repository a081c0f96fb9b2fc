/**
 * The cycle function as `cdk synth` bundles it for a `custom` strategy (issue #17): the user's
 * module is bundled beside the config, its own imports included, and the bundled handler — run
 * from the asset folder alone, in a process of its own, as Lambda runs it — rebalances the custom
 * pools by it. Around it: dynalite for DynamoDB, a stand-in for Secrets Manager, SNS and Step
 * Functions, and the fake Bitget (the process's `fetch` sends api.bitget.com there).
 */
import { execFile } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allocationModulePath } from '../../functions/adapters/allocation-module.ts';
import { dynamoStores } from '../../functions/adapters/dynamodb/store.ts';
import { parseConfig } from '../../functions/core/config.ts';
import { formatMoney } from '../../functions/core/money.ts';
import { parseState } from '../../functions/core/state-file.ts';
import { TRANSFER_STATUSES } from '../../functions/core/transfer.ts';
import { type EmbeddedDynamo, startEmbeddedDynamo } from '../../functions/local/dynamo.ts';
import { Cycle } from '../../lib/cycle.ts';
import { BUNDLED_ALLOCATION_MODULE } from '../../lib/function.ts';
import { HANDLER_ENTRIES } from '../../lib/stack.ts';
import { stateFile } from '../core/fixtures.ts';
import { type AwsStandIn, startAwsStandIn } from '../helpers/aws-stand-in.ts';
import { FAKE_MASTER_KEY, type FakeBitget, startFakeBitget } from '../helpers/fake-bitget.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const STATE_MACHINE_ARN = 'arn:aws:states:us-east-1:000000000000:stateMachine:transfer';
const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:botfolio/custom/bitget-x';

// The user's files: a config, and a module that imports a helper of its own. Weights 2 : 1.
const dir = mkdtempSync(join(tmpdir(), 'botfolio-custom-'));
writeFileSync(join(dir, 'tilt.mjs'), 'export const tilt = (i) => (i === 0 ? 2 : 1);\n');
writeFileSync(
  join(dir, 'weights.mjs'),
  `import { tilt } from './tilt.mjs';
export function weights(input) {
  return Object.fromEntries(input.bots.map((b, i) => [b.bot_id, tilt(i)]));
}
`,
);
const configJson = JSON.parse(readFileSync(join(ROOT, 'examples/custom-portfolio.json'), 'utf8'));
configJson.allocation.module = './weights.mjs';
const configFile = join(dir, 'portfolio.json');
writeFileSync(configFile, JSON.stringify(configJson));
const config = parseConfig(configJson);

/** The cycle function's asset folder and its environment, as `cdk synth` makes them. */
function synthesizeCycle() {
  const outdir = mkdtempSync(join(tmpdir(), 'botfolio-cycle-out-'));
  const app = new App({ outdir });
  const stack = new Stack(app, 'CycleBundle');
  new Cycle(stack, 'Cycle', {
    entry: HANDLER_ENTRIES.cycle,
    portfolioId: config.portfolioId,
    configFile,
    allocationModule: allocationModulePath(config, configFile),
    checkIntervalMs: config.checkIntervalMs,
    stateMachine: sfn.StateMachine.fromStateMachineArn(stack, 'Workflow', STATE_MACHINE_ARN),
  });
  app.synth();
  // The AWS SDK is left out of the bundles: Lambda's runtime provides it, and so does this.
  mkdirSync(join(outdir, 'node_modules'));
  symlinkSync(join(ROOT, 'node_modules/@aws-sdk'), join(outdir, 'node_modules/@aws-sdk'));
  const [fn] = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function'));
  const assets = readdirSync(outdir).filter((f) => f.startsWith('asset.'));
  expect(assets).toHaveLength(1);
  return {
    asset: join(outdir, assets[0] ?? ''),
    environment: fn?.Properties.Environment.Variables as Record<string, unknown>,
  };
}

let cycle: ReturnType<typeof synthesizeCycle>;
let dynamo: EmbeddedDynamo;
let standIn: AwsStandIn;
let bitget: FakeBitget;

beforeAll(async () => {
  cycle = synthesizeCycle();
  dynamo = await startEmbeddedDynamo();
  standIn = await startAwsStandIn({
    arn: SECRET_ARN,
    name: 'botfolio/custom/bitget',
    value: { ...FAKE_MASTER_KEY },
  });
  bitget = await startFakeBitget({
    // Two invocations within Bitget's 10 s window of the futures balance endpoint.
    enforceRateLimits: false,
    master: { spot: { USDT: 500 } },
    subAccounts: Object.fromEntries(
      config.bots.map((b) => [b.account, { futures: { USDT: formatMoney(b.allocation) } }]),
    ),
  });
});

afterAll(async () => {
  await bitget?.close();
  await standIn?.close();
  await dynamo?.close();
});

/** Runs the bundled handler once, from the asset folder, in a Node process of its own. */
async function invokeBundledHandler(
  time: string,
  on: { readonly dynamo: EmbeddedDynamo; readonly env?: Record<string, string> },
): Promise<{ transfers: string[] }> {
  const scripts = mkdtempSync(join(tmpdir(), 'botfolio-invoke-'));
  writeFileSync(
    join(scripts, 'fake-bitget.mjs'),
    `const fetch = globalThis.fetch;
globalThis.fetch = (input, init) =>
  fetch(typeof input === 'string' ? input.replace('https://api.bitget.com', process.env.FAKE_BITGET_URL) : input, init);
`,
  );
  writeFileSync(
    join(scripts, 'invoke.mjs'),
    `const { handler } = await import(${JSON.stringify(pathToFileURL(join(cycle.asset, 'index.mjs')).href)});
console.log('RESULT ' + JSON.stringify(await handler({ time: process.argv[2] })));
`,
  );
  const deployed = Object.fromEntries(
    Object.entries(cycle.environment).filter(([, v]) => typeof v === 'string'),
  );
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', join(scripts, 'fake-bitget.mjs'), join(scripts, 'invoke.mjs'), time],
    {
      cwd: cycle.asset,
      timeout: 30_000,
      env: {
        PATH: process.env.PATH,
        ...deployed,
        LAMBDA_TASK_ROOT: cycle.asset,
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'local',
        AWS_SECRET_ACCESS_KEY: 'local',
        AWS_ENDPOINT_URL_DYNAMODB: on.dynamo.endpoint,
        AWS_ENDPOINT_URL_SECRETS_MANAGER: standIn.url,
        AWS_ENDPOINT_URL_SNS: standIn.url,
        AWS_ENDPOINT_URL_SFN: standIn.url,
        STATE_TABLE_NAME: on.dynamo.tableNames.state,
        PERFORMANCE_TABLE_NAME: on.dynamo.tableNames.performance,
        TRANSACTIONS_TABLE_NAME: on.dynamo.tableNames.transactions,
        ALERT_TOPIC_ARN: 'arn:aws:sns:us-east-1:000000000000:botfolio-alerts',
        EXCHANGE_SECRET_ARN_BITGET: SECRET_ARN,
        FAKE_BITGET_URL: bitget.url,
        ...on.env,
      },
    },
  );
  const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (!line) throw new Error(`the handler printed no result:\n${stdout}`);
  return JSON.parse(line.slice('RESULT '.length));
}

describe('the cycle bundle of a custom strategy', () => {
  it('holds the module, bundled with its imports, named by ALLOCATION_MODULE_PATH', async () => {
    // Prepare: the bundled module alone in a folder (no tilt.mjs beside it)
    const alone = mkdtempSync(join(tmpdir(), 'botfolio-module-alone-'));
    copyFileSync(join(cycle.asset, BUNDLED_ALLOCATION_MODULE), join(alone, 'weights.mjs'));
    // Act
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const { weights } = await import('./weights.mjs');
      console.log(JSON.stringify(weights({ bots: [{ bot_id: 'a' }, { bot_id: 'b' }] })));`,
      ],
      { cwd: alone },
    );
    // Assess
    expect(cycle.environment.ALLOCATION_MODULE_PATH).toBe(BUNDLED_ALLOCATION_MODULE);
    expect(JSON.parse(stdout)).toEqual({ a: 2, b: 1 });
  });

  it('rebalances both custom pools by the module’s weights when the cycle handler runs', async () => {
    // Prepare: the four bots funded (150 / 150, 100 / 100), no rebalance yet
    const stores = dynamoStores(dynamo.client, dynamo.tableNames);
    await stores.portfolio.init(config.portfolioId, parseState(stateFile(), config));
    // Act
    const result = await invokeBundledHandler('2026-11-20T12:15:00Z', { dynamo });
    // Assess: 2 : 1 of 300 is 200 / 100, of 210 is 140 / 70; each transfer's workflow started
    const entries = await stores.journal.byStatus(config.portfolioId, TRANSFER_STATUSES);
    expect(
      entries.map((e) => `${e.kind} ${e.from} → ${e.to} ${e.amount} ${e.status}`).sort(),
    ).toEqual(
      [
        'rebalance reserve:low_frequency → bot:1h_lorentzian_sol 5000000000 planned',
        'rebalance bot:4h_swing_btc → reserve:low_frequency 5000000000 planned',
        'rebalance reserve:high_frequency → bot:5m_scalping_sol 4000000000 planned',
        'rebalance bot:15m_momentum_eth → reserve:high_frequency 3000000000 planned',
      ].sort(),
    );
    expect(result.transfers.sort()).toEqual(entries.map((e) => e.id).sort());
    expect(standIn.asked.started.map((s) => s.name).sort()).toEqual(result.transfers);
  });

  it('runs the rest of the cycle when the module cannot be loaded, and warns naming it', async () => {
    // Prepare: a store of its own, the funded bots again; 5m_scalping_sol above its harvest
    // trigger (120 ≥ 1.15 × 100); the function pointed at a module file its bundle lacks
    const own = await startEmbeddedDynamo();
    try {
      const stores = dynamoStores(own.client, own.tableNames);
      await stores.portfolio.init(config.portfolioId, parseState(stateFile(), config));
      const scalper = config.bots.find((b) => b.botId === '5m_scalping_sol');
      bitget.setBalance(scalper?.account ?? '', 'futures', 'USDT', 120);
      const published = standIn.asked.published.length;
      // Act
      await invokeBundledHandler('2026-11-20T12:15:00Z', {
        dynamo: own,
        env: { ALLOCATION_MODULE_PATH: 'missing.mjs' },
      });
      // Assess: the harvest is planned, no rebalance; the warning names the module and why
      const entries = await stores.journal.byStatus(config.portfolioId, TRANSFER_STATUSES);
      expect(entries.map((e) => `${e.kind} ${e.botId} ${e.amount}`)).toEqual([
        'harvest 5m_scalping_sol 1600000000',
      ]);
      const warnings = standIn.asked.published
        .slice(published)
        .map((p) => JSON.parse(p.get('Message') ?? '{}'))
        .filter((m) => m.code === 'rebalance_skipped');
      expect(warnings[0]?.message).toMatch(
        /^pool low_frequency not rebalanced \(custom module \.\/weights\.mjs\): the custom weights function threw: not loaded in the cycle function: .*allocation\.module: no such file: .*missing\.mjs/s,
      );
    } finally {
      await own.close();
    }
  });
});
