/**
 * One alert's delivery to one platform over HTTPS, with retries: a bounded number of attempts,
 * exponential backoff between them, and the platform's own "slow down" answer honoured (each
 * platform says how long to wait in its own way: the channel's `judge` reads it). The whole
 * delivery keeps within a time budget, so a subscriber Lambda or a local cycle never waits on a
 * platform without end. What fails is an AlertChannelError whose message never carries the URL
 * (Telegram's path holds the bot token, a Discord or Slack webhook URL is the secret itself).
 */
import { setTimeout as sleepFor } from 'node:timers/promises';

/** An alert that did not reach a channel. The message names the channel and why, never a secret. */
export class AlertChannelError extends Error {
  readonly channel: string;
  constructor(channel: string, message: string, options?: ErrorOptions) {
    super(`alert channel ${channel}: ${message}`, options);
    this.name = 'AlertChannelError';
    this.channel = channel;
  }
}

export interface DeliveryOptions {
  /** Attempts in all, the first included. @default 4 */
  readonly attempts?: number;
  /** The wait before the second attempt, doubled before each next one. @default 1000 ms */
  readonly backoffMs?: number;
  /**
   * The longest a platform's rate-limit answer is waited out: a longer retry_after fails the
   * delivery at once. @default 30 000 ms
   */
  readonly maxRetryAfterMs?: number;
  /** One request's time limit. @default 10 000 ms */
  readonly timeoutMs?: number;
  /** The whole delivery's time limit, waits included. @default 45 000 ms */
  readonly budgetMs?: number;
  /** @default the global fetch */
  readonly fetch?: typeof fetch;
  /** @default a timer */
  readonly sleep?: (ms: number) => Promise<unknown>;
  /** @default Date.now */
  readonly now?: () => number;
}

/** A request to make; built again for each attempt (a signed webhook signs each one afresh). */
export interface ChannelRequest {
  readonly url: string;
  readonly body: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/** The platform's answer as the channel reads it. */
export type Verdict =
  | { readonly ok: true }
  | {
      readonly ok: false;
      /** True when trying again may work (rate limit, 5xx). */
      readonly retry: boolean;
      /** How long the platform asks us to wait first (its rate-limit answer). */
      readonly afterMs?: number;
      readonly reason: string;
    };

/** What the platform answered: status, headers and body text. */
export interface ChannelAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
}

/**
 * POSTs `request()` until `judge` is satisfied, a non-retryable answer comes, the attempts are
 * used up or the budget is spent.
 * @throws AlertChannelError saying the last reason and how many attempts were made
 */
export async function deliver(
  channel: string,
  request: () => ChannelRequest,
  judge: (answer: ChannelAnswer) => Verdict,
  options: DeliveryOptions = {},
): Promise<void> {
  const attempts = Math.max(1, options.attempts ?? 4);
  const backoffMs = options.backoffMs ?? 1000;
  const maxRetryAfterMs = options.maxRetryAfterMs ?? 30_000;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => sleepFor(ms));
  const doFetch = options.fetch ?? fetch;
  const deadline = now() + (options.budgetMs ?? 45_000);

  for (let attempt = 1; ; attempt++) {
    const verdict = await attemptOnce(
      doFetch,
      request(),
      judge,
      Math.min(timeoutMs, deadline - now()),
    );
    if (verdict.ok) return;
    const tried = `${attempt} attempt${attempt === 1 ? '' : 's'}`;
    if (!verdict.retry) throw new AlertChannelError(channel, verdict.reason);
    if (attempt >= attempts) throw new AlertChannelError(channel, `${verdict.reason} (${tried})`);
    if (verdict.afterMs !== undefined && verdict.afterMs > maxRetryAfterMs) {
      throw new AlertChannelError(
        channel,
        `${verdict.reason}: asked to wait ${seconds(verdict.afterMs)}, longer than the ${seconds(maxRetryAfterMs)} a delivery waits (${tried})`,
      );
    }
    const waitMs = verdict.afterMs ?? backoffMs * 2 ** (attempt - 1);
    if (now() + waitMs >= deadline) {
      throw new AlertChannelError(
        channel,
        `${verdict.reason} (${tried}; no time left for another within ${seconds(options.budgetMs ?? 45_000)})`,
      );
    }
    await sleep(waitMs);
  }
}

async function attemptOnce(
  doFetch: typeof fetch,
  request: ChannelRequest,
  judge: (answer: ChannelAnswer) => Verdict,
  timeoutMs: number,
): Promise<Verdict> {
  let answer: ChannelAnswer;
  try {
    const response = await doFetch(request.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...request.headers },
      body: request.body,
      // A webhook that redirects is not followed: the body (and a signature) stays where it was sent.
      redirect: 'error',
      signal: AbortSignal.timeout(Math.max(1, timeoutMs)),
    });
    answer = { status: response.status, headers: response.headers, text: await response.text() };
  } catch (error) {
    return { ok: false, retry: true, reason: networkReason(error, timeoutMs) };
  }
  return judge(answer);
}

/** Why a request got no answer, without its URL (Node's fetch errors carry the cause's code). */
function networkReason(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return `no answer within ${seconds(timeoutMs)}`;
  }
  const cause =
    error instanceof Error ? (error.cause as { code?: unknown } | undefined) : undefined;
  const code = typeof cause?.code === 'string' ? cause.code : undefined;
  return `network error${code ? ` ${code}` : ''}`;
}

/** A platform's retry-after in seconds (a number, maybe fractional) as milliseconds. */
export function secondsToMs(value: unknown): number | undefined {
  const n = typeof value === 'string' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) && n >= 0 ? Math.ceil(n * 1000) : undefined;
}

/** The answer's body as JSON, or undefined when it is none. */
export function jsonOf(text: string): Record<string, unknown> | undefined {
  try {
    const json: unknown = JSON.parse(text);
    return typeof json === 'object' && json !== null
      ? (json as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** What a platform says in a failed answer, short enough for a log line. */
export function shortText(text: string): string {
  const line = text.replaceAll(/\s+/g, ' ').trim();
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}

function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}

/**
 * The verdict on an answer that is not a success, by status: 429, 408 and 5xx are retried —
 * after `afterMs` where the platform said how long to wait (its retry-after), else with backoff —
 * and any other status is final.
 */
export function failedAnswer(
  platform: string,
  status: number,
  detail: string,
  afterMs?: number,
): Verdict {
  const reason = `${platform} answered ${status}${detail ? `: ${detail}` : ''}`;
  const retry = status === 429 || status === 408 || status >= 500;
  return retry && afterMs !== undefined
    ? { ok: false, retry, afterMs, reason }
    : { ok: false, retry, reason };
}
