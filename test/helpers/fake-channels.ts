/**
 * Fake alert platforms on 127.0.0.1 (node:http, an ephemeral port each): Telegram's Bot API,
 * a Discord and a Slack incoming webhook, and a generic webhook receiver that checks Botfolio's
 * signature. Each keeps the requests it got and answers as the platform does — including its
 * rate-limit answer, for the first `rateLimited` requests — so the adapters are tested against
 * what each platform expects and says, not against a mock of our own code.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  verifyWebhookSignature,
} from '../../functions/adapters/channels/signature.ts';

export interface ReceivedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** The body as JSON (undefined when it is not). */
  readonly json: Record<string, unknown> | undefined;
  /** When it arrived (ms since the epoch). */
  readonly at: number;
}

export interface Answer {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
}

export interface FakePlatform {
  /** The server's base URL, e.g. http://127.0.0.1:40123 */
  readonly url: string;
  readonly requests: readonly ReceivedRequest[];
  close(): Promise<void>;
}

/** A server that answers each request with `answer(request, index)`. */
export async function startFakePlatform(
  answer: (request: ReceivedRequest, index: number) => Answer,
): Promise<FakePlatform> {
  const requests: ReceivedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: Record<string, unknown> | undefined;
      try {
        json = JSON.parse(body) as Record<string, unknown>;
      } catch {
        json = undefined;
      }
      const request: ReceivedRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body,
        json,
        at: Date.now(),
      };
      requests.push(request);
      const a = answer(request, requests.length - 1);
      res.writeHead(a.status, a.headers ?? {});
      res.end(a.body ?? '');
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}): Answer => ({
  status,
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

export interface FakeOptions {
  /** The first this many requests get the platform's rate-limit answer. @default 0 */
  readonly rateLimited?: number;
  /** The wait the rate-limit answer asks for, in seconds (small: tests wait it out). @default 0.05 */
  readonly retryAfterS?: number;
}

export const FAKE_BOT_TOKEN = '123456:TEST-telegram-token';

/**
 * Telegram's Bot API: `POST /bot<token>/sendMessage` with JSON `{chat_id, text}` (at most 4096
 * characters) answers `{ok: true}`; another token is 401, another method 404, a rate limit 429
 * with `parameters.retry_after`.
 */
export function startFakeTelegram(options: FakeOptions = {}): Promise<FakePlatform> {
  return startFakePlatform((req, i) => {
    if (i < (options.rateLimited ?? 0)) {
      const retry_after = options.retryAfterS ?? 0.05;
      return json(429, {
        ok: false,
        error_code: 429,
        description: `Too Many Requests: retry after ${retry_after}`,
        parameters: { retry_after },
      });
    }
    const match = /^\/bot([^/]+)\/(\w+)$/.exec(req.path);
    if (match?.[2] !== 'sendMessage') {
      return json(404, { ok: false, error_code: 404, description: 'Not Found' });
    }
    if (match[1] !== FAKE_BOT_TOKEN) {
      return json(401, { ok: false, error_code: 401, description: 'Unauthorized' });
    }
    const text = req.json?.text;
    if (req.json?.chat_id === undefined || typeof text !== 'string' || text.length === 0) {
      return json(400, {
        ok: false,
        error_code: 400,
        description: 'Bad Request: message text is empty',
      });
    }
    if (text.length > 4096) {
      return json(400, {
        ok: false,
        error_code: 400,
        description: 'Bad Request: message is too long',
      });
    }
    return json(200, { ok: true, result: { message_id: req.path.length, text } });
  });
}

export const DISCORD_WEBHOOK_PATH = '/api/webhooks/1234567890/TEST-discord-token';

/**
 * A Discord webhook: JSON `{content}` (at most 2000 characters) answers 204; another path is 404
 * "Unknown Webhook"; a rate limit 429 with JSON `retry_after` (seconds) and a Retry-After header.
 */
export function startFakeDiscord(options: FakeOptions = {}): Promise<FakePlatform> {
  return startFakePlatform((req, i) => {
    if (i < (options.rateLimited ?? 0)) {
      const retryAfter = options.retryAfterS ?? 0.05;
      return json(
        429,
        { message: 'You are being rate limited.', retry_after: retryAfter, global: false },
        { 'retry-after': String(Math.ceil(retryAfter)) },
      );
    }
    if (req.path !== DISCORD_WEBHOOK_PATH)
      return json(404, { message: 'Unknown Webhook', code: 10015 });
    const content = req.json?.content;
    if (typeof content !== 'string' || content.length > 2000) {
      return json(400, { message: 'Invalid Form Body', code: 50035 });
    }
    return { status: 204 };
  });
}

export const SLACK_WEBHOOK_PATH = '/services/T000/B000/TESTslacktoken';

/**
 * A Slack incoming webhook: JSON `{text}` answers 200 `ok`; another path is 404
 * `no_service`; a rate limit 429 with a Retry-After header (seconds).
 */
export function startFakeSlack(options: FakeOptions = {}): Promise<FakePlatform> {
  return startFakePlatform((req, i) => {
    if (i < (options.rateLimited ?? 0)) {
      return {
        status: 429,
        headers: { 'retry-after': String(options.retryAfterS ?? 0.05) },
        body: 'rate_limited',
      };
    }
    if (req.path !== SLACK_WEBHOOK_PATH) return { status: 404, body: 'no_service' };
    if (typeof req.json?.text !== 'string') return { status: 400, body: 'invalid_payload' };
    return { status: 200, body: 'ok' };
  });
}

export const FAKE_SIGNING_KEY = 'TEST-signing-key-0123456789abcdef';

/**
 * A receiver of the generic webhook that checks the signature as the README tells a receiver to
 * (verifyWebhookSignature): a bad or missing one is 401. `answers` overrides the first answers.
 */
export function startFakeWebhook(
  options: { readonly key?: string; readonly answers?: readonly Answer[] } = {},
): Promise<FakePlatform & { readonly verified: () => number }> {
  let verified = 0;
  const key = options.key ?? FAKE_SIGNING_KEY;
  return startFakePlatform((req, i) => {
    const ok = verifyWebhookSignature(
      key,
      header(req.headers, TIMESTAMP_HEADER),
      header(req.headers, SIGNATURE_HEADER),
      req.body,
      Math.floor(Date.now() / 1000),
    );
    if (!ok) return { status: 401, body: 'bad signature' };
    verified++;
    return options.answers?.[i] ?? { status: 200, body: '{"received":true}' };
  }).then((p) => Object.assign(p, { verified: () => verified }));
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}
