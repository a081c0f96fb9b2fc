/**
 * Shared setup of the workflow tests of the real adapters: the local runtime (embedded store,
 * the synthesized state machine) with one exchange's adapter behind its circuit breaker, and the
 * readers the tests judge the journal by.
 */
import type { Alert } from '../../functions/core/alerts.ts';
import type { Config } from '../../functions/core/config.ts';
import { type Money, sum } from '../../functions/core/money.ts';
import type { Exchange } from '../../functions/core/ports.ts';
import { type LocalRuntime, startLocalRuntime } from '../../functions/local/runtime.ts';
import { withCircuitBreaker } from '../../functions/usecases/breaker.ts';
import { T0 } from '../helpers/runtime.ts';

/** The runtime running `config` with `adapter` as its exchange `name`. */
export function runtimeWith(
  config: Config,
  name: string,
  adapter: Exchange,
  alerts: Alert[] = [],
): Promise<LocalRuntime> {
  return startLocalRuntime({
    config,
    retryIntervalMs: 0,
    now: () => T0,
    onAlert: (a) => alerts.push(a),
    exchanges: ({ alerter, breakers }) =>
      new Map<string, Exchange>([
        [
          name,
          withCircuitBreaker(adapter, {
            store: breakers,
            alerter,
            portfolioId: config.portfolioId,
          }),
        ],
      ]),
  });
}

export async function statuses(runtime: LocalRuntime, ids: readonly string[]) {
  return Promise.all(ids.map(async (id) => (await runtime.store.journal.get(id))?.status));
}

/** Σ reserves in the books: they must equal what the master account holds. */
export async function reservesInBooks(runtime: LocalRuntime): Promise<Money> {
  const books = await runtime.store.portfolio.load('main');
  return sum(books?.reserves.values() ?? []);
}
