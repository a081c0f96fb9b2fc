/**
 * A circuit breaker per exchange (DESIGN.md §5), with its state in the store so that it holds
 * across Lambda invocations: after `failureThreshold` transient failures in a row (outage,
 * timeout, lost answer — not rate limits, not refusals) the circuit opens, an
 * `exchange_unavailable` alert goes out, and for `cooldownMs` every call fails at once with
 * ExchangeUnavailableError instead of waiting on a dead exchange. Then one caller at a time may
 * probe: a success closes the circuit, a failure opens it again.
 *
 * The same wrapper reports a refused key (`auth_failed`, critical): every call fails until a
 * person fixes the key, its permissions or its IP binding. Alerts pass through the alerter's
 * cooldown, so a storm of failures is one message.
 */
import { alert } from '../core/alerts.ts';
import {
  AmbiguousOutcomeError,
  AuthenticationFailedError,
  ExchangeUnavailableError,
} from '../core/errors.ts';
import type { Money } from '../core/money.ts';
import type {
  Alerter,
  BalanceReading,
  BreakerStore,
  Exchange,
  ExchangeTransferRecord,
  ExchangeTransferRequest,
  TransferLookupHint,
} from '../core/ports.ts';

export interface BreakerOptions {
  readonly store: BreakerStore;
  readonly alerter: Alerter;
  readonly portfolioId: string;
  /** Transient failures in a row that open the circuit. @default 5 */
  readonly failureThreshold?: number;
  /** How long an open circuit refuses calls before a probe. @default 60 000 ms */
  readonly cooldownMs?: number;
  /** How long a probe has before another caller may probe. @default 30 000 ms */
  readonly probeMs?: number;
  /** @default Date.now */
  readonly now?: () => number;
  /**
   * Told when the breaker's own bookkeeping fails (recording an outcome, sending an alert): it
   * never changes what the caller gets — a transfer that went through is not turned into an
   * error, nor an ambiguous outcome into a DynamoDB one. @default ignore
   */
  readonly onBookkeepingError?: (error: unknown) => void;
}

/** Failures that say the exchange is down, not that a request was wrong. */
const isOutage = (error: unknown): boolean =>
  error instanceof ExchangeUnavailableError || error instanceof AmbiguousOutcomeError;

/** `exchange` behind a circuit breaker whose state lives in `options.store`. */
export function withCircuitBreaker(exchange: Exchange, options: BreakerOptions): Exchange {
  const threshold = options.failureThreshold ?? 5;
  const cooldownMs = options.cooldownMs ?? 60_000;
  const probeMs = options.probeMs ?? 30_000;
  const now = options.now ?? Date.now;
  const name = exchange.name;

  /** Runs bookkeeping after a call; its failure is reported, never thrown. */
  const quietly = async (work: () => Promise<unknown>) => {
    try {
      await work();
    } catch (error) {
      options.onBookkeepingError?.(error);
    }
  };
  const send = (code: 'exchange_unavailable' | 'auth_failed', message: string) =>
    quietly(() => options.alerter.send(alert(code, message), { portfolioId: options.portfolioId }));

  const guarded = async <T>(call: () => Promise<T>): Promise<T> => {
    const state = await options.store.read(name);
    const open = state.openUntil !== undefined;
    if (open) {
      const at = now();
      const until = state.openUntil ?? at;
      if (at < until) {
        throw new ExchangeUnavailableError(
          `${name}: circuit open until ${new Date(until).toISOString()} after repeated failures`,
        );
      }
      if (!(await options.store.claimProbe(name, at, at + probeMs))) {
        throw new ExchangeUnavailableError(`${name}: circuit open, another call is probing`);
      }
    }
    let result: T;
    try {
      result = await call();
    } catch (error) {
      if (isOutage(error)) {
        await quietly(async () => {
          const at = now();
          if (await options.store.recordFailure(name, at, threshold, at + cooldownMs)) {
            await send(
              'exchange_unavailable',
              `${name} is unavailable: circuit open for ${Math.round(cooldownMs / 1000)} s after ${threshold} failures in a row (last: ${(error as Error).message})`,
            );
          }
        });
      } else if (error instanceof AuthenticationFailedError) {
        await send('auth_failed', `${name} refused the master key: ${error.message}`);
      }
      throw error;
    }
    if (open || state.failures > 0) await quietly(() => options.store.recordSuccess(name));
    return result;
  };

  return {
    name,
    subAccountBalances: (
      uids: readonly string[],
      currency: string,
    ): Promise<Map<string, BalanceReading>> =>
      guarded(() => exchange.subAccountBalances(uids, currency)),
    masterBalance: (currency: string): Promise<Money> =>
      guarded(() => exchange.masterBalance(currency)),
    ...(exchange.subAccountPositions && {
      subAccountPositions: (uids: readonly string[], currency: string) =>
        guarded(() => exchange.subAccountPositions?.(uids, currency) ?? Promise.resolve(new Map())),
    }),
    transfer: (req: ExchangeTransferRequest): Promise<ExchangeTransferRecord> =>
      guarded(() => exchange.transfer(req)),
    findTransfer: (
      clientOid: string,
      hint?: TransferLookupHint,
    ): Promise<ExchangeTransferRecord | undefined> =>
      guarded(() => exchange.findTransfer(clientOid, hint)),
  };
}
