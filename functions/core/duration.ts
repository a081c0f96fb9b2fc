/** Durations in the config ("15m", "1h", "1d", "30s"), parsed to milliseconds. */

const MINUTE_MS = 60_000;
export const DAY_MS = 86_400_000;
const UNITS: Record<string, number> = { s: 1_000, m: MINUTE_MS, h: 3_600_000, d: DAY_MS };
export const DURATION_PATTERN = /^(\d+)(s|m|h|d)$/;

export function parseDuration(text: string): number {
  const m = DURATION_PATTERN.exec(text);
  const unit = m?.[2];
  if (!m || !unit)
    throw new Error(`invalid duration "${text}": expected a number and s, m, h or d`);
  return Number(m[1]) * (UNITS[unit] ?? 0);
}

/**
 * The one rule for a check interval, wherever it comes from (`monitoring.check_interval`, `run
 * --interval`) and wherever it runs (this machine, the AWS schedule): whole minutes — EventBridge's
 * grain — from one minute to one day. Undefined when `ms` follows it, else what is expected.
 */
export function checkIntervalProblem(ms: number): string | undefined {
  if (ms >= MINUTE_MS && ms <= DAY_MS && ms % MINUTE_MS === 0) return undefined;
  return 'expected whole minutes from "1m" to "1d" (a cycle at least once a day; EventBridge schedules count in minutes)';
}

/** The longest duration a config may give (a cooldown, a rebalance interval): a year. */
export const MAX_DURATION_MS = 365 * DAY_MS;

/** Days correlation is computed over when `risk.correlation_window` is not set. */
export const DEFAULT_CORRELATION_WINDOW_DAYS = 30;

/** The shortest correlation window: fewer days cannot say two bots move together. */
export const MIN_CORRELATION_WINDOW_DAYS = 7;

/**
 * The rule for `risk.correlation_window`: whole days (daily returns are its grain) from
 * MIN_CORRELATION_WINDOW_DAYS to a year. Undefined when `ms` follows it, else what is expected.
 */
export function correlationWindowProblem(ms: number): string | undefined {
  if (ms % DAY_MS === 0 && ms >= MIN_CORRELATION_WINDOW_DAYS * DAY_MS && ms <= MAX_DURATION_MS)
    return undefined;
  return `expected whole days from "${MIN_CORRELATION_WINDOW_DAYS}d" to "365d" (correlation is of daily returns)`;
}

export function formatDuration(ms: number): string {
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
  ] as const) {
    if (ms % size === 0 && ms >= size) return `${ms / size}${unit}`;
  }
  return `${Math.round(ms / 1000)}s`;
}
