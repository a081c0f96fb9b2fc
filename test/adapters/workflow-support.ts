/**
 * Shared setup of the workflow tests of the real adapters: the local runtime (embedded store,
 * the synthesized state machine) with one exchange's adapter behind its circuit breaker, and the
 * readers the tests judge the journal by.
 */
import type { Alert } from '../../functions/core/alerts.ts';
import { type Config, parseConfig } from '../../functions/core/config.ts';
import { type Money, sum } from '../../functions/core/money.ts';
import type { Exchange } from '../../functions/core/ports.ts';
import type { FakeVenueOptions, Holdings } from '../../functions/local/fake-venue.ts';
import { type LocalRuntime, startLocalRuntime } from '../../functions/local/runtime.ts';
import { withCircuitBreaker } from '../../functions/usecases/breaker.ts';
import { specFile, withPaths } from '../core/fixtures.ts';
import { T0 } from '../helpers/runtime.ts';

/** The spec's portfolio with its four bots on `exchange`, in sub-accounts named `accounts`. */
export function specOn(
  exchange: string,
  accounts: readonly [string, string, string, string],
): Record<string, unknown> {
  const spec = specFile() as { exchanges: Record<string, unknown> };
  return withPaths(spec, {
    exchanges: { [exchange]: spec.exchanges.bitget },
    ...Object.fromEntries(
      accounts.flatMap((account, i) => [
        [`bots[${i}].exchange`, exchange],
        [`bots[${i}].account`, account],
      ]),
    ),
  });
}

/**
 * A clock for the adapter and its fake that starts at the runtime's T0 and moves with the wall
 * clock: the journal's times and the exchange's agree, and the rate limits refill.
 */
export function clockFromT0(): () => number {
  const started = Date.now();
  return () => T0.getTime() + (Date.now() - started);
}

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

/** What a workflow test opened (a fake, a runtime): `closeOpened` closes them, last first. */
const opened: { close(): Promise<void> }[] = [];

export async function closeOpened(): Promise<void> {
  for (const thing of opened.splice(0).reverse()) await thing.close();
}

/** A fake's opening books and clock, as `onFake` starts it. */
export type FakeStart = FakeVenueOptions & {
  readonly master: { readonly spot: Holdings };
  readonly subAccounts: Readonly<Record<string, { readonly futures: Holdings }>>;
};

/**
 * The spec's portfolio on `exchange` (its bots in `accounts`) run by the local runtime through
 * the adapter `adapterFor` builds against a fake `start` opens: the master's spot holding 1000
 * USDT, each bot's futures nothing, on a clock from T0 (the signatures on the wall clock's). Both
 * are closed by `closeOpened`.
 */
export async function onFake<F extends { close(): Promise<void> }>(
  exchange: string,
  accounts: readonly [string, string, string, string],
  start: (options: FakeStart) => Promise<F>,
  adapterFor: (fake: F, config: Config, now: () => number) => Exchange,
): Promise<{ f: F; runtime: LocalRuntime }> {
  const config = parseConfig(specOn(exchange, accounts));
  const now = clockFromT0();
  const f = await start({
    now,
    clientClock: Date.now,
    master: { spot: { USDT: 1000 } },
    subAccounts: Object.fromEntries(accounts.map((a) => [a, { futures: { USDT: 0 } }])),
  });
  opened.push(f);
  const runtime = await runtimeWith(config, exchange, adapterFor(f, config, now));
  opened.push(runtime);
  return { f, runtime };
}

/** Σ reserves in the books, and what the master account holds: they must be equal. */
export async function reservesAndMaster(
  runtime: LocalRuntime,
  master: Money,
): Promise<[Money, Money]> {
  return [await reservesInBooks(runtime), master];
}
