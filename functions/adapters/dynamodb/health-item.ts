/**
 * A bot's `health#<bot>` item in the state table, decoded: no client, so `status` reads it from
 * the store's own files (functions/local/store-file.ts) as the store does, without the SDK.
 */
import type { StoredPosition } from '../../core/exposure.ts';
import type { HealthFacts, HealthStatus, PulledHealth, PushedHealth } from '../../core/health.ts';

export const HEALTH_PREFIX = 'health#';
export const healthKey = (portfolioId: string, botId: string) => ({
  pk: portfolioId,
  sk: `${HEALTH_PREFIX}${botId}`,
});

export const parsed = <T>(value: unknown): T | undefined =>
  typeof value === 'string' ? (JSON.parse(value) as T) : undefined;

/** A bot's health facts from its `health#<bot>` item. */
export function healthFactsOfItem(item: Record<string, unknown>): HealthFacts {
  const push = parsed<PushedHealth>(item.push);
  const pull = parsed<PulledHealth>(item.pull);
  const judged = typeof item.judged === 'string' ? (item.judged as HealthStatus) : undefined;
  const position = parsed<StoredPosition>(item.position);
  return {
    ...(push && { push }),
    ...(pull && { pull }),
    ...(judged && { judged }),
    ...(position && { position }),
  };
}
