/**
 * The generic webhook's signature (README, "Alert channels"): each POST carries
 * `X-Botfolio-Timestamp` (Unix seconds when it was signed) and `X-Botfolio-Signature: v1=<hex>`,
 * the HMAC-SHA256 with the channel's signing key of `<timestamp>.<raw body>`. A receiver
 * recomputes it over the bytes it got, compares in constant time, and refuses a timestamp more
 * than five minutes from its clock, so a captured request cannot be replayed later.
 * `X-Botfolio-Delivery` is the same on every attempt of one alert: a receiver drops repeats by it.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const TIMESTAMP_HEADER = 'x-botfolio-timestamp';
export const SIGNATURE_HEADER = 'x-botfolio-signature';
export const DELIVERY_HEADER = 'x-botfolio-delivery';
/** The scheme's version, before the hex digest. */
const VERSION = 'v1';
/** How far a receiver lets a timestamp be from its clock. */
export const SIGNATURE_TOLERANCE_S = 300;

/** `v1=<hex HMAC-SHA256(key, "<timestamp>.<body>")>` */
export function webhookSignature(key: string, timestamp: number, body: string): string {
  const digest = createHmac('sha256', key).update(`${timestamp}.${body}`).digest('hex');
  return `${VERSION}=${digest}`;
}

/**
 * True when `signature` signs `body` at `timestamp` with `key` and the timestamp is within the
 * tolerance of `nowS` — what a receiver checks (the tests' fake receiver does).
 */
export function verifyWebhookSignature(
  key: string,
  timestamp: string | undefined,
  signature: string | undefined,
  body: string,
  nowS: number,
): boolean {
  const ts = Number(timestamp);
  if (!timestamp || !/^\d+$/.test(timestamp) || Math.abs(nowS - ts) > SIGNATURE_TOLERANCE_S) {
    return false;
  }
  const expected = Buffer.from(webhookSignature(key, ts, body));
  const got = Buffer.from(signature ?? '');
  return got.length === expected.length && timingSafeEqual(got, expected);
}
