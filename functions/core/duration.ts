/** Durations in the config ("15m", "1h", "1d", "30s"), parsed to milliseconds. */

const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
export const DURATION_PATTERN = /^(\d+)(s|m|h|d)$/;

export function parseDuration(text: string): number {
  const m = DURATION_PATTERN.exec(text);
  const unit = m?.[2];
  if (!m || !unit)
    throw new Error(`invalid duration "${text}": expected a number and s, m, h or d`);
  return Number(m[1]) * (UNITS[unit] ?? 0);
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
