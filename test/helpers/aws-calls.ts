/**
 * The AWS calls the deployed functions make, recorded on their way to the emulator, each with the
 * function that made it — because the emulator does not enforce IAM, the cloud test checks every
 * call against the caller's deployed role itself (iam-check.ts).
 *
 * The emulator gives its Lambda workers its own AWS_ENDPOINT_URL when a function sets none, so
 * started with this recorder's URL, every SDK call of a function comes here and is forwarded. The
 * caller is found from the connection (Linux: the socket's inode in /proc/net/tcp, the process
 * holding it, and that worker's folder, `ministack-lambda-<function>-…`). A call this recorder
 * cannot read is kept as unreadable, and the check fails on it: nothing passes unseen.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { createServer, request } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface AwsCall {
  /** The worker folder of the caller (it starts with `ministack-lambda-<function name>-`). */
  readonly caller: string;
  /** IAM's name of it, e.g. `dynamodb:Query`. */
  readonly action: string;
  /** What it acted on, as ARNs (an index query: the table's and the index's). */
  readonly resources: readonly string[];
}

export interface AwsCallRecorder {
  readonly url: string;
  readonly calls: readonly AwsCall[];
  /** Calls whose caller, action or resource could not be read. */
  readonly unreadable: readonly string[];
  close(): Promise<void>;
}

/** IAM's service prefix of a JSON protocol's X-Amz-Target prefix. */
const TARGET_SERVICES: Readonly<Record<string, string>> = {
  DynamoDB_20120810: 'dynamodb',
  AWSStepFunctions: 'states',
  secretsmanager: 'secretsmanager',
};

export async function startAwsCallRecorder(
  target: string,
  place: { readonly region: string; readonly account: string },
): Promise<AwsCallRecorder> {
  const calls: AwsCall[] = [];
  const unreadable: string[] = [];
  const callers = new WeakMap<Socket, string | undefined>();
  const upstream = new URL(target);
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (!callers.has(req.socket)) callers.set(req.socket, callerOf(req.socket, port));
      const caller = callers.get(req.socket);
      const what = readCall(req.headers['x-amz-target'], body.toString('utf8'), place);
      if (caller && what) calls.push({ caller, ...what });
      else
        unreadable.push(
          `${caller ?? 'unknown caller'}: ${req.method} ${req.url} ${req.headers['x-amz-target'] ?? body.toString('utf8').slice(0, 80)}`,
        );
      const forward = request(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, host: upstream.host },
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      forward.on('error', (e) => res.writeHead(502).end(String(e)));
      forward.end(body);
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    unreadable,
    close: () =>
      new Promise((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}

/** The action and resources of one request, or undefined when it is not one we can read. */
function readCall(
  target: string | string[] | undefined,
  body: string,
  { region, account }: { readonly region: string; readonly account: string },
): Omit<AwsCall, 'caller'> | undefined {
  if (typeof target === 'string') {
    const [prefix = '', operation = ''] = target.split('.');
    const service = TARGET_SERVICES[prefix];
    if (!service) return undefined;
    const input = JSON.parse(body || '{}') as Record<string, unknown>;
    const action = `${service}:${operation}`;
    if (service === 'dynamodb') {
      const table = (name: string) => `arn:aws:dynamodb:${region}:${account}:table/${name}`;
      const tables =
        typeof input.TableName === 'string'
          ? [input.TableName]
          : Object.keys((input.RequestItems as object | undefined) ?? {});
      if (tables.length === 0) return undefined;
      const index = typeof input.IndexName === 'string' ? input.IndexName : undefined;
      return {
        action,
        resources: tables.map((t) => (index ? `${table(t)}/index/${index}` : table(t))),
      };
    }
    const resource = service === 'states' ? input.stateMachineArn : input.SecretId;
    return typeof resource === 'string' ? { action, resources: [resource] } : undefined;
  }
  const form = new URLSearchParams(body);
  const topic = form.get('TopicArn');
  if (form.get('Action') === 'Publish' && topic)
    return { action: 'sns:Publish', resources: [topic] };
  return undefined;
}

/** The worker folder of the process at the other end of `socket` (Linux /proc), if any. */
function callerOf(socket: Socket, serverPort: number): string | undefined {
  const inode = socketInode(socket.remotePort ?? 0, serverPort);
  if (!inode) return undefined;
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let link: string;
      try {
        link = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      if (link !== `socket:[${inode}]`) continue;
      const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      return args.flatMap((a) => /(ministack-lambda-[^/]+)\//.exec(a)?.[1] ?? [])[0];
    }
  }
  return undefined;
}

/** The inode of the client socket from `clientPort` to `serverPort` on 127.0.0.1. */
function socketInode(clientPort: number, serverPort: number): string | undefined {
  const hex = (n: number) => n.toString(16).toUpperCase().padStart(4, '0');
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let lines: string[];
    try {
      lines = readFileSync(table, 'utf8').split('\n').slice(1);
    } catch {
      continue;
    }
    for (const line of lines) {
      const f = line.trim().split(/\s+/);
      const [local, remote, inode] = [f[1] ?? '', f[2] ?? '', f[9] ?? ''];
      if (local.endsWith(`:${hex(clientPort)}`) && remote.endsWith(`:${hex(serverPort)}`)) {
        return inode;
      }
    }
  }
  return undefined;
}
