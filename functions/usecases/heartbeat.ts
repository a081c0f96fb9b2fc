/**
 * `POST /heartbeat` (DESIGN.md §11): one bot says how it is. The same function answers behind the
 * Lambda function URL and `botfolio serve`. Checked in this order, and a request refused at any
 * step writes nothing: the body's size (413), the signature header (401), the body as JSON naming
 * a bot (400), a bot configured for heartbeats with a secret (401), the HMAC-SHA256 of the raw
 * body with that bot's secret (401), the body's fields (400), then — in the store, by one
 * conditional write — the `ts` window and the replay check (401) and the bot's rate (429).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Config } from '../core/config.ts';
import { acceptHeartbeat, heartbeatBody, MAX_BODY_BYTES } from '../core/heartbeat.ts';
import type { HeartbeatStore } from '../core/store-ports.ts';

/** A bot's heartbeat secret, or undefined when it has none. */
export type HeartbeatSecrets = (botId: string) => Promise<string | undefined>;

export interface HeartbeatDeps {
  readonly config: Config;
  readonly heartbeats: Pick<HeartbeatStore, 'pushRecord' | 'putPush'>;
  readonly secretOf: HeartbeatSecrets;
  readonly now: () => Date;
}

export interface HeartbeatRequest {
  /** The raw body, as received: the signature is over these bytes. */
  readonly body: Uint8Array;
  /** The `X-Botfolio-Signature` header, if any. */
  readonly signature: string | undefined;
}

export interface HeartbeatResponse {
  readonly status: 200 | 400 | 401 | 413 | 429 | 503;
  readonly body: { readonly ok: boolean; readonly error?: string; readonly bot_id?: string };
}

const refused = (status: HeartbeatResponse['status'], error: string): HeartbeatResponse => ({
  status,
  body: { ok: false, error },
});

const SIGNATURE = /^sha256=([0-9a-f]{64})$/;

/** `sha256=<hex>` of the body with `secret`: what a bot sends in `X-Botfolio-Signature`. */
export function signHeartbeat(secret: string, body: Uint8Array | string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** Whether `header` is the body's signature with `secret`, compared in constant time. */
function signedBy(secret: string, body: Uint8Array, header: string): boolean {
  const given = SIGNATURE.exec(header.trim().toLowerCase())?.[1];
  if (given === undefined) return false;
  const expected = createHmac('sha256', secret).update(body).digest();
  return timingSafeEqual(Buffer.from(given, 'hex'), expected);
}

/** How many times a conditional write lost to a racing heartbeat is decided again. */
const RACE_ATTEMPTS = 3;

/** Answers one heartbeat request; never throws for a bad request (a store failure is a 503). */
export async function receiveHeartbeat(
  deps: HeartbeatDeps,
  req: HeartbeatRequest,
): Promise<HeartbeatResponse> {
  if (req.body.byteLength > MAX_BODY_BYTES) {
    return refused(413, `body of ${req.body.byteLength} bytes: at most ${MAX_BODY_BYTES}`);
  }
  if (req.signature === undefined || req.signature.trim() === '') {
    return refused(
      401,
      'unsigned: X-Botfolio-Signature: sha256=<hex HMAC-SHA256 of the body> is required',
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(req.body).toString('utf8'));
  } catch {
    return refused(400, 'the body is not JSON');
  }
  const botId =
    typeof raw === 'object' && raw !== null && 'bot_id' in raw && typeof raw.bot_id === 'string'
      ? raw.bot_id
      : undefined;
  if (botId === undefined) return refused(400, 'the body names no bot_id (a string)');
  const bot = deps.config.bots.find((b) => b.botId === botId);
  if (!bot?.health?.heartbeat) {
    return refused(
      401,
      `bot ${JSON.stringify(botId.slice(0, 64))} does not send heartbeats here (not configured with health.heartbeat)`,
    );
  }
  let secret: string | undefined;
  try {
    secret = await deps.secretOf(botId);
  } catch (error) {
    return refused(
      503,
      `the bots' heartbeat secrets cannot be read now (${error instanceof Error ? error.name : 'error'}): try again`,
    );
  }
  if (secret === undefined || secret === '') {
    return refused(401, `bot ${botId} has no heartbeat secret configured`);
  }
  if (!signedBy(secret, req.body, req.signature)) {
    return refused(
      401,
      'bad signature: expected sha256=<hex HMAC-SHA256 of the raw body with the bot’s secret>',
    );
  }
  const body = heartbeatBody.safeParse(raw);
  if (!body.success) {
    const what = body.error.issues
      .map((i) => `${i.path.join('.') || 'body'}: ${i.message}`)
      .join('; ');
    return refused(
      400,
      `bad heartbeat: ${what} (expected {bot_id, status: running|stopped|error, errors: integer ≥ 0, ts: Unix seconds})`,
    );
  }
  const { portfolioId } = deps.config;
  try {
    for (let attempt = 0; attempt < RACE_ATTEMPTS; attempt++) {
      const prev = await deps.heartbeats.pushRecord(portfolioId, botId);
      const verdict = acceptHeartbeat(prev, body.data, deps.now().getTime());
      if (!verdict.ok) return refused(verdict.status, verdict.error);
      if (await deps.heartbeats.putPush(portfolioId, botId, prev, verdict.next)) {
        return { status: 200, body: { ok: true, bot_id: botId } };
      }
    }
    return refused(429, 'heartbeats of this bot are racing each other: send one at a time');
  } catch (error) {
    return refused(
      503,
      `the store is unavailable (${error instanceof Error ? error.name : 'error'}): try again`,
    );
  }
}
