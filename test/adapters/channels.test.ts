/**
 * The alert channels against fake Telegram, Discord, Slack and webhook servers on 127.0.0.1: the
 * request each platform expects, its rate-limit answer waited out, retries bounded, long messages
 * cut, the generic webhook's signature, and the severity floor — a channel that is down never
 * fails the publish.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type AlertChannel, alertChannel } from '../../functions/adapters/channels/index.ts';
import {
  ChannelSecret,
  channelSecretFromEnv,
  type SecretField,
} from '../../functions/adapters/channels/secrets.ts';
import {
  DELIVERY_HEADER,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  verifyWebhookSignature,
  webhookSignature,
} from '../../functions/adapters/channels/signature.ts';
import { topicMessageAlert } from '../../functions/adapters/channels/topic-message.ts';
import { alertText, TRUNCATION_MARKER } from '../../functions/core/alert-text.ts';
import { type Alert, alert, digestAlerts } from '../../functions/core/alerts.ts';
import type { AlertChannelConfig } from '../../functions/core/config.ts';
import type { MetricName } from '../../functions/core/metrics.ts';
import type { Alerter } from '../../functions/core/ports.ts';
import {
  type ChannelFailure,
  sendToChannels,
  withChannels,
} from '../../functions/usecases/alert-channels.ts';
import {
  DISCORD_WEBHOOK_PATH,
  FAKE_BOT_TOKEN,
  FAKE_SIGNING_KEY,
  type FakePlatform,
  SLACK_WEBHOOK_PATH,
  startFakeDiscord,
  startFakePlatform,
  startFakeSlack,
  startFakeTelegram,
  startFakeWebhook,
} from '../helpers/fake-channels.ts';

const CONTEXT = { portfolioId: 'main', cycleId: 'c-2026-12-03T06:00' };
const FAILED = alert(
  'transfer_failed',
  'refill of 1h_lorentzian_sol failed: insufficient funds',
  '1h_lorentzian_sol',
);
const HARVEST = alert('harvest', 'harvested 30 from 1h_lorentzian_sol', '1h_lorentzian_sol');
const STALE = alert('unusual_loss', 'lost 40% in one cycle', '4h_swing_btc');
/** Quick retries: the tests wait out real (small) delays. */
const FAST = { backoffMs: 10, attempts: 3 } as const;

const servers: FakePlatform[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
async function serve<T extends FakePlatform>(started: Promise<T>): Promise<T> {
  const s = await started;
  servers.push(s);
  return s;
}

/** A secret of these fields, as the env or Secrets Manager would give it. */
const secretOf = (fields: Partial<Record<SecretField, string>>) => async () =>
  new ChannelSecret(new Map(Object.entries(fields) as [SecretField, string][]));

function telegram(
  server: FakePlatform,
  extra: Partial<AlertChannelConfig> = {},
  token = FAKE_BOT_TOKEN,
) {
  return alertChannel(
    {
      type: 'telegram',
      name: 'telegram',
      minSeverity: 'info',
      chatId: '-1001234567890',
      apiUrl: server.url,
      ...extra,
    } as AlertChannelConfig,
    secretOf({ botToken: token }),
    FAST,
  );
}
const discord = (server: FakePlatform, minSeverity: Alert['severity'] = 'info') =>
  alertChannel(
    { type: 'discord', name: 'discord', minSeverity },
    secretOf({ webhookUrl: `${server.url}${DISCORD_WEBHOOK_PATH}` }),
    FAST,
  );
const slack = (server: FakePlatform, minSeverity: Alert['severity'] = 'info') =>
  alertChannel(
    { type: 'slack', name: 'slack', minSeverity },
    secretOf({ webhookUrl: `${server.url}${SLACK_WEBHOOK_PATH}` }),
    FAST,
  );
const webhook = (server: FakePlatform, key = FAKE_SIGNING_KEY) =>
  alertChannel(
    { type: 'webhook', name: 'webhook', minSeverity: 'info', url: `${server.url}/botfolio` },
    secretOf({ signingKey: key }),
    FAST,
  );

/** The error a send ends with (the test fails if it succeeds). */
async function failureOf(channel: AlertChannel, a: Alert = FAILED): Promise<Error> {
  try {
    await channel.send(a, CONTEXT);
  } catch (error) {
    return error as Error;
  }
  throw new Error('the send succeeded');
}

describe('Telegram', () => {
  it('posts sendMessage to /bot<token>/sendMessage with the chat id and the alert as plain text', async () => {
    // Prepare
    const server = await serve(startFakeTelegram());
    // Act
    await telegram(server).send(FAILED, CONTEXT);
    // Assess
    expect(server.requests).toHaveLength(1);
    const [req] = server.requests;
    expect(req?.method).toBe('POST');
    expect(req?.path).toBe(`/bot${FAKE_BOT_TOKEN}/sendMessage`);
    expect(req?.headers['content-type']).toBe('application/json');
    expect(req?.json).toEqual({
      chat_id: '-1001234567890',
      text: [
        '🚨 CRITICAL transfer_failed · 1h_lorentzian_sol · portfolio main',
        'refill of 1h_lorentzian_sol failed: insufficient funds',
        'cycle c-2026-12-03T06:00',
      ].join('\n'),
      link_preview_options: { is_disabled: true },
    });
  });

  it('waits out a 429’s parameters.retry_after, then delivers', async () => {
    // Prepare: the first answer asks for 0.2 s, longer than the 10 ms backoff
    const server = await serve(startFakeTelegram({ rateLimited: 1, retryAfterS: 0.2 }));
    // Act
    await telegram(server).send(FAILED, CONTEXT);
    // Assess
    expect(server.requests).toHaveLength(2);
    const [first, second] = server.requests;
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(190);
  });

  it('cuts a message longer than 4096 characters, with a marker', async () => {
    // Prepare
    const server = await serve(startFakeTelegram());
    const long = alert('config_drift', 'x'.repeat(5000));
    // Act
    await telegram(server).send(long, CONTEXT);
    // Assess
    const text = server.requests[0]?.json?.text as string;
    expect(text).toHaveLength(4096);
    expect(text.endsWith(TRUNCATION_MARKER)).toBe(true);
  });

  it('fails at once on a refusal, saying Telegram’s reason and never the token', async () => {
    // Prepare
    const server = await serve(startFakeTelegram());
    // Act
    const error = await failureOf(telegram(server, {}, 'wrong:token'));
    // Assess
    expect(server.requests).toHaveLength(1);
    expect(error.name).toBe('AlertChannelError');
    expect(error.message).toBe('alert channel telegram: Telegram answered 401: Unauthorized');
    expect(error.message).not.toContain('wrong:token');
  });
});

describe('Discord', () => {
  it('posts the alert as content to the webhook URL, mentions off', async () => {
    // Prepare
    const server = await serve(startFakeDiscord());
    // Act
    await discord(server).send(STALE, CONTEXT);
    // Assess
    expect(server.requests.map((r) => r.path)).toEqual([DISCORD_WEBHOOK_PATH]);
    expect(server.requests[0]?.json).toEqual({
      content: [
        '⚠️ WARNING unusual_loss · 4h_swing_btc · portfolio main',
        'lost 40% in one cycle',
        'cycle c-2026-12-03T06:00',
      ].join('\n'),
      allowed_mentions: { parse: [] },
    });
  });

  it('waits out a 429’s JSON retry_after (not its rounded-up header), then delivers', async () => {
    // Prepare: retry_after 0.15 s in the body; the header says 1 s
    const server = await serve(startFakeDiscord({ rateLimited: 2, retryAfterS: 0.15 }));
    const started = Date.now();
    // Act
    await discord(server).send(STALE, CONTEXT);
    // Assess
    expect(server.requests).toHaveLength(3);
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(1500);
  });

  it('cuts a message longer than 2000 characters, with a marker', async () => {
    // Prepare
    const server = await serve(startFakeDiscord());
    // Act: an emoji astride the cut must not be split in half
    await discord(server).send(alert('config_drift', '😀'.repeat(1500)), CONTEXT);
    // Assess
    const content = server.requests[0]?.json?.content as string;
    expect(content.length).toBeLessThanOrEqual(2000);
    expect(content.endsWith(TRUNCATION_MARKER)).toBe(true);
    expect(content.isWellFormed()).toBe(true);
  });
});

describe('Slack', () => {
  it('posts the alert as text to the webhook URL', async () => {
    // Prepare
    const server = await serve(startFakeSlack());
    // Act
    await slack(server).send(HARVEST, CONTEXT);
    // Assess
    expect(server.requests.map((r) => r.path)).toEqual([SLACK_WEBHOOK_PATH]);
    expect(server.requests[0]?.json).toEqual({
      text: [
        'ℹ️ INFO harvest · 1h_lorentzian_sol · portfolio main',
        'harvested 30 from 1h_lorentzian_sol',
        'cycle c-2026-12-03T06:00',
      ].join('\n'),
    });
  });

  it('waits out a 429’s Retry-After header, then delivers', async () => {
    // Prepare
    const server = await serve(startFakeSlack({ rateLimited: 1, retryAfterS: 0.2 }));
    // Act
    await slack(server).send(HARVEST, CONTEXT);
    // Assess
    expect(server.requests).toHaveLength(2);
    const [first, second] = server.requests;
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(190);
  });

  it('gives up at once when the wait asked for is longer than a delivery waits', async () => {
    // Prepare: Slack asks for 60 s
    const server = await serve(startFakeSlack({ rateLimited: 5, retryAfterS: 60 }));
    // Act
    const error = await failureOf(slack(server));
    // Assess
    expect(server.requests).toHaveLength(1);
    expect(error.message).toBe(
      'alert channel slack: Slack answered 429: rate_limited: asked to wait 60 s, longer than the 30 s a delivery waits (1 attempt)',
    );
  });

  it('says a webhook that is gone by Slack’s word, without its URL', async () => {
    // Prepare
    const server = await serve(startFakeSlack());
    const gone = alertChannel(
      { type: 'slack', name: 'slack', minSeverity: 'info' },
      secretOf({ webhookUrl: `${server.url}/services/T000/B000/REVOKED` }),
      FAST,
    );
    // Act
    const error = await failureOf(gone);
    // Assess
    expect(error.message).toBe('alert channel slack: Slack answered 404: no_service');
  });
});

describe('the generic webhook', () => {
  it('posts the alert as JSON, signed with HMAC-SHA256 of "<timestamp>.<body>"', async () => {
    // Prepare
    const server = await serve(startFakeWebhook());
    // Act
    await webhook(server).send(FAILED, { ...CONTEXT, transferId: 't-1', transferStatus: 'failed' });
    // Assess
    expect(server.verified()).toBe(1);
    const [req] = server.requests;
    expect(req?.path).toBe('/botfolio');
    expect(req?.json).toEqual({
      portfolio_id: 'main',
      severity: 'critical',
      code: 'transfer_failed',
      bot_id: '1h_lorentzian_sol',
      message: 'refill of 1h_lorentzian_sol failed: insufficient funds',
      cycle_id: 'c-2026-12-03T06:00',
      transfer_id: 't-1',
      transfer_status: 'failed',
    });
    const timestamp = Number(req?.headers[TIMESTAMP_HEADER]);
    expect(Math.abs(timestamp - Date.now() / 1000)).toBeLessThan(5);
    expect(req?.headers[SIGNATURE_HEADER]).toBe(
      webhookSignature(FAKE_SIGNING_KEY, timestamp, req?.body ?? ''),
    );
  });

  it('is refused by a receiver with another key (the signature is checked)', async () => {
    // Prepare
    const server = await serve(startFakeWebhook({ key: 'another-key' }));
    // Act
    const error = await failureOf(webhook(server));
    // Assess
    expect(server.verified()).toBe(0);
    expect(error.message).toBe('alert channel webhook: the webhook answered 401: bad signature');
  });

  it('signs every attempt afresh, with one delivery id for all of them', async () => {
    // Prepare: the receiver is busy once
    const server = await serve(
      startFakeWebhook({ answers: [{ status: 503, headers: { 'retry-after': '0' } }] }),
    );
    // Act
    await webhook(server).send(FAILED, CONTEXT);
    // Assess
    expect(server.verified()).toBe(2);
    const ids = server.requests.map((r) => r.headers[DELIVERY_HEADER]);
    expect(ids[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(ids[1]).toBe(ids[0]);
  });

  it('takes its URL from the secret when the config gives none', async () => {
    // Prepare
    const server = await serve(startFakeWebhook());
    const channel = alertChannel(
      { type: 'webhook', name: 'webhook', minSeverity: 'info', url: undefined },
      secretOf({ signingKey: FAKE_SIGNING_KEY, url: `${server.url}/from-secret` }),
      FAST,
    );
    // Act
    await channel.send(HARVEST, CONTEXT);
    // Assess
    expect(server.requests.map((r) => r.path)).toEqual(['/from-secret']);
  });
});

describe('the webhook signature', () => {
  const body = '{"code":"halted"}';
  const now = 1_764_000_000;
  const signed = webhookSignature(FAKE_SIGNING_KEY, now, body);

  it('verifies the body it signs, at its timestamp', () => {
    expect(verifyWebhookSignature(FAKE_SIGNING_KEY, String(now), signed, body, now + 10)).toBe(
      true,
    );
  });

  it('refuses a changed body, another key, or a timestamp over five minutes old', () => {
    expect(verifyWebhookSignature(FAKE_SIGNING_KEY, String(now), signed, `${body} `, now)).toBe(
      false,
    );
    expect(verifyWebhookSignature('other', String(now), signed, body, now)).toBe(false);
    expect(verifyWebhookSignature(FAKE_SIGNING_KEY, String(now), signed, body, now + 301)).toBe(
      false,
    );
    expect(verifyWebhookSignature(FAKE_SIGNING_KEY, undefined, signed, body, now)).toBe(false);
  });
});

describe('retries', () => {
  it('stop after the bounded number of attempts, with backoff between them', async () => {
    // Prepare: a server that always fails
    const server = await serve(startFakePlatform(() => ({ status: 502, body: 'Bad Gateway' })));
    // Act
    const error = await failureOf(discord(server));
    // Assess: 3 attempts, waits of 10 and 20 ms
    expect(server.requests).toHaveLength(3);
    const [a, , c] = server.requests;
    expect((c?.at ?? 0) - (a?.at ?? 0)).toBeGreaterThanOrEqual(28);
    expect(error.message).toBe(
      'alert channel discord: Discord answered 502: Bad Gateway (3 attempts)',
    );
  });

  it('report a platform that does not answer, without its URL', async () => {
    // Prepare: a port nobody listens on any more
    const server = await startFakeDiscord();
    await server.close();
    // Act
    const error = await failureOf(discord(server));
    // Assess
    expect(error.message).toBe('alert channel discord: network error ECONNREFUSED (3 attempts)');
    expect(error.message).not.toContain('TEST-discord-token');
  });
});

describe('channel secrets from the environment', () => {
  const config: AlertChannelConfig = {
    type: 'telegram',
    name: 'ops_chat',
    minSeverity: 'info',
    chatId: '42',
    apiUrl: 'https://api.telegram.org',
  };

  it('reads the token from <NAME>_BOT_TOKEN', async () => {
    // Act
    const secret = await channelSecretFromEnv(config, { OPS_CHAT_BOT_TOKEN: 'a:b' })();
    // Assess
    expect(secret.field('botToken')).toBe('a:b');
    expect(JSON.stringify({ secret })).toBe('{"secret":"[redacted]"}');
  });

  it('says which variable to set when it is missing, and that a placeholder is not a token', async () => {
    await expect(channelSecretFromEnv(config, {})()).rejects.toThrow(
      'set OPS_CHAT_BOT_TOKEN (in the environment or .env) (README, "Alert channels")',
    );
    await expect(
      channelSecretFromEnv(config, { OPS_CHAT_BOT_TOKEN: 'REPLACE_ME' })(),
    ).rejects.toThrow(
      'OPS_CHAT_BOT_TOKEN (in the environment or .env) is not filled in yet: replace REPLACE_ME (README, "Alert channels")',
    );
  });

  it('refuses a webhook URL in clear text to another machine', async () => {
    // Act & Assess
    await expect(
      channelSecretFromEnv(
        { type: 'discord', name: 'discord', minSeverity: 'info' },
        { DISCORD_WEBHOOK_URL: 'http://discord.com/api/webhooks/1/x' },
      )(),
    ).rejects.toThrow(
      'DISCORD_WEBHOOK_URL (in the environment or .env) is not an https URL (http only to 127.0.0.1 or localhost), without user or password',
    );
  });
});

describe('the severity floor', () => {
  it('sends each alert only to the channels whose floor it reaches', async () => {
    // Prepare: Discord from warning up, Slack critical only
    const d = await serve(startFakeDiscord());
    const s = await serve(startFakeSlack());
    const channels = [discord(d, 'warning'), slack(s, 'critical')];
    // Act
    const info = await sendToChannels(channels, HARVEST, CONTEXT);
    const warning = await sendToChannels(channels, STALE, CONTEXT);
    const critical = await sendToChannels(channels, FAILED, CONTEXT);
    // Assess
    expect(info).toEqual({ delivered: [], skipped: ['discord', 'slack'], failed: [] });
    expect(warning).toEqual({ delivered: ['discord'], skipped: ['slack'], failed: [] });
    expect(critical).toEqual({ delivered: ['discord', 'slack'], skipped: [], failed: [] });
    expect(d.requests.map((r) => String(r.json?.content).split(' ')[2])).toEqual([
      'unusual_loss',
      'transfer_failed',
    ]);
    expect(s.requests).toHaveLength(1);
  });
});

describe('a channel that is down', () => {
  it('never fails the publish: the alert is published, the others delivered, the failure logged and counted', async () => {
    // Prepare: a published alerter, a Telegram that refuses everything, a working Slack
    const published: Alert[] = [];
    const inner: Alerter = { send: async (a) => void published.push(a) };
    const down = await serve(startFakePlatform(() => ({ status: 500, body: 'down' })));
    const s = await serve(startFakeSlack());
    const failures: ChannelFailure[] = [];
    const counted: Partial<Record<MetricName, number>>[] = [];
    const alerter = withChannels(inner, [telegram(down), slack(s)], {
      metrics: { emit: (_p, values) => void counted.push(values) },
      onFailure: (f) => failures.push(f),
    });
    // Act
    await expect(alerter.send(FAILED, CONTEXT)).resolves.toBeUndefined();
    await alerter.drain();
    // Assess
    expect(published).toEqual([FAILED]);
    expect(s.requests).toHaveLength(1);
    expect(down.requests).toHaveLength(3);
    expect(failures.map((f) => [f.channel, f.alert.code, f.error.message])).toEqual([
      [
        'telegram',
        'transfer_failed',
        'alert channel telegram: Telegram answered 500: down (3 attempts)',
      ],
    ]);
    expect(counted).toEqual([{ AlertChannelDeliveries: 1, AlertChannelFailures: 1 }]);
  });

  it('never fails the publish when its secret is missing either', async () => {
    // Prepare
    const alerter = withChannels(
      { send: async () => {} },
      [
        alertChannel(
          { type: 'discord', name: 'discord', minSeverity: 'info' },
          channelSecretFromEnv({ type: 'discord', name: 'discord', minSeverity: 'info' }, {}),
        ),
      ],
      { metrics: { emit: () => {} }, onFailure: (f) => failures.push(f) },
    );
    const failures: ChannelFailure[] = [];
    // Act
    await alerter.send(FAILED, CONTEXT);
    await alerter.drain();
    // Assess
    expect(failures.map((f) => f.error.message)).toEqual([
      'set DISCORD_WEBHOOK_URL (in the environment or .env) (README, "Alert channels")',
    ]);
  });
});

describe('a message of the alert topic', () => {
  it('is our alert with its context when our alerter published it', () => {
    // Act
    const read = topicMessageAlert(
      JSON.stringify({
        ...FAILED,
        portfolioId: 'main',
        transferId: 't-9',
        transferStatus: 'failed',
      }),
      'Botfolio main critical: transfer_failed',
      'other',
    );
    // Assess
    expect(read).toEqual({
      alert: FAILED,
      context: { portfolioId: 'main', transferId: 't-9', transferStatus: 'failed' },
    });
  });

  it('keeps a digest’s bots, and the channels’ text says how many', () => {
    // Prepare: what the cycle's alerter publishes for two stale bots (core/alerts.ts)
    const [digest] = digestAlerts([
      alert('bot_stale', 'a is stale', 'a'),
      alert('bot_stale', 'b is stale', 'b'),
    ]);
    // Act
    const read = topicMessageAlert(
      JSON.stringify({ ...digest, ...CONTEXT }),
      'Botfolio main warning: bot_stale (2 bots)',
      'main',
    );
    // Assess
    expect(read).toEqual({ alert: digest, context: CONTEXT });
    expect(alertText(read.alert, read.context).split('\n')[0]).toContain(
      'WARNING bot_stale · 2 bots · portfolio main',
    );
  });

  it('is shown as it came, as a warning, when it is nobody’s JSON', () => {
    // Act
    const read = topicMessageAlert('disk almost full', 'Ops note', 'main');
    // Assess
    expect(read).toEqual({
      alert: { severity: 'warning', code: 'notification', message: 'Ops note\ndisk almost full' },
      context: { portfolioId: 'main' },
    });
  });
});
