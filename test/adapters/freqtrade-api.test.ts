/**
 * A bot's health pulled from its Freqtrade REST API (a fake one on 127.0.0.1), and what it makes
 * of the bot's status over time: healthy → running, stopped → stopped, HTTP errors → error, down
 * or too slow → no answer, and stale once that lasts 3 heartbeat intervals.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { freqtradePuller } from '../../functions/adapters/freqtrade-api.ts';
import { envPasswords } from '../../functions/adapters/health-secrets.ts';
import { judgeHealth, nextPulled, type PulledHealth } from '../../functions/core/health.ts';
import { readHealth } from '../../functions/usecases/health.ts';
import { specConfig } from '../core/fixtures.ts';
import { type FakeFreqtrade, startFakeFreqtrade } from '../helpers/fake-freqtrade.ts';

const USER = 'botfolio';
const PASSWORD = 'ft-pass';
const pull = freqtradePuller(envPasswords({ FT_PASSWORD: PASSWORD }), { timeoutMs: 300 });

let ft: FakeFreqtrade;
beforeEach(async () => {
  ft = await startFakeFreqtrade(USER, PASSWORD);
});
afterEach(async () => {
  await ft.close();
});

const configFor = (url: string) =>
  specConfig({
    'bots[0].health': { freqtrade: { url, user: USER, password_secret: 'FT_PASSWORD' } },
    'monitoring.heartbeat_interval': '30s',
    'monitoring.health_check_interval': '10s',
  });
const target = () => ({ url: ft.url, user: USER, passwordSecret: 'FT_PASSWORD' });
const statusOf = (pulled: PulledHealth, nowMs: number) => {
  const config = configFor(ft.url);
  const bot = config.bots[0];
  if (!bot) throw new Error('no bot');
  return judgeHealth(config, bot, { pull: pulled }, nowMs);
};

describe('a Freqtrade bot’s API', () => {
  it('healthy: logs in with basic auth, reads health, state and trades with the JWT → running', async () => {
    const now = new Date();
    ft.lastProcessTs = Math.floor(now.getTime() / 1000) - 5;
    const pulled = nextPulled(undefined, await pull(target(), now));
    expect(ft.asked[0]).toBe('POST /api/v1/token/login');
    expect(ft.asked.slice(1).sort()).toEqual([
      'GET /api/v1/health',
      'GET /api/v1/show_config',
      'GET /api/v1/status',
    ]);
    expect(pulled.answer?.status).toBe('running');
    expect(pulled.answer?.note).toContain('1 open trade');
    expect(statusOf(pulled, now.getTime()).status).toBe('running');
  });

  it('whose loop has not turned for 3 heartbeat intervals is stale, though its API answers', async () => {
    const now = new Date();
    ft.lastProcessTs = Math.floor(now.getTime() / 1000) - 120;
    const pulled = nextPulled(undefined, await pull(target(), now));
    expect(statusOf(pulled, now.getTime()).status).toBe('stale');
  });

  it('stopped → stopped', async () => {
    ft.mood = 'stopped';
    ft.lastProcessTs = Math.floor(Date.now() / 1000);
    const now = new Date();
    expect(statusOf(nextPulled(undefined, await pull(target(), now)), now.getTime()).status).toBe(
      'stopped',
    );
  });

  it('answering errors → error; refusing our password → error', async () => {
    ft.mood = 'failing';
    const now = new Date();
    const failing = nextPulled(undefined, await pull(target(), now));
    expect(failing.answer?.note).toContain('HTTP 500');
    expect(statusOf(failing, now.getTime()).status).toBe('error');
    ft.mood = 'healthy';
    const wrong = freqtradePuller(envPasswords({ FT_PASSWORD: 'nope' }), { timeoutMs: 300 });
    const refused = nextPulled(undefined, await wrong(target(), now));
    expect(refused.answer?.note).toContain('refused');
    expect(statusOf(refused, now.getTime()).status).toBe('error');
  });

  it('too slow → no answer within the deadline, never a thrown error; stale once that lasts', async () => {
    const t0 = new Date();
    ft.lastProcessTs = Math.floor(t0.getTime() / 1000);
    const healthy = nextPulled(undefined, await pull(target(), t0));
    ft.mood = 'hanging';
    const started = Date.now();
    const t1 = new Date(t0.getTime() + 60_000);
    const slow = nextPulled(healthy, await pull(target(), t1));
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(slow.answer).toBeUndefined();
    expect(slow.error).toContain('no answer within 300 ms');
    // Its last answer is kept: running 60 s on, stale after 90 s (3 × 30 s).
    expect(statusOf(slow, t1.getTime()).status).toBe('running');
    expect(statusOf(slow, t0.getTime() + 91_000).status).toBe('stale');
  });

  it('down → unreachable, and a bot never heard from is stale', async () => {
    await ft.close();
    const now = new Date();
    const down = nextPulled(undefined, await pull(target(), now));
    expect(down.error).toContain('unreachable');
    expect(statusOf(down, now.getTime()).status).toBe('stale');
  });

  it('is asked by the cycle’s health reading at most once per health_check_interval', async () => {
    const config = configFor(ft.url);
    const now = new Date();
    ft.lastProcessTs = Math.floor(now.getTime() / 1000);
    const reading = await readHealth(
      { config, heartbeats: { healthFacts: async () => new Map() }, freqtrade: pull },
      now,
    );
    expect(reading.health.get('1h_lorentzian_sol')?.status).toBe('running');
    const pulled = reading.pulls.get('1h_lorentzian_sol');
    if (!pulled) throw new Error('not pulled');
    ft.asked.length = 0;
    const stored = new Map([['1h_lorentzian_sol', { pull: pulled }]]);
    const soon = await readHealth(
      { config, heartbeats: { healthFacts: async () => stored }, freqtrade: pull },
      new Date(now.getTime() + 5_000),
    );
    expect(ft.asked).toEqual([]);
    expect(soon.health.get('1h_lorentzian_sol')?.status).toBe('running');
  });
});
