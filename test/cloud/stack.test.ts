/**
 * The cloud, proven (DESIGN.md §12): the real stack deployed with `cdk bootstrap` and `cdk deploy`
 * to an AWS emulator (MiniStack), its functions pointed at a fake Bitget on 127.0.0.1 by the
 * test-only deploy setting, then run as AWS runs them — the cycle invoked with what its schedule
 * rule sends, transfers through the deployed state machine and its step function, journal and
 * state in DynamoDB, alerts on SNS (an HTTP subscriber here), retries on named errors — then
 * reconciled and operated from the CLI with `--stack`. The emulator enforces no IAM, so every AWS
 * call a function made is recorded on its way and checked against that function's deployed role.
 * Under CI=true a missing emulator fails the test; elsewhere it is skipped.
 *
 * `npm run test:cloud` (vitest.cloud.config.ts). Every step below uses the previous ones' state:
 * the file is one story, told in order.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynamoStores } from '../../functions/adapters/dynamodb/store.ts';
import {
  type DeployedStack,
  describeDeployedStack,
} from '../../functions/adapters/stack-outputs.ts';
import {
  TASK_STATES,
  type TaskStateName,
} from '../../functions/adapters/stepfunctions/contract.ts';
import { money, sum } from '../../functions/core/money.ts';
import { stateToJson } from '../../functions/core/state.ts';
import type { Stores } from '../../functions/core/store-ports.ts';
import type { JournalEntry } from '../../functions/core/transfer.ts';
import { stackNameFor } from '../../lib/stack.ts';
import { RETRYABLE_ERRORS } from '../../lib/transfer-workflow.ts';
import { specConfig } from '../core/fixtures.ts';
import { type AwsCallRecorder, startAwsCallRecorder } from '../helpers/aws-calls.ts';
import { runCdk } from '../helpers/cdk.ts';
import { botfolioAsync } from '../helpers/cli.ts';
import { type FakeBitget, startFakeBitget } from '../helpers/fake-bitget.ts';
import {
  ACCOUNT,
  findMiniStack,
  freePort,
  type MiniStack,
  REGION,
  startMiniStack,
} from '../helpers/ministack.ts';
import { type SnsRecorder, startSnsRecorder } from '../helpers/sns-recorder.ts';
import { exampleConfigJson, TRANSFER_HAPPY_PATH } from '../infra/support.ts';
import * as deployed from './deployed.ts';
import { callsNotAllowed, type DeployedTemplate } from './iam-check.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PORTFOLIO = 'cloud-test';
const STACK = stackNameFor(PORTFOLIO);
/** Each bot's sub-account UID, by bot id. */
const UID = new Map(specConfig().bots.map((b) => [b.botId, b.account]));

const launch = findMiniStack(ROOT);
const missing = 'missing' in launch ? launch.missing : undefined;
if (missing && process.env.CI !== 'true') console.log(`cloud test skipped: ${missing}`);

interface World {
  readonly emulator: MiniStack;
  readonly fake: FakeBitget;
  readonly inbox: SnsRecorder;
  readonly recorder: AwsCallRecorder;
  readonly stack: DeployedStack;
  readonly aws: deployed.Clients;
  readonly stores: Stores;
  readonly configFile: string;
  /** The template file the stack was deployed from (cdk.out). */
  readonly template: string;
}
let world: World | undefined;
const cleanups: (() => Promise<void>)[] = [];

/**
 * The schedule, compressed: the k-th firing of a rule comes at slot k of its interval, counted
 * from seven intervals ago, so every invocation is in a slot of its own as on AWS (a second
 * invocation in one slot is a retry of that slot's run: it plans nothing new) and none is later
 * than now.
 */
const firings = new Map<string, number>();
function firingTime(ruleArn: string, schedule: string): Date {
  const minutes = /^rate\((\d+) minutes?\)$/.exec(schedule)?.[1];
  if (minutes === undefined) throw new Error(`schedule ${schedule} is not a rate in minutes`);
  const interval = Number(minutes) * 60_000;
  const k = firings.get(ruleArn) ?? 0;
  firings.set(ruleArn, k + 1);
  if (k > 6) throw new Error(`more than seven firings of ${ruleArn}: the base is too late`);
  return new Date((Math.floor(Date.now() / interval) - 7 + k) * interval + 5_000);
}

/** Runs a function as its schedule rule does: the rule's target, with the event the rule sends. */
async function scheduled<T>(w: World, functionName: string, schedule: string): Promise<T> {
  const functionArn = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${functionName}`;
  const rule = await deployed.scheduleOf(w.aws, STACK, functionArn);
  expect(rule.schedule).toBe(schedule);
  return deployed.invoke(
    w.aws,
    rule.target.Arn ?? '',
    deployed.scheduledEventFor(rule, firingTime(rule.ruleArn, rule.schedule)),
  );
}

/**
 * Bitget allows the futures snapshot (all sub-accounts) once per 10 s, and the adapter reuses one
 * younger than that within a warm container: a cycle that must see balances the test just changed
 * starts 10 s after the last read of it — a cycle's, or a reconciliation's (it reads the
 * sub-accounts too; the fake answers a second call within the window with Bitget's 429).
 */
const SNAPSHOT_REUSE_MS = 10_500;
let lastFuturesReadAt = 0;

async function scheduledCycle(w: World): Promise<{ cycleId: string; transfers: string[] }> {
  await sleep(Math.max(0, lastFuturesReadAt + SNAPSHOT_REUSE_MS - Date.now()));
  const result = (await scheduled(w, w.stack.cycleFunction, 'rate(15 minutes)')) as {
    cycleId: string;
    transfers: string[];
  };
  // From when it returned: its read happened before then (a cold, loaded container reads late),
  // so the next cycle's read is past the adapter's snapshot reuse for sure.
  lastFuturesReadAt = Date.now();
  return result;
}

async function entries(w: World, ids: readonly string[]): Promise<JournalEntry[]> {
  const found = await Promise.all(ids.map((id) => w.stores.journal.get(id)));
  return found.filter((e): e is JournalEntry => e !== undefined);
}

const never = (): never => {
  throw new Error('no state in the deployed table');
};

/** A scheduled cycle, its transfers' executions to their end: the journal's entries then. */
async function cycleToTheEnd(w: World): Promise<JournalEntry[]> {
  const { transfers } = await scheduledCycle(w);
  await deployed.settledExecutions(w.aws, w.stack.transferStateMachine, transfers, 60_000);
  return entries(w, transfers);
}

/** Σ reserves in the deployed books, and the fake master's spot USDT. */
async function reservesAndMaster(w: World) {
  const state = await w.stores.portfolio.load(PORTFOLIO);
  return [sum(state?.reserves.values() ?? []), w.fake.balance(w.fake.masterUid, 'spot', 'USDT')];
}

// Under CI=true a missing emulator is not skipped: the deploy step fails every test.
const cloud = missing && process.env.CI !== 'true' ? describe.skip : describe;

cloud('the deployed stack on an AWS emulator', () => {
  beforeAll(async () => {
    if ('missing' in launch) throw new Error(`CI=true, and ${launch.missing}`);
    const started = Date.now();
    // The functions' AWS calls pass a recorder on their way to the emulator (IAM, last test).
    const port = await freePort();
    const recorder = await startAwsCallRecorder(`http://127.0.0.1:${port}`, {
      region: REGION,
      account: ACCOUNT,
    });
    cleanups.push(() => recorder.close());
    const emulator = await startMiniStack(ROOT, launch, {
      port,
      functionsAwsEndpoint: recorder.url,
    });
    cleanups.push(() => emulator.stop());
    for (const [k, v] of Object.entries(emulator.awsEnv)) process.env[k] = v;
    const fake = await startFakeBitget({
      master: { spot: { USDT: 1000 } },
      subAccounts: Object.fromEntries(
        [...UID.values()].map((uid) => [uid, { futures: { USDT: 0 } }]),
      ),
    });
    cleanups.push(() => fake.close());
    const inbox = await startSnsRecorder();
    cleanups.push(() => inbox.close());

    const work = join(emulator.workDir, 'deploy');
    const configFile = join(emulator.workDir, 'cloud-portfolio.json');
    writeFileSync(configFile, JSON.stringify({ ...exampleConfigJson(), portfolio_id: PORTFOLIO }));
    await runCdk(
      ROOT,
      ['bootstrap', `aws://${ACCOUNT}/${REGION}`, '--output', work],
      emulator.awsEnv,
      90_000,
    );
    await runCdk(
      ROOT,
      [
        'deploy',
        STACK,
        '--require-approval',
        'never',
        '--output',
        work,
        '-c',
        `config=${configFile}`,
        '-c',
        'deletionProtection=false',
        '-c',
        `testExchangeUrl=${fake.url}`,
      ],
      emulator.awsEnv,
      150_000,
    );
    const stack = await describeDeployedStack(STACK);
    const aws = deployed.clients();
    const secrets = new SecretsManagerClient({});
    await secrets.send(
      new PutSecretValueCommand({
        SecretId: `botfolio/${PORTFOLIO}/bitget`,
        SecretString: JSON.stringify(fake.masterKey),
      }),
    );
    const sns = new SNSClient({});
    await sns.send(
      new SubscribeCommand({ TopicArn: stack.alertTopic, Protocol: 'http', Endpoint: inbox.url }),
    );
    const dynamo = new DynamoDBClient({});
    const stores = dynamoStores(dynamo, {
      state: stack.stateTable,
      performance: stack.performanceTable,
      transactions: stack.transactionsTable,
    });
    world = {
      emulator,
      fake,
      inbox,
      recorder,
      stack,
      aws,
      stores,
      configFile,
      template: join(work, `${STACK}.template.json`),
    };
    console.log(`cloud test: ${emulator.what} up, stack deployed in ${Date.now() - started} ms`);
  }, 240_000);

  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  const w = () => {
    if (!world) throw new Error('the stack was not deployed');
    return world;
  };

  it('runs the cycle as its schedule does: transfers journaled, run through every step, in the ledger, alerted, measured', async () => {
    // Act
    const result = await scheduledCycle(w());
    // Assess: every bot funded, each transfer through the whole happy path
    expect(result.transfers).toHaveLength(4);
    const executions = await deployed.settledExecutions(
      w().aws,
      w().stack.transferStateMachine,
      result.transfers,
      60_000,
    );
    expect(executions.map((e) => e.status)).toEqual(Array(4).fill('SUCCEEDED'));
    for (const e of executions) {
      expect(
        deployed.statesEntered(await deployed.historyOf(w().aws, e.executionArn ?? '')),
      ).toEqual(TRANSFER_HAPPY_PATH);
    }
    const journal = await entries(w(), result.transfers);
    expect(journal.map((e) => [e.kind, e.status, e.ledgerApplied])).toEqual(
      Array(4).fill(['allocation', 'completed', true]),
    );
    expect(w().fake.balance(UID.get('1h_lorentzian_sol') ?? '', 'futures', 'USDT')).toBe(
      money(150),
    );
    const [reserves, master] = await reservesAndMaster(w());
    expect(reserves).toBe(master);
    // … and told: the four allocations in one digest on the topic once the next reconciliation
    // (or cycle) ends, and the cycle's metrics as EMF
    expect(w().inbox.confirmed).toBe(true);
    await scheduled(w(), w().stack.reconcileFunction, 'rate(10 minutes)');
    lastFuturesReadAt = Date.now();
    const digests = () =>
      w().inbox.notifications.filter((n) => n.subject?.endsWith('info: allocation (4 bots)'));
    await expect.poll(() => digests().length, { timeout: 10_000 }).toBe(1);
    expect(digests()[0]?.attributes.severity).toBe('info');
    const cycleLog = await deployed.jsonLogLines(w().aws, w().stack.cycleFunction);
    const emf = cycleLog.filter((l) => '_aws' in l);
    expect(emf.flatMap((l) => Object.keys(l))).toEqual(
      expect.arrayContaining(['Equity', 'CycleDuration']),
    );
    // … and logged, structured: the cycle with its id, each step with its transfer's
    expect(cycleLog).toContainEqual(
      expect.objectContaining({
        message: 'cycle done',
        cycleId: result.cycleId,
        portfolioId: PORTFOLIO,
      }),
    );
    const stepLog = await deployed.jsonLogLines(
      w().aws,
      await deployed.functionNamed(w().aws, STACK, 'TransferStep'),
    );
    // Each step once, in order (a retried step logs again: its repeats are one step here).
    const stepsOf = (id: string) =>
      stepLog
        .filter((l) => l.message === 'transfer step' && l.transferId === id)
        .map((l) => l.step)
        .filter((step, i, all) => step !== all[i - 1]);
    expect(stepsOf(result.transfers[0] ?? '')).toEqual(
      TRANSFER_HAPPY_PATH.flatMap((s) =>
        s in TASK_STATES ? [TASK_STATES[s as TaskStateName]] : [],
      ),
    );
  });

  it('retries a rate-limited and a timed-out transfer call with the deployed machine’s Retry, moving the money once', async () => {
    // Prepare: a bot well above its capital base is harvested; Bitget refuses the first call
    // (429) and loses the answer of the second, which it applied
    const bot = UID.get('1h_lorentzian_sol') ?? '';
    w().fake.setBalance(bot, 'futures', 'USDT', 200);
    w().fake.inject(
      'v2/spot/wallet/subaccount-transfer',
      { kind: 'rate_limit' },
      { kind: 'hang', applied: true },
    );
    // Act
    const result = await scheduledCycle(w());
    // Assess
    expect(result.transfers).toHaveLength(1);
    const id = result.transfers[0] ?? '';
    const [execution] = await deployed.settledExecutions(
      w().aws,
      w().stack.transferStateMachine,
      [id],
      90_000,
    );
    expect(execution?.status).toBe('SUCCEEDED');
    const history = await deployed.historyOf(w().aws, execution?.executionArn ?? '');
    const errors = deployed.taskErrors(history);
    expect(errors.get('Submit')).toEqual(['RateLimitedError', 'AmbiguousOutcomeError']);
    // Validate's fresh read may meet Bitget's one-per-10-s limit the cycle just used: retried too.
    for (const name of [...errors.values()].flat()) expect(RETRYABLE_ERRORS).toContain(name);
    expect(deployed.statesEntered(history)).toEqual(TRANSFER_HAPPY_PATH);
    const [entry] = await entries(w(), [id]);
    expect([entry?.kind, entry?.status, entry?.ledgerApplied]).toEqual([
      'harvest',
      'completed',
      true,
    ]);
    expect(w().fake.transfers.filter((t) => t.clientOid === entry?.clientOid)).toHaveLength(1);
    expect(w().fake.balance(bot, 'futures', 'USDT')).toBe(money(170));
    const [reserves, master] = await reservesAndMaster(w());
    expect(reserves).toBe(master);
  });

  it('reconciles as scheduled: nothing left open, the books agree with the exchange', async () => {
    // Act
    const report = await scheduled<{
      unresolved: unknown[];
      books: { checked: boolean; agree: boolean };
    }>(w(), w().stack.reconcileFunction, 'rate(10 minutes)');
    lastFuturesReadAt = Date.now();
    // Assess
    expect(report.unresolved).toEqual([]);
    expect(report.books).toMatchObject({ checked: true, agree: true });
  });

  it('is operated from the CLI with --stack: status, halt (a cycle then moves nothing toward bots), resume, transfers --id, reconcile, state --rebuild', async () => {
    // Prepare: a bot down to a fifth of its capital base (at most a quarter is refilled)
    const cli = (...args: string[]) =>
      botfolioAsync(...args, '--stack', STACK, '--config', w().configFile);
    const bot = UID.get('5m_scalping_sol') ?? '';
    w().fake.setBalance(bot, 'futures', 'USDT', 20);
    const toBots = () => w().fake.transfers.filter((t) => t.toUserId !== w().fake.masterUid).length;
    // Act: status, then halt and a cycle
    const status = await cli('status', '--json');
    const stored = await w().stores.portfolio.load(PORTFOLIO);
    const halt = await cli('halt');
    const before = toBots();
    const halted = await cycleToTheEnd(w());
    // Assess
    expect([status.code, status.stderr]).toEqual([0, '']);
    expect(JSON.parse(status.stdout)).toEqual({
      ...JSON.parse(JSON.stringify(stateToJson(stored ?? never(), 'decimal'))),
      equity: '1050.00000000',
      board: expect.objectContaining({ portfolio_id: PORTFOLIO, equity: '1050.00000000' }),
      // Each pool's correlation: unknown after a few minutes of history (fewer than 7 days).
      pools: {
        low_frequency: { correlation: expect.objectContaining({ average: null, known: false }) },
        high_frequency: { correlation: expect.objectContaining({ average: null, known: false }) },
      },
      // Bitget's positions are not read: every bot's exposure is unknown, never zero.
      risk: expect.objectContaining({
        bots: Object.fromEntries([...UID.keys()].map((id) => [id, 'unknown'])),
        exposure: expect.objectContaining({ known_bots: 0, unknown_bots: UID.size, partial: true }),
      }),
    });
    expect([halt.code, halt.stdout]).toEqual([
      0,
      expect.stringContaining(`portfolio ${PORTFOLIO} halted`),
    ]);
    expect((await w().stores.portfolio.load(PORTFOLIO))?.flags.halted).toBe(true);
    expect(halted.filter((e) => e.to.startsWith('bot:'))).toEqual([]);
    expect(toBots()).toBe(before);

    // Act: resume, and the next cycle refills the bot
    const resume = await cli('resume');
    const refills = (await cycleToTheEnd(w())).filter((e) => e.kind === 'refill');
    const story = await cli('transfers', '--id', refills[0]?.id ?? 'none');
    // Assess
    expect([resume.code, resume.stdout]).toEqual([0, expect.stringContaining('resumed')]);
    expect(refills.map((e) => [e.botId, e.status])).toEqual([['5m_scalping_sol', 'completed']]);
    expect([story.code, story.stderr]).toEqual([0, '']);
    expect(story.stdout).toMatch(/refill of .* USDT: reserve high_frequency → bot 5m_scalping_sol/);
    expect(story.stdout).toContain('completed, in the ledger');

    // Act: the books, through the deployed reconcile function and from the journal
    const reconciled = await cli('reconcile');
    lastFuturesReadAt = Date.now();
    const rebuilt = await cli('state', '--rebuild', '--dry-run');
    // Assess
    expect([reconciled.code, reconciled.stderr]).toEqual([0, '']);
    expect(reconciled.stdout).toMatch(/books {6}agree: reserves [\d.]+ = master accounts/);
    expect([rebuilt.code, rebuilt.stdout]).toEqual([
      0,
      expect.stringContaining('the ledger agrees with it'),
    ]);
  });

  // Who made a call is read from /proc (Linux); elsewhere, outside CI, this check is skipped.
  const procNet = existsSync('/proc/net/tcp');
  if (!procNet && process.env.CI !== 'true') console.log('IAM check skipped: no /proc/net/tcp');
  it.skipIf(!procNet && process.env.CI !== 'true')(
    'made only AWS calls that each function’s deployed role allows (the emulator enforces no IAM: checked here)',
    async () => {
      // Prepare
      const { recorder, aws } = w();
      // Act
      const template = JSON.parse(
        readFileSync(w().template, 'utf8'),
      ) as DeployedTemplate['template'];
      const notAllowed = await callsNotAllowed(
        aws,
        { name: STACK, region: REGION, account: ACCOUNT, template },
        recorder.calls,
      );
      // Assess: every kind of call was seen, and each one allowed
      expect(recorder.unreadable).toEqual([]);
      expect(new Set(recorder.calls.map((c) => c.action))).toEqual(
        new Set([
          'dynamodb:GetItem',
          'dynamodb:PutItem',
          'dynamodb:UpdateItem',
          'dynamodb:Query',
          'secretsmanager:GetSecretValue',
          'sns:Publish',
          'states:StartExecution',
          ...recorder.calls.map((c) => c.action),
        ]),
      );
      expect(notAllowed).toEqual([]);
    },
  );
});
