/**
 * The circuit breaker around the Bitget adapter, its state in the `state` table (dynalite): it
 * opens on repeated outages with one `exchange_unavailable` alert, fails fast while open, holds
 * across invocations (a new adapter and breaker sharing the table), lets one probe through after
 * the cool-down, and reports a refused key as `auth_failed`.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { breakerKey, DynamoBreakerStore } from '../../../functions/adapters/dynamodb/breaker.ts';
import type { Alert } from '../../../functions/core/alerts.ts';
import {
  AmbiguousOutcomeError,
  AuthenticationFailedError,
  ExchangeUnavailableError,
  InsufficientFundsError,
  RateLimitedError,
} from '../../../functions/core/errors.ts';
import type { Exchange } from '../../../functions/core/ports.ts';
import { type EmbeddedDynamo, startEmbeddedDynamo } from '../../../functions/local/dynamo.ts';
import { withCircuitBreaker } from '../../../functions/usecases/breaker.ts';
import { type FakeBitget, startFakeBitget } from '../../helpers/fake-bitget.ts';
import { memoryBreakerStore } from './breaker-support.ts';
import { bitgetFor, MASTER, sub, transferOf } from './support.ts';

const ASSETS = 'v2/spot/account/assets';
const COOLDOWN = 60_000;
const outage = { kind: 'status', status: 503 } as const;

let dynamo: EmbeddedDynamo;
let fake: FakeBitget;
let portfolio = 0;
beforeAll(async () => {
  dynamo = await startEmbeddedDynamo();
});
afterAll(async () => {
  await dynamo.close();
});
beforeEach(async () => {
  await fake?.close();
  fake = await startFakeBitget({
    master: { spot: { USDT: 100 } },
    subAccounts: { '6712345678': { futures: { USDT: 0 } } },
  });
  portfolio++;
});

/**
 * One "Lambda container": a fresh adapter and breaker on the shared table. Alerts and the clock
 * are the test's.
 */
function container(clock: { now: number }, alerts: Alert[]): Exchange {
  return withCircuitBreaker(bitgetFor(fake), {
    store: new DynamoBreakerStore(dynamo.client, dynamo.tableNames.state, `p${portfolio}`),
    alerter: { send: async (a) => void alerts.push(a) },
    portfolioId: `p${portfolio}`,
    failureThreshold: 5,
    cooldownMs: COOLDOWN,
    now: () => clock.now,
  });
}

async function failures(times: number, call: () => Promise<unknown>): Promise<unknown[]> {
  const errors: unknown[] = [];
  for (let i = 0; i < times; i++) await call().catch((e: unknown) => errors.push(e));
  return errors;
}

describe('the circuit breaker', () => {
  it('opens after 5 outages in a row, alerts once, then fails fast without calling Bitget', async () => {
    // Prepare
    const clock = { now: Date.now() };
    const alerts: Alert[] = [];
    const bitget = container(clock, alerts);
    fake.inject(ASSETS, outage, outage, outage, outage, outage);
    // Act
    const errors = await failures(7, () => bitget.masterBalance('USDT'));
    // Assess
    expect(errors).toHaveLength(7);
    expect(errors.every((e) => e instanceof ExchangeUnavailableError)).toBe(true);
    expect((errors[6] as Error).message).toMatch(/circuit open until/);
    expect(fake.calls(ASSETS)).toBe(5);
    expect(alerts.map((a) => [a.code, a.severity])).toEqual([['exchange_unavailable', 'warning']]);
  });

  it('holds across invocations: another container sharing the table finds it open', async () => {
    // Prepare
    const clock = { now: Date.now() };
    fake.inject(ASSETS, outage, outage, outage, outage, outage);
    await failures(5, () => container(clock, []).masterBalance('USDT'));
    // Act
    const later = container(clock, []);
    // Assess
    await expect(later.masterBalance('USDT')).rejects.toThrow(/circuit open/);
    expect(fake.calls(ASSETS)).toBe(5);
  });

  it('lets a probe through after the cool-down; its success closes the circuit', async () => {
    // Prepare
    const clock = { now: Date.now() };
    const bitget = container(clock, []);
    fake.inject(ASSETS, outage, outage, outage, outage, outage);
    await failures(5, () => bitget.masterBalance('USDT'));
    // Act
    clock.now += COOLDOWN;
    const balance = await bitget.masterBalance('USDT');
    // Assess
    expect(balance).toBe(100_00000000n);
    const store = new DynamoBreakerStore(dynamo.client, dynamo.tableNames.state, `p${portfolio}`);
    expect(await store.read('bitget')).toEqual({ failures: 0 });
    await expect(bitget.masterBalance('USDT')).resolves.toBe(100_00000000n);
  });

  it('opens again for another cool-down when the probe fails, without a second alert', async () => {
    // Prepare
    const clock = { now: Date.now() };
    const alerts: Alert[] = [];
    const bitget = container(clock, alerts);
    fake.inject(ASSETS, outage, outage, outage, outage, outage, outage);
    await failures(5, () => bitget.masterBalance('USDT'));
    clock.now += COOLDOWN;
    // Act
    await expect(bitget.masterBalance('USDT')).rejects.toThrow(ExchangeUnavailableError);
    // Assess
    clock.now += COOLDOWN / 2;
    await expect(bitget.masterBalance('USDT')).rejects.toThrow(/circuit open/);
    expect(fake.calls(ASSETS)).toBe(6);
    expect(alerts).toHaveLength(1);
  });

  it('lets only one of two racing callers probe', async () => {
    // Prepare
    const clock = { now: Date.now() };
    fake.inject(ASSETS, outage, outage, outage, outage, outage);
    await failures(5, () => container(clock, []).masterBalance('USDT'));
    clock.now += COOLDOWN;
    // Act
    const results = await Promise.allSettled([
      container(clock, []).masterBalance('USDT'),
      container(clock, []).masterBalance('USDT'),
    ]);
    // Assess
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(fake.calls(ASSETS)).toBe(6);
  });

  it('counts failures in a row only: a success in between starts the count again', async () => {
    // Prepare
    const clock = { now: Date.now() };
    const bitget = container(clock, []);
    // Act
    fake.inject(ASSETS, outage, outage, outage, outage);
    await failures(4, () => bitget.masterBalance('USDT'));
    await bitget.masterBalance('USDT');
    fake.inject(ASSETS, outage, outage, outage, outage);
    await failures(4, () => bitget.masterBalance('USDT'));
    // Assess
    await expect(bitget.masterBalance('USDT')).resolves.toBe(100_00000000n);
  });

  it('does not count rate limits or refusals: the exchange is up', async () => {
    // Prepare
    const clock = { now: Date.now() };
    const alerts: Alert[] = [];
    const bitget = container(clock, alerts);
    fake.inject(ASSETS, ...Array(6).fill({ kind: 'rate_limit' }));
    // Act
    const limited = await failures(6, () => bitget.masterBalance('USDT'));
    let n = 0;
    const refused = await failures(6, () =>
      bitget.transfer(transferOf(`t-big-${++n}`, MASTER, sub('6712345678'), 5000)),
    );
    // Assess
    expect(limited.every((e) => e instanceof RateLimitedError)).toBe(true);
    expect(refused.every((e) => e instanceof InsufficientFundsError)).toBe(true);
    await expect(bitget.masterBalance('USDT')).resolves.toBe(100_00000000n);
    expect(alerts).toEqual([]);
  });

  it('reports a refused key as a critical auth_failed alert, without opening the circuit', async () => {
    // Prepare
    const clock = { now: Date.now() };
    const alerts: Alert[] = [];
    const bitget = container(clock, alerts);
    fake.inject(ASSETS, ...Array(6).fill({ kind: 'error', code: '40018', msg: 'Invalid IP' }));
    // Act
    const errors = await failures(6, () => bitget.masterBalance('USDT'));
    // Assess
    expect(errors.every((e) => e instanceof AuthenticationFailedError)).toBe(true);
    expect(alerts[0]).toMatchObject({ code: 'auth_failed', severity: 'critical' });
    expect(alerts[0]?.message).toMatch(/IP binding/);
    await expect(bitget.masterBalance('USDT')).resolves.toBe(100_00000000n);
  });

  it('never lets its own bookkeeping change the answer (a store outage after a transfer)', async () => {
    // Prepare: a store that can be read but not written
    const down = async () => {
      throw new Error('DynamoDB unavailable');
    };
    const store = { ...memoryBreakerStore(), read: async () => ({ failures: 3 }) };
    const reported: unknown[] = [];
    const bitget = withCircuitBreaker(bitgetFor(fake), {
      store: { ...store, recordSuccess: down, recordFailure: down },
      alerter: { send: async () => {} },
      portfolioId: 'main',
      onBookkeepingError: (e) => reported.push(e),
    });
    fake.inject('v2/spot/wallet/subaccount-transfer', { kind: 'hang', applied: true });
    // Act & Assess: the lost answer stays ambiguous, the transfer that went through a success
    await expect(
      bitget.transfer(transferOf('t-lost', MASTER, sub('6712345678'), 10)),
    ).rejects.toThrow(AmbiguousOutcomeError);
    await expect(
      bitget.transfer(transferOf('t-done', MASTER, sub('6712345678'), 10)),
    ).resolves.toMatchObject({ clientOid: 't-done' });
    expect(reported).toHaveLength(2);
  });

  it('keeps its state in the state table under breaker#<exchange>', async () => {
    // Prepare
    const clock = { now: Date.now() };
    fake.inject(ASSETS, outage, outage, outage, outage, outage);
    // Act
    await failures(5, () => container(clock, []).masterBalance('USDT'));
    // Assess
    const store = new DynamoBreakerStore(dynamo.client, dynamo.tableNames.state, `p${portfolio}`);
    expect(await store.read('bitget')).toEqual({ failures: 5, openUntil: clock.now + COOLDOWN });
    expect(breakerKey(`p${portfolio}`, 'bitget')).toEqual({
      pk: `p${portfolio}`,
      sk: 'breaker#bitget',
    });
  });
});
