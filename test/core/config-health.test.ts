/** The health keys of the config: `monitoring.heartbeat_interval`, `monitoring.health_check_interval`, `bots[].health`. */
import { describe, expect, it } from 'vitest';
import { InvalidConfigError } from '../../functions/core/problems.ts';
import { specConfig } from './fixtures.ts';

const problemsOf = (changes: Record<string, unknown>): string => {
  try {
    specConfig(changes);
  } catch (error) {
    if (error instanceof InvalidConfigError) return error.message;
    throw error;
  }
  return '';
};

describe('the health keys of the config', () => {
  it('read the two intervals as durations, defaulting to the launcher’s 30s and 60s', () => {
    const c = specConfig({
      'monitoring.heartbeat_interval': '1m',
      'monitoring.health_check_interval': '5m',
    });
    expect([c.heartbeatIntervalMs, c.healthCheckIntervalMs]).toEqual([60_000, 300_000]);
    const d = specConfig();
    expect([d.heartbeatIntervalMs, d.healthCheckIntervalMs]).toEqual([30_000, 60_000]);
  });

  it('refuse an interval that is not a duration, naming the key', () => {
    expect(problemsOf({ 'monitoring.heartbeat_interval': '30 seconds' })).toContain(
      'monitoring.heartbeat_interval',
    );
  });

  it('read a bot’s health sources; a bot without any is not monitored', () => {
    const c = specConfig({
      'bots[0].health': {
        heartbeat: true,
        freqtrade: { url: 'http://127.0.0.1:8080', user: 'u', password_secret: 'FT_PW' },
      },
      'bots[1].health': {},
    });
    expect(c.bots[0]?.health).toEqual({
      heartbeat: true,
      freqtrade: { url: 'http://127.0.0.1:8080', user: 'u', passwordSecret: 'FT_PW' },
      maxErrorsPerHour: 10,
    });
    expect(c.bots[1]?.health).toBeUndefined();
    expect(c.bots[2]?.health).toBeUndefined();
  });

  it('refuse a Freqtrade URL that is not http(s), and unknown health keys', () => {
    expect(
      problemsOf({
        'bots[0].health': { freqtrade: { url: 'ftp://x', user: 'u', password_secret: 'P' } },
      }),
    ).toContain('bots[0].health.freqtrade.url');
    expect(problemsOf({ 'bots[0].health': { heartbeats: true } })).toContain('heartbeats');
  });
});
