/**
 * The heartbeat endpoint on one machine (`botfolio serve`): `POST /heartbeat` on 127.0.0.1,
 * answered by the same use case as the Lambda function URL (usecases/heartbeat.ts). A body longer
 * than the limit is cut off as it arrives (413), never buffered whole. Anything else is 404/405.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { MAX_BODY_BYTES, SIGNATURE_HEADER } from '../core/heartbeat.ts';
import {
  type HeartbeatDeps,
  type HeartbeatResponse,
  receiveHeartbeat,
} from '../usecases/heartbeat.ts';
import { listenOnLoopback } from './listen.ts';

export interface HeartbeatServerOptions {
  /** 0: any free port. */
  readonly port: number;
  /** Runs one request's use case with its store (the local one, borrowed or opened per request). */
  readonly withDeps: (
    fn: (deps: HeartbeatDeps) => Promise<HeartbeatResponse>,
  ) => Promise<HeartbeatResponse>;
  /** Told of each answer (the command prints one line per heartbeat). @default ignore */
  readonly onAnswer?: (answer: HeartbeatResponse) => void;
}

export interface RunningHeartbeatServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  close(): Promise<void>;
}

/** The request's body, or undefined once it passes `MAX_BODY_BYTES` (the rest is not read). */
function readBounded(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size > MAX_BODY_BYTES) {
        req.pause();
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Starts the heartbeat endpoint on 127.0.0.1. */
export async function startHeartbeatServer(
  o: HeartbeatServerOptions,
): Promise<RunningHeartbeatServer> {
  const server: Server = createServer((req, res) => {
    const reply = (answer: HeartbeatResponse, close = false) => {
      o.onAnswer?.(answer);
      res
        .writeHead(answer.status, {
          'content-type': 'application/json',
          'cache-control': 'no-store',
          ...(close && { connection: 'close' }),
        })
        .end(`${JSON.stringify(answer.body)}\n`);
    };
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/heartbeat') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: POST /heartbeat\n');
      return;
    }
    if (req.method !== 'POST') {
      res.writeHead(405, { allow: 'POST', 'content-type': 'text/plain' }).end('POST only\n');
      return;
    }
    const tooLong = (bytes: string) =>
      reply(
        {
          status: 413,
          body: { ok: false, error: `body of ${bytes} bytes: at most ${MAX_BODY_BYTES}` },
        },
        true,
      );
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > MAX_BODY_BYTES) {
      tooLong(String(declared));
      return;
    }
    readBounded(req).then(
      async (body) => {
        if (body === undefined) {
          tooLong(`more than ${MAX_BODY_BYTES}`);
          return;
        }
        const header = req.headers[SIGNATURE_HEADER];
        const signature = Array.isArray(header) ? header[0] : header;
        const answer = await o
          .withDeps((deps) => receiveHeartbeat(deps, { body, signature }))
          .catch(
            (error: unknown): HeartbeatResponse => ({
              status: 503,
              body: {
                ok: false,
                error: `the store is unavailable: ${(error as Error)?.message ?? error}`,
              },
            }),
          );
        reply(answer);
      },
      () => res.destroy(),
    );
  });
  const port = await listenOnLoopback(server, o.port);
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}
