/** A bot's health judged from its facts, the alerts it raises, and the money rule in the plan. */
import { describe, expect, it } from 'vitest';
import type { BotHealth, HealthFacts } from '../../functions/core/health.ts';
import { healthAlerts, judgeFleet, judgeHealth } from '../../functions/core/health.ts';
import { plan } from '../../functions/core/policy.ts';
import { specConfig, stateOf } from './fixtures.ts';

const NOW = Date.parse('2026-11-20T12:00:00Z');
const ago = (ms: number) => new Date(NOW - ms).toISOString();
const SECOND = 1_000;

/** The spec portfolio with its 15m_momentum_eth (bots[3]) sending heartbeats every 30 s. */
const monitored = (more: Record<string, unknown> = {}) =>
  specConfig({
    'bots[3].health': { heartbeat: true },
    'monitoring.heartbeat_interval': '30s',
    ...more,
  });
const MOMENTUM = '15m_momentum_eth';

const pushed = (
  status: 'running' | 'stopped' | 'error',
  receivedMsAgo: number,
  recentErrors: { at: number; errors: number }[] = [],
): HealthFacts => ({
  push: {
    ts: NOW - receivedMsAgo,
    status,
    errors: 0,
    receivedAt: ago(receivedMsAgo),
    recentErrors,
  },
});

describe('a bot’s health', () => {
  const config = monitored();
  const bot = config.bots[3];
  if (!bot) throw new Error('no bot 3');

  it('is running while its last heartbeat says so and is younger than 3 heartbeat intervals', () => {
    expect(judgeHealth(config, bot, pushed('running', 89 * SECOND), NOW).status).toBe('running');
  });

  it('is stale once no heartbeat came for more than 3 × heartbeat_interval', () => {
    const h = judgeHealth(config, bot, pushed('running', 91 * SECOND), NOW);
    expect(h.status).toBe('stale');
    expect(h.reason).toContain('3 × heartbeat_interval 30s');
  });

  it('is stale when never heard from: unknown is not running', () => {
    expect(judgeHealth(config, bot, undefined, NOW).status).toBe('stale');
  });

  it('is stopped or error when it says so', () => {
    expect(judgeHealth(config, bot, pushed('stopped', SECOND), NOW).status).toBe('stopped');
    expect(judgeHealth(config, bot, pushed('error', SECOND), NOW).status).toBe('error');
  });

  it('is error when it reported more than max_errors_per_hour within the hour', () => {
    const errors = [
      { at: NOW - 50 * 60_000, errors: 6 },
      { at: NOW - 10 * 60_000, errors: 5 },
    ];
    expect(judgeHealth(config, bot, pushed('running', SECOND, errors), NOW).status).toBe('error');
    // The older report has left the hour: 5 ≤ 10.
    const later = NOW + 11 * 60_000;
    const fresh: HealthFacts = {
      push: {
        ts: later,
        status: 'running',
        errors: 0,
        receivedAt: new Date(later).toISOString(),
        recentErrors: errors,
      },
    };
    expect(judgeHealth(config, bot, fresh, later).status).toBe('running');
  });

  it('is not_monitored for a bot without a health source', () => {
    expect(judgeFleet(config, new Map(), NOW).get('1h_lorentzian_sol')?.status).toBe(
      'not_monitored',
    );
  });

  it('makes every monitored bot stale when the facts could not be read', () => {
    const fleet = judgeFleet(
      config,
      new Map([[MOMENTUM, pushed('running', SECOND)]]),
      NOW,
      'store down',
    );
    expect(fleet.get(MOMENTUM)?.status).toBe('stale');
    expect(fleet.get('1h_lorentzian_sol')?.status).toBe('not_monitored');
  });
});

describe('the fleet’s alerts', () => {
  const config = monitored({ 'bots[2].health': { heartbeat: true } });
  const health = (a: BotHealth['status'], b: BotHealth['status'], previous?: BotHealth['status']) =>
    new Map<string, BotHealth>([
      ['5m_scalping_sol', { status: a, reason: 'r', ...(previous && { previous }) }],
      [MOMENTUM, { status: b, reason: 'r' }],
    ]);
  const codes = (m: Map<string, BotHealth>) =>
    healthAlerts(config, m).map((a) => `${a.severity}:${a.code}:${a.botId ?? '-'}`);

  it('warns bot_stale and bot_error_rate per bot', () => {
    expect(codes(health('running', 'stale'))).toEqual([`warning:bot_stale:${MOMENTUM}`]);
    expect(codes(health('running', 'error'))).toEqual([`warning:bot_error_rate:${MOMENTUM}`]);
  });

  it('raises no_bots_running (critical) when no monitored bot runs', () => {
    expect(codes(health('stopped', 'stale'))).toEqual([
      `warning:bot_stale:${MOMENTUM}`,
      'critical:no_bots_running:-',
    ]);
  });

  it('tells bot_restarted (info) when a bot not running last cycle runs again', () => {
    expect(codes(health('running', 'running', 'stale'))).toEqual([
      'info:bot_restarted:5m_scalping_sol',
    ]);
    expect(codes(health('running', 'running', 'running'))).toEqual([]);
  });
});

describe('the money rule: toward safety only for a monitored bot that is not running', () => {
  const config = monitored();
  // 15m_momentum_eth (C 100) down to 20: a refill of 55 is due; 1h_lorentzian_sol (C 150) at 200: a harvest.
  const state = stateOf(config, {
    'bots.15m_momentum_eth.balance': 20,
    'bots.1h_lorentzian_sol.balance': 200,
  });
  const judged = (facts: HealthFacts | undefined) =>
    judgeFleet(config, new Map(facts ? [[MOMENTUM, facts]] : []), NOW);
  const kinds = (p: ReturnType<typeof plan>) => p.transfers.map((t) => `${t.kind}:${t.botId}`);

  it('refills a running bot', () => {
    const p = plan(config, state, { health: judged(pushed('running', SECOND)) });
    expect(kinds(p)).toContain(`refill:${MOMENTUM}`);
    expect(p.health.get(MOMENTUM)?.status).toBe('running');
  });

  it('gives a stale bot no refill, and says why', () => {
    const p = plan(config, state, { health: judged(pushed('running', 5 * 60_000)) });
    expect(kinds(p)).not.toContain(`refill:${MOMENTUM}`);
    expect(kinds(p)).toContain('harvest:1h_lorentzian_sol');
    expect(p.alerts.map((a) => a.code)).toContain('bot_stale');
  });

  it('gives a stopped or erring bot no refill', () => {
    for (const status of ['stopped', 'error'] as const) {
      const p = plan(config, state, { health: judged(pushed(status, SECOND)) });
      expect(kinds(p)).not.toContain(`refill:${MOMENTUM}`);
    }
  });

  it('gives a monitored bot whose health was not given no refill (unknown is not running)', () => {
    expect(kinds(plan(config, state))).not.toContain(`refill:${MOMENTUM}`);
  });

  it('gives a stale, unfunded bot no allocation', () => {
    const fresh = stateOf(config, {
      'bots.15m_momentum_eth': undefined,
      'reserves.high_frequency': 200,
    });
    const stale = plan(config, fresh, { health: judged(undefined) });
    expect(kinds(stale)).not.toContain(`allocation:${MOMENTUM}`);
    const running = plan(config, fresh, { health: judged(pushed('running', SECOND)) });
    expect(kinds(running)).toContain(`allocation:${MOMENTUM}`);
  });

  it('still harvests and protects a bot that is not running', () => {
    const rich = stateOf(config, { 'bots.15m_momentum_eth.balance': 130 });
    expect(kinds(plan(config, rich, { health: judged(undefined) }))).toContain(
      `harvest:${MOMENTUM}`,
    );
  });

  it('manages a bot without a health source as before', () => {
    const plain = specConfig();
    const p = plan(plain, stateOf(plain, { 'bots.15m_momentum_eth.balance': 20 }));
    expect(kinds(p)).toContain(`refill:${MOMENTUM}`);
    expect(p.alerts.map((a) => a.code)).not.toContain('no_bots_running');
  });
});

describe('the transfer guards’ health check', () => {
  it('refuses money into a monitored bot whose health cannot be read, or with no store', async () => {
    const { notRunningNow } = await import('../../functions/usecases/health.ts');
    const config = monitored();
    const broken = {
      healthFacts: async (): Promise<Map<string, HealthFacts>> => {
        throw new Error('store down');
      },
    };
    expect(await notRunningNow({ config, heartbeats: broken }, MOMENTUM, new Date(NOW))).toContain(
      'could not be read (store down)',
    );
    expect(await notRunningNow({ config }, MOMENTUM, new Date(NOW))).toContain('unknown');
    // A bot without a health source is not asked about.
    expect(
      await notRunningNow({ config, heartbeats: broken }, '1h_lorentzian_sol', new Date(NOW)),
    ).toBeUndefined();
  });
});
