/**
 * A bot's health (DESIGN.md §11): what it last said of itself — a pushed heartbeat, or its own
 * API's answer — judged into `running | stale | stopped | error`, and the alerts a change of it
 * raises. Pure: the facts and "now" come in as arguments.
 *
 * The money rule lives with the policy (policy-rules.ts `mayAddRisk`): a monitored bot that is not
 * `running` gets no allocation, refill or rebalance into it. Unknown is not running: a bot never
 * heard from, or whose facts could not be read, is `stale`.
 */
import { type Alert, alert } from './alerts.ts';
import type { BotConfig, Config } from './config.ts';
import { formatDuration } from './duration.ts';
import type { StoredPosition } from './exposure.ts';

export const BOT_STATUSES = ['running', 'stale', 'stopped', 'error'] as const;
/** The status of a monitored bot. */
export type BotStatus = (typeof BOT_STATUSES)[number];
/** A bot's status, or `not_monitored` for a bot without a health source (managed as before). */
export type HealthStatus = BotStatus | 'not_monitored';

/** What a bot may say of itself in a heartbeat. */
export const REPORTED_STATUSES = ['running', 'stopped', 'error'] as const;
export type ReportedStatus = (typeof REPORTED_STATUSES)[number];

/** A bot is stale when not heard from for this many heartbeat intervals. */
export const STALE_INTERVALS = 3;
/** The window over which reported errors are counted against `max_errors_per_hour`. */
export const ERROR_WINDOW_MS = 3_600_000;

/** The last heartbeat a bot pushed, and its recent error counts. */
export interface PushedHealth {
  /** The bot's own `ts` (ms): strictly increasing per bot, which is what refuses a replay. */
  readonly ts: number;
  readonly status: ReportedStatus;
  /** Errors the bot reported in this heartbeat (since its previous one). */
  readonly errors: number;
  /** When Botfolio received it (ISO, the server's clock). */
  readonly receivedAt: string;
  /** Recent heartbeats' error counts (`at` = the server's ms), within the error window. */
  readonly recentErrors: readonly { readonly at: number; readonly errors: number }[];
}

/** The last time a cycle asked the bot's own API (Freqtrade). */
export interface PulledHealth {
  /** When it was asked (ISO). */
  readonly at: string;
  /** Its answer; undefined when it did not answer (down, timeout): no news is not good news. */
  readonly answer:
    | {
        readonly status: ReportedStatus;
        /** When the bot last ran its loop (its `last_process`), if it said. */
        readonly lastProcess?: string;
        readonly note?: string;
        /** Its open trades' notional (`/api/v1/status`), by quote currency, or why unknown. */
        readonly positions?: FreqtradePositions;
      }
    | undefined;
  /** Why it did not answer. */
  readonly error?: string;
  /** When it last answered (ISO), kept across failed asks. */
  readonly lastAnsweredAt?: string;
  /** That last answer's status, kept across failed asks. */
  readonly lastAnswer?: ReportedStatus;
  readonly lastProcess?: string;
}

/**
 * A Freqtrade bot's open trades as its API listed them: Σ amount × current rate by quote currency
 * (exact decimal text), or why they could not be read. JSON-safe: it is stored with the pull.
 */
export type FreqtradePositions =
  | {
      readonly known: true;
      readonly trades: number;
      readonly byQuote: Readonly<Record<string, string>>;
    }
  | { readonly known: false; readonly reason: string };

/** Where a bot's Freqtrade API is (`bots[].health.freqtrade`). */
export interface FreqtradeTarget {
  readonly url: string;
  readonly user: string;
  readonly passwordSecret: string;
}

/** Asks one bot's Freqtrade API: its answer, or why there is none. Never throws. */
export type FreqtradePull = (target: FreqtradeTarget, now: Date) => Promise<PulledHealth>;

/**
 * The bot's pull record after asking: the answer, with the last answer kept from `prev` when
 * this ask got none (so a bot down for a while goes stale, not unknown at once).
 */
export function nextPulled(prev: PulledHealth | undefined, now: PulledHealth): PulledHealth {
  if (now.answer) {
    return {
      ...now,
      lastAnsweredAt: now.at,
      lastAnswer: now.answer.status,
      ...(now.answer.lastProcess !== undefined && { lastProcess: now.answer.lastProcess }),
    };
  }
  return {
    ...now,
    ...(prev?.lastAnsweredAt !== undefined && { lastAnsweredAt: prev.lastAnsweredAt }),
    ...(prev?.lastAnswer !== undefined && { lastAnswer: prev.lastAnswer }),
    ...(prev?.lastProcess !== undefined && { lastProcess: prev.lastProcess }),
  };
}

/** Everything stored about one bot's health. */
export interface HealthFacts {
  readonly push?: PushedHealth;
  readonly pull?: PulledHealth;
  /** The status the last cycle judged (to see a restart). */
  readonly judged?: HealthStatus;
  /** Its open positions as the last cycle read them (core/exposure.ts). */
  readonly position?: StoredPosition;
}

/** A bot's health as judged now. */
export interface BotHealth {
  readonly status: HealthStatus;
  /** When it was last heard from (ISO), if ever. */
  readonly lastSeen?: string;
  /** Why it has this status, in the trader's words. */
  readonly reason: string;
  /** Errors it reported within the last hour (push). */
  readonly errorsLastHour?: number;
  /** The status the previous cycle judged, if any. */
  readonly previous?: HealthStatus;
}

/** True for a bot with a health source: its status decides whether money may go into it. */
export const isMonitored = (bot: Pick<BotConfig, 'health'>): boolean => bot.health !== undefined;

/** Errors reported within the window ending at `nowMs`. */
export function errorsWithin(push: PushedHealth | undefined, nowMs: number): number {
  if (!push) return 0;
  return push.recentErrors
    .filter((e) => e.at > nowMs - ERROR_WINDOW_MS && e.at <= nowMs)
    .reduce((n, e) => n + e.errors, 0);
}

interface Seen {
  readonly at: number;
  readonly status: ReportedStatus;
  readonly how: string;
}

/** The latest thing the bot said, by either source. */
function latestSeen(facts: HealthFacts | undefined): Seen | undefined {
  const seen: Seen[] = [];
  const push = facts?.push;
  if (push) seen.push({ at: Date.parse(push.receivedAt), status: push.status, how: 'heartbeat' });
  const pull = facts?.pull;
  if (pull?.lastAnsweredAt !== undefined && pull.lastAnswer !== undefined) {
    // A running Freqtrade whose loop stopped turning is not heard from since its last loop.
    const answered = Date.parse(pull.lastAnsweredAt);
    const loop = pull.lastProcess === undefined ? answered : Date.parse(pull.lastProcess);
    const at =
      pull.lastAnswer === 'running' && Number.isFinite(loop) ? Math.min(answered, loop) : answered;
    seen.push({ at, status: pull.lastAnswer, how: 'its API' });
  }
  return seen.filter((s) => Number.isFinite(s.at)).sort((a, b) => b.at - a.at)[0];
}

/**
 * A bot's status at `nowMs` from its stored facts: `stale` when not heard from for
 * `STALE_INTERVALS × heartbeat_interval` (or never), else what it last said — `error` too when it
 * reported more than `max_errors_per_hour` errors within the hour.
 */
export function judgeHealth(
  config: Pick<Config, 'heartbeatIntervalMs'>,
  bot: Pick<BotConfig, 'health'>,
  facts: HealthFacts | undefined,
  nowMs: number,
): BotHealth {
  const previous = facts?.judged !== undefined ? { previous: facts.judged } : {};
  if (!bot.health) return { status: 'not_monitored', reason: 'no health source configured' };
  const seen = latestSeen(facts);
  const staleAfter = STALE_INTERVALS * config.heartbeatIntervalMs;
  if (!seen) {
    const pullWhy = facts?.pull?.error ? ` (its API: ${facts.pull.error})` : '';
    return { status: 'stale', reason: `never heard from${pullWhy}`, ...previous };
  }
  const lastSeen = new Date(seen.at).toISOString();
  const errorsLastHour = errorsWithin(facts?.push, nowMs);
  const base = { lastSeen, errorsLastHour, ...previous };
  if (nowMs - seen.at > staleAfter) {
    const pullWhy = facts?.pull?.error ? `; its API: ${facts.pull.error}` : '';
    return {
      status: 'stale',
      reason: `not heard from since ${lastSeen} (over ${STALE_INTERVALS} × heartbeat_interval ${formatDuration(config.heartbeatIntervalMs)})${pullWhy}`,
      ...base,
    };
  }
  if (seen.status === 'stopped')
    return { status: 'stopped', reason: `${seen.how} says it is stopped`, ...base };
  if (seen.status === 'error')
    return { status: 'error', reason: `${seen.how} says it is in error`, ...base };
  const max = bot.health.maxErrorsPerHour;
  if (errorsLastHour > max) {
    return {
      status: 'error',
      reason: `${errorsLastHour} errors reported within the hour (more than max_errors_per_hour ${max})`,
      ...base,
    };
  }
  return { status: 'running', reason: `${seen.how} says it is running`, ...base };
}

/**
 * Every configured bot's health at `nowMs`. `unreadable` (the facts could not be read) makes
 * every monitored bot `stale`: an unknown health never lets money in.
 */
export function judgeFleet(
  config: Pick<Config, 'heartbeatIntervalMs' | 'bots'>,
  facts: ReadonlyMap<string, HealthFacts>,
  nowMs: number,
  unreadable?: string,
): Map<string, BotHealth> {
  const out = new Map<string, BotHealth>();
  for (const bot of config.bots) {
    if (unreadable !== undefined && isMonitored(bot)) {
      out.set(bot.botId, {
        status: 'stale',
        reason: `its health could not be read (${unreadable})`,
      });
      continue;
    }
    out.set(bot.botId, judgeHealth(config, bot, facts.get(bot.botId), nowMs));
  }
  return out;
}

/** Why money may not go into this bot now, or undefined when it may (running, or not monitored). */
export function notRunningWhy(
  health: BotHealth | undefined,
  bot: Pick<BotConfig, 'health'>,
): string | undefined {
  if (!isMonitored(bot)) return undefined;
  if (!health) return 'its health is unknown';
  if (health.status === 'running' || health.status === 'not_monitored') return undefined;
  return `it is ${health.status}: ${health.reason}`;
}

/**
 * The fleet's alerts: `bot_stale` and `bot_error_rate` (warning) per enabled monitored bot,
 * `bot_restarted` (info) for one running again after the last cycle judged it not running, and
 * `no_bots_running` (critical) when no enabled monitored bot is running.
 */
export function healthAlerts(
  config: Pick<Config, 'bots'>,
  health: ReadonlyMap<string, BotHealth>,
): Alert[] {
  const alerts: Alert[] = [];
  const monitored = config.bots.filter((b) => b.enabled && isMonitored(b));
  for (const bot of monitored) {
    const h = health.get(bot.botId);
    if (!h) continue;
    const noMoney = 'no money goes into it until it runs (harvest and protection go on)';
    if (h.status === 'stale') {
      alerts.push(alert('bot_stale', `${bot.botId} is stale: ${h.reason}; ${noMoney}`, bot.botId));
    } else if (h.status === 'error') {
      alerts.push(
        alert('bot_error_rate', `${bot.botId} is in error: ${h.reason}; ${noMoney}`, bot.botId),
      );
    } else if (
      h.status === 'running' &&
      h.previous !== undefined &&
      h.previous !== 'running' &&
      h.previous !== 'not_monitored'
    ) {
      alerts.push(
        alert('bot_restarted', `${bot.botId} is running again (it was ${h.previous})`, bot.botId),
      );
    }
  }
  if (monitored.length > 0 && monitored.every((b) => health.get(b.botId)?.status !== 'running')) {
    const each = monitored.map((b) => `${b.botId} ${health.get(b.botId)?.status ?? 'unknown'}`);
    alerts.push(alert('no_bots_running', `no monitored bot is running: ${each.join(', ')}`));
  }
  return alerts;
}

/** How many bots have each status (the dashboard's counts). */
export function countByStatus(
  health: ReadonlyMap<string, BotHealth>,
): Record<HealthStatus, number> {
  const counts: Record<HealthStatus, number> = {
    running: 0,
    stale: 0,
    stopped: 0,
    error: 0,
    not_monitored: 0,
  };
  for (const h of health.values()) counts[h.status] += 1;
  return counts;
}
