/**
 * Rate limiting per endpoint: a token bucket each, sized from the exchange's published limit
 * (Bitget counts per UID and per endpoint: 10 calls/s for one, 1 call/10 s for another). A call
 * takes a token or waits for one; a wait longer than `maxWaitMs` is not worth holding a Lambda
 * for, and fails at once with RateLimitedError (retryable: the workflow retries with backoff).
 */
import { setTimeout as sleepFor } from 'node:timers/promises';
import { RateLimitedError } from '../../core/errors.ts';

/** `calls` per `perMs`, with bursts of up to `calls`. */
export interface RateLimit {
  readonly calls: number;
  readonly perMs: number;
}

export interface RateLimiterOptions {
  /** The longest a call may wait for its slot. @default 10 000 ms */
  readonly maxWaitMs?: number;
  /** @default Date.now */
  readonly now?: () => number;
  /** @default a timer */
  readonly sleep?: (ms: number) => Promise<unknown>;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class EndpointRateLimiter<E extends string> {
  readonly #limits: Readonly<Record<E, RateLimit>>;
  readonly #buckets = new Map<E, Bucket>();
  readonly #maxWaitMs: number;
  readonly #now: () => number;
  readonly #sleep: (ms: number) => Promise<unknown>;

  constructor(limits: Readonly<Record<E, RateLimit>>, options: RateLimiterOptions = {}) {
    for (const [endpoint, limit] of Object.entries<RateLimit>(limits)) {
      if (!(limit.calls >= 1 && limit.perMs > 0)) {
        throw new RangeError(`rate limit of ${endpoint} needs calls ≥ 1 and perMs > 0`);
      }
    }
    this.#limits = limits;
    this.#maxWaitMs = options.maxWaitMs ?? 10_000;
    this.#now = options.now ?? Date.now;
    this.#sleep = options.sleep ?? sleepFor;
  }

  /** Takes a slot of `endpoint`, waiting for it when the bucket is empty. */
  async acquire(endpoint: E): Promise<void> {
    const wait = this.#take(endpoint);
    if (wait > 0) await this.#sleep(wait);
  }

  /** Milliseconds until `endpoint` has a free slot (0: now). */
  waitFor(endpoint: E): number {
    const { calls, perMs } = this.#limits[endpoint];
    const tokens = this.#refilled(endpoint).tokens;
    return tokens >= 1 ? 0 : Math.ceil(((1 - tokens) * perMs) / calls);
  }

  /** Reserves a token (possibly one not yet refilled) and returns how long to wait for it. */
  #take(endpoint: E): number {
    const wait = this.waitFor(endpoint);
    if (wait > this.#maxWaitMs) {
      throw new RateLimitedError(
        `${endpoint}: rate limit reached, next call allowed in ${wait} ms`,
      );
    }
    this.#refilled(endpoint).tokens -= 1;
    return wait;
  }

  #refilled(endpoint: E): Bucket {
    const { calls, perMs } = this.#limits[endpoint];
    const now = this.#now();
    const bucket = this.#buckets.get(endpoint) ?? { tokens: calls, at: now };
    bucket.tokens = Math.min(calls, bucket.tokens + ((now - bucket.at) * calls) / perMs);
    bucket.at = now;
    this.#buckets.set(endpoint, bucket);
    return bucket;
  }
}
