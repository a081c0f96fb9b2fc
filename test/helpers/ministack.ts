/**
 * MiniStack, the AWS emulator of the cloud test (../shared/vendor/ministack/README.md): found
 * (the vendored copy run by python3, or `ministack` on PATH from `pip install ministack`),
 * started on a free port of 127.0.0.1 in a process group of its own, and always stopped by its
 * pid (the group: its Lambda workers with it), its life bounded by `timeout`.
 *
 * Its Lambda workers run `node` from PATH (node_modules/.bin first: the project's Node 22) in
 * folders under the emulator's TMPDIR, a temporary folder outside the project, so that nothing of
 * the project's node_modules is reachable from the deployed code except what real Lambda provides:
 * a `node_modules/@aws-sdk` there links the project's AWS SDK (the emulator gives it only to
 * CommonJS code). The emulator passes its own environment on to the functions, so it is started
 * with a minimal one: a setting a function lacks cannot leak in from the test.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const ACCOUNT = '000000000000';
export const REGION = 'us-east-1';

/** How to run the emulator found on this machine. */
interface Launch {
  readonly what: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
}

/** The vendored copy (with python3 ≥ 3.10), else `ministack` on PATH; the reason when neither. */
export function findMiniStack(root: string): Launch | { readonly missing: string } {
  const site = resolve(root, '../shared/vendor/ministack/site');
  if (existsSync(join(site, 'ministack', '__main__.py'))) {
    const python = spawnSync('python3', ['-c', 'import sys; print(sys.version_info >= (3, 10))'], {
      encoding: 'utf8',
    });
    if (python.stdout?.trim() === 'True') {
      return {
        what: `vendored MiniStack (${site})`,
        command: 'python3',
        args: ['-m', 'ministack'],
        env: { PYTHONPATH: site },
      };
    }
  }
  const onPath = spawnSync('sh', ['-c', 'command -v ministack'], { encoding: 'utf8' });
  if (onPath.status === 0 && onPath.stdout.trim() !== '') {
    return {
      what: `ministack (${onPath.stdout.trim()})`,
      command: onPath.stdout.trim(),
      args: [],
      env: {},
    };
  }
  return {
    missing: `no AWS emulator: neither ${site} with python3 3.10+ nor \`ministack\` on PATH (pip install ministack)`,
  };
}

export interface MiniStack {
  readonly what: string;
  readonly endpoint: string;
  readonly pid: number;
  /** A temporary folder of this run (removed by `stop`). */
  readonly workDir: string;
  /** The AWS settings of a client of the emulator (SDK, CDK CLI, the botfolio CLI). */
  readonly awsEnv: Readonly<Record<string, string>>;
  /** The emulator's own log, for a failure's message. */
  log(): string;
  /** Stops the emulator and its workers (SIGTERM to the group, SIGKILL after `graceMs`). */
  stop(graceMs?: number): Promise<void>;
}

/** A port of 127.0.0.1 free now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const address = server.address();
  await new Promise((ok) => server.close(ok));
  if (address === null || typeof address === 'string') throw new Error('no free port');
  return address.port;
}

const exited = (child: ChildProcess) =>
  new Promise<void>((ok) => {
    if (child.exitCode !== null || child.signalCode !== null) ok();
    else child.once('exit', () => ok());
  });

/**
 * A `node` for the emulator's workers that loads an ES-module handler as Lambda does. The worker
 * `require()`s the handler and falls back to `import()` only on ERR_REQUIRE_ESM; Node 22
 * `require()`s ES modules itself, except those with top-level await (ERR_REQUIRE_ASYNC_MODULE),
 * which the cycle's handler has. Lambda `import()`s an .mjs handler, top-level await and all: with
 * require(esm) off, the worker falls back to exactly that. Returns the folder to put first on PATH.
 */
function nodeAsLambdaLoadsIt(root: string, work: string): string {
  const bin = join(work, 'bin');
  mkdirSync(bin);
  const node = realpathSync(resolve(root, 'node_modules/.bin/node'));
  const shim = join(bin, 'node');
  writeFileSync(shim, `#!/bin/sh\nexec '${node}' --no-experimental-require-module "$@"\n`);
  chmodSync(shim, 0o755);
  return bin;
}

/**
 * Starts the emulator and waits until it is healthy (at most `readyMs`, default 20 s); it is
 * killed `maxLifeMs` (default 6 min) after its start whatever happens to the test.
 */
export async function startMiniStack(
  root: string,
  launch: Launch,
  options: {
    readonly readyMs?: number;
    readonly maxLifeMs?: number;
    /** @default a free one */
    readonly port?: number;
    /**
     * Where the deployed functions' AWS SDK calls go (an AWS call recorder in front of the
     * emulator), given to the workers as AWS_ENDPOINT_URL. @default the emulator itself
     */
    readonly functionsAwsEndpoint?: string;
  } = {},
): Promise<MiniStack> {
  const readyMs = options.readyMs ?? 20_000;
  const maxLifeS = Math.ceil((options.maxLifeMs ?? 6 * 60_000) / 1000);
  const port = options.port ?? (await freePort());
  const work = mkdtempSync(join(tmpdir(), 'botfolio-ministack-'));
  const lambdaTmp = join(work, 'tmp');
  mkdirSync(join(lambdaTmp, 'node_modules'), { recursive: true });
  // What real Lambda gives a nodejs22.x function: the AWS SDK v3 (its own dependencies resolve
  // from the linked packages' real place). Nothing else of node_modules.
  symlinkSync(resolve(root, 'node_modules/@aws-sdk'), join(lambdaTmp, 'node_modules/@aws-sdk'));
  const bin = nodeAsLambdaLoadsIt(root, work);
  const logFile = join(work, 'ministack.log');
  const out = openSync(logFile, 'a');
  const awsEnv = {
    AWS_ENDPOINT_URL: `http://127.0.0.1:${port}`,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_REGION: REGION,
    AWS_DEFAULT_REGION: REGION,
  };
  // Under coreutils' `timeout`: even a test process killed outright leaves no emulator behind
  // for longer than its life.
  const child = spawn('timeout', ['-k', '5', String(maxLifeS), launch.command, ...launch.args], {
    cwd: work,
    detached: true,
    stdio: ['ignore', out, out],
    env: {
      PATH: [bin, resolve(root, 'node_modules/.bin'), process.env.PATH ?? ''].join(delimiter),
      HOME: work,
      LANG: 'C.UTF-8',
      TMPDIR: lambdaTmp,
      GATEWAY_PORT: String(port),
      BIND_HOST: '127.0.0.1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      ...(options.functionsAwsEndpoint && { AWS_ENDPOINT_URL: options.functionsAwsEndpoint }),
      ...launch.env,
    },
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${launch.what} did not start`);
  const log = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');
  // A test process that dies must not leave the emulator behind.
  const killGroup = () => {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  process.once('exit', killGroup);
  let stopped: Promise<void> | undefined;
  const stop = (graceMs = 5_000) => {
    stopped ??= (async () => {
      try {
        process.kill(-pid, 'SIGTERM');
      } catch {
        // already gone
      }
      await Promise.race([exited(child), sleep(graceMs)]);
      killGroup();
      await Promise.race([exited(child), sleep(1_000)]);
      process.removeListener('exit', killGroup);
      rmSync(work, { recursive: true, force: true });
    })();
    return stopped;
  };

  const deadline = Date.now() + readyMs;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`${launch.what} exited with ${child.exitCode}:\n${log().slice(-2_000)}`);
    }
    try {
      const res = await fetch(`${awsEnv.AWS_ENDPOINT_URL}/_ministack/health`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${launch.what} not healthy within ${readyMs} ms:\n${log().slice(-2_000)}`);
    }
    await sleep(200);
  }
  return {
    what: launch.what,
    endpoint: awsEnv.AWS_ENDPOINT_URL,
    pid,
    workDir: work,
    awsEnv,
    log,
    stop,
  };
}
