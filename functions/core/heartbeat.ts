/**
 * A pushed heartbeat (DESIGN.md §11): its body, its limits, and whether the store takes it — pure,
 * so the Lambda function URL and `botfolio serve` decide alike. The signature (HMAC-SHA256 of the
 * raw body with the bot's own secret) is checked by the use case (usecases/heartbeat.ts) before
 * anything here trusts the body.
 *
 * Replays: a bot's `ts` must be strictly later than the last one accepted for it, and within
 * `TS_WINDOW_MS` of the server's clock. The last `ts` is kept in the bot's health item and moved
 * only by a conditional write, so a replayed (or reordered) heartbeat is refused for ever, not only
 * within the window, and nothing piles up in the table (dynalite has no TTL to sweep old nonces).
 */
import * as z from 'zod';
import { ERROR_WINDOW_MS, type PushedHealth, REPORTED_STATUSES } from './health.ts';

/** The largest body accepted, in bytes. */
export const MAX_BODY_BYTES = 4096;
/** How far a heartbeat's `ts` may be from the server's clock, either way. */
export const TS_WINDOW_MS = 60_000;
/** At most this many heartbeats per bot per `RATE_WINDOW_MS`. */
export const RATE_LIMIT = 10;
export const RATE_WINDOW_MS = 60_000;
/** At most this many recent error counts are kept per bot. */
const MAX_RECENT = 120;

/** The header carrying the signature: `sha256=<hex of HMAC-SHA256(secret, raw body)>`. */
export const SIGNATURE_HEADER = 'x-botfolio-signature';

/** A heartbeat's body. */
export const heartbeatBody = z.strictObject({
  bot_id: z.string().min(1).max(64),
  status: z.enum(REPORTED_STATUSES),
  /** Errors since the bot's previous heartbeat. */
  errors: z.number().int().min(0).max(1_000_000),
  /** Unix time in seconds (fractions allowed), the bot's clock. */
  ts: z.number().positive().finite(),
});
export type HeartbeatBody = z.output<typeof heartbeatBody>;

/** The bot's health item as the heartbeat endpoint keeps it: the last heartbeat and the rate window. */
export interface PushRecord {
  readonly push?: PushedHealth;
  /** Start (ms) of the current rate window, and how many heartbeats it took. */
  readonly rate?: { readonly windowStart: number; readonly count: number };
}

export type HeartbeatVerdict =
  | { readonly ok: true; readonly next: Required<PushRecord> }
  | { readonly ok: false; readonly status: 401 | 429; readonly error: string };

/**
 * Whether a heartbeat whose signature was checked is taken, and the bot's record after it: refused
 * when its `ts` is outside the window (401), not after the last accepted one (401, a replay), or
 * the bot is over its rate (429).
 */
export function acceptHeartbeat(
  prev: PushRecord | undefined,
  body: HeartbeatBody,
  nowMs: number,
): HeartbeatVerdict {
  const tsMs = Math.round(body.ts * 1000);
  if (Math.abs(tsMs - nowMs) > TS_WINDOW_MS) {
    return {
      ok: false,
      status: 401,
      error: `ts ${body.ts} is more than ${TS_WINDOW_MS / 1000} s from the server's clock (${nowMs / 1000}): check the bot's clock`,
    };
  }
  if (prev?.push && tsMs <= prev.push.ts) {
    return {
      ok: false,
      status: 401,
      error: `replayed or out of order: ts ${body.ts} is not after the last heartbeat accepted (${prev.push.ts / 1000})`,
    };
  }
  const rate = prev?.rate;
  const sameWindow = rate !== undefined && nowMs - rate.windowStart < RATE_WINDOW_MS;
  if (sameWindow && rate.count >= RATE_LIMIT) {
    return {
      ok: false,
      status: 429,
      error: `more than ${RATE_LIMIT} heartbeats within ${RATE_WINDOW_MS / 1000} s: slow down`,
    };
  }
  const recent = (prev?.push?.recentErrors ?? []).filter((e) => e.at > nowMs - ERROR_WINDOW_MS);
  if (body.errors > 0) recent.push({ at: nowMs, errors: body.errors });
  return {
    ok: true,
    next: {
      push: {
        ts: tsMs,
        status: body.status,
        errors: body.errors,
        receivedAt: new Date(nowMs).toISOString(),
        recentErrors: recent.slice(-MAX_RECENT),
      },
      rate: sameWindow
        ? { windowStart: rate.windowStart, count: rate.count + 1 }
        : { windowStart: nowMs, count: 1 },
    },
  };
}
