/** `alerts.channels`: what the config says about each alert channel, and how a bad one is refused. */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../functions/core/config.ts';
import { problemsOf, specConfig, specFile, withPaths } from './fixtures.ts';

/** The problems of the spec's config with these alert channels. */
const refused = (channels: unknown, more: Record<string, unknown> = {}) =>
  problemsOf(() => parseConfig(withPaths(specFile(), { alerts: { channels }, ...more })));

describe('alerts.channels', () => {
  it('reads each channel with its name, floor and settings', () => {
    // Act
    const c = specConfig({
      alerts: {
        cooldown: '30m',
        channels: [
          { type: 'telegram', chat_id: -1001234567890, min_severity: 'info' },
          { type: 'discord' },
          { type: 'slack', name: 'ops_slack', min_severity: 'critical' },
          { type: 'webhook', url: 'https://hooks.example.com/botfolio' },
          {
            type: 'telegram',
            name: 'own_api',
            chat_id: '@botfolio_ops',
            api_url: 'http://127.0.0.1:8081/',
          },
        ],
      },
    });
    // Assess
    expect(c.alertCooldownMs).toBe(30 * 60_000);
    expect(c.alertChannels).toEqual([
      {
        type: 'telegram',
        name: 'telegram',
        minSeverity: 'info',
        chatId: '-1001234567890',
        apiUrl: 'https://api.telegram.org',
      },
      { type: 'discord', name: 'discord', minSeverity: 'warning' },
      { type: 'slack', name: 'ops_slack', minSeverity: 'critical' },
      {
        type: 'webhook',
        name: 'webhook',
        minSeverity: 'warning',
        url: 'https://hooks.example.com/botfolio',
      },
      {
        type: 'telegram',
        name: 'own_api',
        minSeverity: 'warning',
        chatId: '@botfolio_ops',
        apiUrl: 'http://127.0.0.1:8081',
      },
    ]);
  });

  it('keeps the cooldown’s default of 1h beside channels, and has no channel by default', () => {
    // Act
    const withChannels = specConfig({ alerts: { channels: [{ type: 'slack' }] } });
    const without = specConfig({ alerts: undefined });
    // Assess
    expect(withChannels.alertCooldownMs).toBe(60 * 60_000);
    expect(without.alertCooldownMs).toBe(60 * 60_000);
    expect(without.alertChannels).toEqual([]);
  });

  it('refuses an unknown channel type, naming the types there are', () => {
    expect(refused([{ type: 'teams' }])).toEqual([
      {
        path: 'alerts.channels[0].type',
        value: 'teams',
        message: 'expected one of "telegram"|"discord"|"slack"|"webhook"',
      },
    ]);
  });

  it('refuses a channel without a type', () => {
    expect(refused([{ min_severity: 'info' }])).toEqual([
      {
        path: 'alerts.channels[0].type',
        message: 'required: expected one of "telegram"|"discord"|"slack"|"webhook"',
      },
    ]);
  });

  it('refuses an unknown severity floor', () => {
    expect(refused([{ type: 'discord', min_severity: 'error' }])).toEqual([
      {
        path: 'alerts.channels[0].min_severity',
        value: 'error',
        message: 'expected one of "info"|"warning"|"critical"',
      },
    ]);
  });

  it('refuses a Telegram channel without a chat id, or with a chat id that is none', () => {
    expect(refused([{ type: 'telegram' }])).toEqual([
      { path: 'alerts.channels[0].chat_id', message: 'required: expected number or string' },
    ]);
    expect(refused([{ type: 'telegram', chat_id: 'ops room' }])).toEqual([
      {
        path: 'alerts.channels[0].chat_id',
        value: 'ops room',
        message: 'expected a chat id such as "-1001234567890" or a channel\'s "@username"',
      },
    ]);
  });

  it('refuses a token in the config: a secret has no key here', () => {
    expect(refused([{ type: 'telegram', chat_id: 1, bot_token: '123:ABC' }])).toEqual([
      { path: 'alerts.channels[0].bot_token', value: '123:ABC', message: 'unknown key (a typo?)' },
    ]);
  });

  it('refuses a webhook URL in clear text to another machine', () => {
    expect(refused([{ type: 'webhook', url: 'http://hooks.example.com/x' }])).toEqual([
      {
        path: 'alerts.channels[0].url',
        value: 'http://hooks.example.com/x',
        message: 'an https URL (http only to 127.0.0.1 or localhost), without user or password',
      },
    ]);
  });

  it('refuses a channel name that cannot name a secret and env vars', () => {
    expect(refused([{ type: 'slack', name: 'Ops-Chat' }])).toEqual([
      {
        path: 'alerts.channels[0].name',
        value: 'Ops-Chat',
        message: 'expected a channel name of lowercase letters, digits and "_" (at most 32)',
      },
    ]);
  });

  it('refuses two channels with one name (two of a type need names of their own)', () => {
    expect(
      refused([
        { type: 'telegram', chat_id: 1 },
        { type: 'telegram', chat_id: 2 },
        { type: 'slack', name: 'telegram' },
      ]),
    ).toEqual([
      {
        path: 'alerts.channels[1]',
        value: 'telegram',
        message:
          'channel name already taken by alerts.channels[0]: give each channel its own "name" (it names the channel\'s secret)',
      },
      {
        path: 'alerts.channels[2].name',
        value: 'telegram',
        message:
          'channel name already taken by alerts.channels[0]: give each channel its own "name" (it names the channel\'s secret)',
      },
    ]);
  });

  it('reports a duplicate name beside a schema problem of another section', () => {
    // Act
    const problems = refused([{ type: 'slack' }, { type: 'slack' }], { total_capital: -1 });
    // Assess
    expect(problems.map((p) => p.path)).toEqual(['total_capital', 'alerts.channels[1]']);
  });
});
