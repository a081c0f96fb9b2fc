/**
 * The control endpoint of `botfolio run` (README, "Operating while `run` runs"). The commands that
 * need the exchange — `reconcile`, and the operations that move money — cannot run in a second
 * process beside the loop: the paper exchange is the loop's memory (live.ts). So the loop serves
 * them on 127.0.0.1 and the CLI sends them here: `POST /command` with the token of live.json in
 * `x-botfolio-token`, a JSON body `{ "name", "args" }` of at most 64 KiB; the answer is what the
 * command would have printed and its exit code, `{ exitCode, stdout, stderr }`, which the CLI
 * prints as if it had run the command itself. Errors are `{ error }`, one line.
 *
 * A command is a `LoopCommand`: a name, its arguments' schema, and what it does on a runtime —
 * the same function the CLI runs locally when no loop is running, so the output is the same
 * either way. Registering one is a line in commands/loop-commands.ts. The loop runs commands and
 * cycles one at a time (`oneAtATime`), so a command waits for the cycle in progress to end.
 */
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import * as z from 'zod';
import { listenOnLoopback } from './dynamo.ts';
import { DataFolderBusyError, type Live } from './live.ts';
import type { LocalRuntime } from './runtime.ts';

/** What a command printed, and its exit code. */
export interface CommandAnswer {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

const answerSchema = z.object({
  exitCode: z.number().int(),
  stdout: z.string(),
  stderr: z.string(),
});

/** A command the loop runs for another process. */
export interface LoopCommand<A> {
  readonly name: string;
  readonly args: z.ZodType<A>;
  run(runtime: LocalRuntime, args: A): Promise<CommandAnswer>;
}

/** The registry the loop serves: name → command. */
export type LoopCommands = ReadonlyMap<string, LoopCommand<unknown>>;

export function loopCommands(...commands: LoopCommand<unknown>[]): LoopCommands {
  return new Map(commands.map((c) => [c.name, c]));
}

/** Runs what it is given one after the other, in the order given. */
export function oneAtATime(): <T>(fn: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return (fn) => {
    const result = tail.then(fn);
    tail = result.catch(() => {});
    return result;
  };
}

export const TOKEN_HEADER = 'x-botfolio-token';
export const MAX_BODY_BYTES = 64 * 1024;

export interface ControlServer {
  readonly url: string;
  /** Refuses new commands (503), waits for those running, then stops listening. */
  close(): Promise<void>;
}

export interface ControlServerOptions {
  readonly token: string;
  readonly commands: LoopCommands;
  /** Runs a command: the loop passes its runtime and takes its turn with the cycles. */
  readonly execute: (command: LoopCommand<unknown>, args: unknown) => Promise<CommandAnswer>;
}

class RequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'RequestError';
  }
}

export async function startControlServer(opts: ControlServerOptions): Promise<ControlServer> {
  const expected = Buffer.from(opts.token);
  const running = new Set<Promise<unknown>>();
  let stopping = false;

  const handle = async (req: IncomingMessage): Promise<CommandAnswer> => {
    if (req.method !== 'POST' || req.url !== '/command') {
      throw new RequestError(404, `${req.method} ${req.url}: the loop answers POST /command only`);
    }
    const token = Buffer.from(String(req.headers[TOKEN_HEADER] ?? ''));
    if (token.length !== expected.length || !timingSafeEqual(token, expected)) {
      throw new RequestError(401, `${TOKEN_HEADER}: not the token of this loop's live.json`);
    }
    if (stopping) throw new RequestError(503, 'the loop is stopping: run the command again');
    const body = await readBody(req);
    const parsed = z.object({ name: z.string(), args: z.unknown() }).safeParse(safeJson(body));
    if (!parsed.success) {
      throw new RequestError(400, 'the body must be JSON: { "name": "<command>", "args": {…} }');
    }
    const command = opts.commands.get(parsed.data.name);
    if (!command) {
      throw new RequestError(
        404,
        `${parsed.data.name}: the loop runs no such command (it runs: ${[...opts.commands.keys()].join(', ')})`,
      );
    }
    const args = command.args.safeParse(parsed.data.args ?? {});
    if (!args.success) {
      throw new RequestError(
        400,
        `${command.name}: bad arguments: ${z.prettifyError(args.error).replaceAll('\n', ' ')}`,
      );
    }
    return opts.execute(command, args.data);
  };

  const server = createServer((req, res) => {
    const work = handle(req).then(
      (answer) => reply(res, 200, answer),
      (error) =>
        error instanceof RequestError
          ? reply(res, error.status, { error: error.message })
          : reply(res, 500, { error: error instanceof Error ? error.message : String(error) }),
    );
    running.add(work);
    void work.finally(() => running.delete(work));
  });
  const url = await listenOnLoopback(server);
  return {
    url,
    async close() {
      stopping = true;
      await Promise.allSettled([...running]);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', connection: 'close' });
  res.end(JSON.stringify(body));
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new RequestError(413, `the body is larger than ${MAX_BODY_BYTES} bytes`));
        req.pause();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** How long a caller waits for the loop's answer: a command waits for the cycle in progress. */
export const CALL_TIMEOUT_MS = 120_000;

/** Sends a command to the loop announced in `live`; what it printed and its exit code. */
export async function callLoop(
  dataDir: string,
  live: Live,
  name: string,
  args: unknown,
  timeoutMs = CALL_TIMEOUT_MS,
): Promise<CommandAnswer> {
  const loop = `${live.holder} (pid ${live.pid}) on ${dataDir}`;
  if (!live.control) throw new DataFolderBusyError(`${loop} serves no commands`, live);
  let res: Response;
  try {
    res = await fetch(`${live.control}/command`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [TOKEN_HEADER]: live.token },
      body: JSON.stringify({ name, args }),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    const timedOut = error instanceof Error && error.name === 'TimeoutError';
    throw new DataFolderBusyError(
      timedOut
        ? `${loop} did not answer \`${name}\` within ${Math.round(timeoutMs / 1000)} s; it may still run it (see \`botfolio transfers\`)`
        : `${loop} could not be reached for \`${name}\` (it stopped?): run the command again`,
      live,
    );
  }
  const body: unknown = await res.json().catch(() => undefined);
  const answer = answerSchema.safeParse(body);
  if (res.ok && answer.success) return answer.data;
  const why = z.object({ error: z.string() }).safeParse(body);
  throw new DataFolderBusyError(
    `${loop} refused \`${name}\`: ${why.success ? why.data.error : `HTTP ${res.status}`}`,
    live,
  );
}
