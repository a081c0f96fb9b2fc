/**
 * The `risk` section and the heartbeat durations of `monitoring` (DESIGN.md §11): each is read
 * into the typed config, and each bad value is refused with its path, the value and what was
 * expected.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../functions/core/config.ts';
import { ratio } from '../../functions/core/money.ts';
import { problemsOf, specConfig, specFile, withPaths } from './fixtures.ts';

const refused = (changes: Record<string, unknown>) =>
  problemsOf(() => parseConfig(withPaths(specFile(), changes)));

const MONITORING = { check_interval: '15m' };

describe('the risk section', () => {
  it('reads every limit, and the window in days', () => {
    const c = specConfig({
      risk: {
        max_total_exposure: 3,
        max_bot_leverage: '10',
        max_correlation: 0.8,
        correlation_window: '14d',
      },
    });
    expect(c.risk).toEqual({
      maxTotalExposure: ratio(3),
      maxBotLeverage: ratio(10),
      maxCorrelation: 0.8,
      correlationWindowDays: 14,
    });
  });

  it('checks nothing it leaves out, and defaults the window to 30 days', () => {
    expect(specConfig({ risk: undefined }).risk).toEqual({
      maxTotalExposure: undefined,
      maxBotLeverage: undefined,
      maxCorrelation: undefined,
      correlationWindowDays: 30,
    });
  });

  it('accepts a negative max_correlation and exactly 1', () => {
    expect(specConfig({ risk: { max_correlation: -0.5 } }).risk.maxCorrelation).toBe(-0.5);
    expect(specConfig({ risk: { max_correlation: '1' } }).risk.maxCorrelation).toBe(1);
  });

  it.each([
    ['risk.max_total_exposure', 0, 'expected a number in (0, 1000]'],
    ['risk.max_total_exposure', -1, 'expected a number in (0, 1000]'],
    ['risk.max_total_exposure', 'three', 'expected a number in (0, 1000]'],
    ['risk.max_bot_leverage', 0, 'expected a number in (0, 500]'],
    ['risk.max_bot_leverage', 501, 'expected a number in (0, 500]'],
    ['risk.max_correlation', -1, 'expected a number in (-1, 1]'],
    ['risk.max_correlation', 1.5, 'expected a number in (-1, 1]'],
  ])('refuses %s = %j, naming the path and the range', (path, value, message) => {
    expect(refused({ risk: {}, [path]: value })).toEqual([{ path, value, message }]);
  });

  it.each([
    ['36h', /whole days from "7d" to "365d"/],
    ['6d', /whole days from "7d" to "365d"/],
    ['400d', /whole days from "7d" to "365d"/],
    ['a month', /a duration such as "30s", "15m", "1h" or "1d"/],
  ])('refuses correlation_window %j with what it expects', (value, message) => {
    expect(refused({ risk: { correlation_window: value } })).toEqual([
      { path: 'risk.correlation_window', value, message: expect.stringMatching(message) },
    ]);
  });

  it('refuses an unknown key of the section (a typo)', () => {
    expect(refused({ risk: { max_corelation: 0.8 } })).toEqual([
      { path: 'risk.max_corelation', value: 0.8, message: 'unknown key (a typo?)' },
    ]);
  });
});

describe('the heartbeat durations of monitoring', () => {
  it('reads heartbeat_interval and health_check_interval as durations, the launcher’s 30 s and 60 s by default', () => {
    const c = specConfig({
      monitoring: { ...MONITORING, heartbeat_interval: '30s', health_check_interval: '1m' },
    });
    expect(c.heartbeatIntervalMs).toBe(30_000);
    expect(c.healthCheckIntervalMs).toBe(60_000);
    const none = specConfig({ monitoring: MONITORING });
    expect(none.heartbeatIntervalMs).toBe(30_000);
    expect(none.healthCheckIntervalMs).toBe(60_000);
  });

  it.each([
    ['monitoring.heartbeat_interval', '30 seconds', /a duration such as "30s"/],
    ['monitoring.heartbeat_interval', '0s', /a duration longer than zero/],
    ['monitoring.health_check_interval', '1y', /a duration such as "30s"/],
    ['monitoring.health_check_interval', '366d', /a duration of at most "365d"/],
  ])('refuses %s = %j with what it expects', (path, value, message) => {
    expect(refused({ monitoring: { ...MONITORING }, [path]: value })).toEqual([
      { path, value, message: expect.stringMatching(message) },
    ]);
  });

  it('reports a malformed duration of any key at its path instead of throwing', () => {
    expect(refused({ alerts: { cooldown: '1 hour' } })).toEqual([
      {
        path: 'alerts.cooldown',
        value: '1 hour',
        message: 'expected a duration such as "30s", "15m", "1h" or "1d"',
      },
    ]);
  });
});
