/**
 * An in-memory BreakerStore with the DynamoDB store's semantics, for tests that are about
 * something else; the breaker's own tests run on the DynamoDB store (dynalite).
 */
import type { BreakerState, BreakerStore } from '../../../functions/core/ports.ts';

export function memoryBreakerStore(): BreakerStore & { states: Map<string, BreakerState> } {
  const states = new Map<string, BreakerState & { probeUntil?: number }>();
  const get = (exchange: string) => states.get(exchange) ?? { failures: 0 };
  return {
    states,
    async read(exchange) {
      const { failures, openUntil } = get(exchange);
      return openUntil === undefined ? { failures } : { failures, openUntil };
    },
    async recordFailure(exchange, _now, threshold, openUntil) {
      const s = get(exchange);
      const failures = s.failures + 1;
      const opens = failures >= threshold;
      states.set(exchange, {
        failures,
        ...(opens ? { openUntil } : s.openUntil !== undefined && { openUntil: s.openUntil }),
      });
      return opens && s.openUntil === undefined;
    },
    async recordSuccess(exchange) {
      states.set(exchange, { failures: 0 });
    },
    async claimProbe(exchange, now, probeUntil) {
      const s = get(exchange);
      if (s.openUntil === undefined || s.openUntil > now) return false;
      if (s.probeUntil !== undefined && s.probeUntil > now) return false;
      states.set(exchange, { ...s, probeUntil });
      return true;
    },
  };
}
