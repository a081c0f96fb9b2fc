/**
 * The money rule through the real cycle and workflow (DESIGN.md §11): a monitored bot gets money
 * in only while its heartbeats say it runs — the plan decides on the health read with the
 * balances, and the validate step asks again when the transfer runs.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  envHeartbeatSecrets,
  heartbeatSecretEnvName,
} from '../../functions/adapters/health-secrets.ts';
import { METRIC_NAMES } from '../../functions/core/metrics.ts';
import { money } from '../../functions/core/money.ts';
import { receiveHeartbeat, signHeartbeat } from '../../functions/usecases/heartbeat.ts';
import { specConfig } from '../core/fixtures.ts';
import { testRuntime } from '../helpers/runtime.ts';
import { CYCLE, type Harness, harness, T0, UID } from './harness.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const LORENTZIAN = '1h_lorentzian_sol'; // low_frequency, capital base 150; refill at ≤ 37.5
const SECRET = 'lorentzian-secret';
const config = specConfig({
  'bots[0].health': { heartbeat: true },
  'monitoring.heartbeat_interval': '30s',
});

/** Lorentzian's heartbeat, sent and taken at `atMs`. */
async function beat(x: Harness, atMs: number, status: 'running' | 'stopped' = 'running') {
  const body = Buffer.from(
    JSON.stringify({ bot_id: LORENTZIAN, status, errors: 0, ts: atMs / 1000 }),
  );
  const answer = await receiveHeartbeat(
    {
      config,
      heartbeats: x.store.heartbeats,
      secretOf: envHeartbeatSecrets(config, { [heartbeatSecretEnvName(LORENTZIAN)]: SECRET }),
      now: () => new Date(atMs),
    },
    { body, signature: signHeartbeat(SECRET, body) },
  );
  expect(answer.status).toBe(200);
}

const entriesOf = async (x: Harness, botId: string) =>
  (await x.store.journal.byBot('main', botId, 50)).map((e) => `${e.kind}:${e.status}`);

describe('a monitored bot', () => {
  it('never heard from gets no allocation; the others are funded as before', async () => {
    h = await harness({ config });
    const result = await h.cycle(h.at(T0));
    expect(result.plan.health.get(LORENTZIAN)?.status).toBe('stale');
    expect(await entriesOf(h, LORENTZIAN)).toEqual([]);
    expect(await entriesOf(h, '4h_swing_btc')).toEqual(['allocation:completed']);
    expect(h.exchange.equityOf(UID.lorentzian)).toBe(money(0));
    expect(h.alerts.map((a) => a.code)).toContain('bot_stale');
  });

  it('that is stale gets no refill, and is refilled once its heartbeats come back', async () => {
    // Prepare: funded while running, then down to 30 (a refill of 82.5 is due).
    h = await harness({ config });
    await beat(h, T0 - 1_000);
    await h.cycle(h.at(T0));
    expect(await entriesOf(h, LORENTZIAN)).toEqual(['allocation:completed']);
    h.exchange.setSubAccountEquity(UID.lorentzian, money(30));
    // Act: 15 minutes without a heartbeat.
    const stale = await h.cycle(h.at(T0 + CYCLE));
    // Assess: nothing moved into it; the pool reserve is untouched.
    expect(stale.plan.health.get(LORENTZIAN)?.status).toBe('stale');
    expect(stale.plan.transfers.filter((t) => t.botId === LORENTZIAN)).toEqual([]);
    expect(await entriesOf(h, LORENTZIAN)).toEqual(['allocation:completed']);
    expect(h.exchange.equityOf(UID.lorentzian)).toBe(money(30));
    expect((await h.store.portfolio.load('main'))?.reserves.get('low_frequency')).toBe(money(200));
    expect(h.alerts.filter((a) => a.botId === LORENTZIAN).map((a) => a.code)).toContain(
      'bot_stale',
    );
    // Act: it runs again.
    await beat(h, T0 + 2 * CYCLE - 1_000);
    const back = await h.cycle(h.at(T0 + 2 * CYCLE));
    // Assess
    expect(back.plan.health.get(LORENTZIAN)?.status).toBe('running');
    expect(await entriesOf(h, LORENTZIAN)).toContain('refill:completed');
    expect(h.exchange.equityOf(UID.lorentzian)).toBe(money(112.5));
    expect(h.alerts.filter((a) => a.botId === LORENTZIAN).map((a) => a.code)).toContain(
      'bot_restarted',
    );
  });

  it('that stops after its refill was planned gets it refused at validate, and nothing moves', async () => {
    // Prepare: funded while running, down to 30, and a refill planned while it still runs…
    const dying = { on: false };
    h = await harness({
      config,
      serial: true,
      reaper: (p) => dying.on && p.state === 'Lock' && p.when === 'before',
    });
    await beat(h, T0 - 1_000);
    await h.cycle(h.at(T0));
    h.exchange.setSubAccountEquity(UID.lorentzian, money(30));
    await beat(h, T0 + CYCLE - 1_000);
    dying.on = true;
    const planned = (await h.cycle(h.at(T0 + CYCLE))).entries.find((e) => e.kind === 'refill');
    dying.on = false;
    if (!planned) throw new Error('no refill planned while running');
    // …then the bot says it stopped.
    await beat(h, T0 + 2 * CYCLE - 2_000, 'stopped');
    // Act: the next cycle starts the planned refill again.
    await h.cycle(h.at(T0 + 2 * CYCLE));
    // Assess
    const entry = await h.store.journal.get(planned.id);
    expect(entry?.status).toBe('rejected');
    expect(entry?.error).toContain('it is stopped');
    expect(h.exchange.equityOf(UID.lorentzian)).toBe(money(30));
  });
});

describe('the dashboard metrics', () => {
  it('count the monitored bots by status each cycle', async () => {
    const rt = await testRuntime({ config });
    try {
      await rt.cycle(new Date(T0));
      const counts = rt.metricsEmitted.find((m) => METRIC_NAMES.botsStale in m);
      expect(counts).toMatchObject({
        [METRIC_NAMES.botsRunning]: 0,
        [METRIC_NAMES.botsStale]: 1,
        [METRIC_NAMES.botsStopped]: 0,
        [METRIC_NAMES.botsError]: 0,
      });
    } finally {
      await rt.close();
    }
  });

  it('are not emitted for a portfolio without monitored bots', async () => {
    const rt = await testRuntime();
    try {
      await rt.cycle(new Date(T0));
      expect(rt.metricsEmitted.some((m) => METRIC_NAMES.botsStale in m)).toBe(false);
    } finally {
      await rt.close();
    }
  });
});
