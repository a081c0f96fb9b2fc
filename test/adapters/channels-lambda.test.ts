/**
 * The subscriber Lambda of the alert topic (functions/handlers/alert-channels.ts), run with the
 * real Secrets Manager client against a local stand-in and a fake Telegram on 127.0.0.1: what
 * the stack's alerter publishes (adapters/sns.ts) reaches Telegram, at or above the channel's
 * floor; a CloudWatch alarm is shown too; and a Telegram that refuses is logged and counted while
 * the invocation still succeeds (so Lambda retries nothing).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SNSClient } from '@aws-sdk/client-sns';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { SnsAlerter } from '../../functions/adapters/sns.ts';
import { alert } from '../../functions/core/alerts.ts';
import { specFile } from '../core/fixtures.ts';
import { type AwsStandIn, startAwsStandIn } from '../helpers/aws-stand-in.ts';
import { FAKE_BOT_TOKEN, type FakePlatform, startFakePlatform } from '../helpers/fake-channels.ts';

const SECRET_ARN =
  'arn:aws:secretsmanager:us-east-1:000000000000:secret:botfolio/main/alerts/telegram-x';
const TOPIC_ARN = 'arn:aws:sns:us-east-1:000000000000:botfolio-alerts';
const REFUSED_CHAT = '-100999';

let standIn: AwsStandIn;
let telegram: FakePlatform;
let handler: typeof import('../../functions/handlers/alert-channels.ts').handler;
const output: string[] = [];

beforeAll(async () => {
  // A Telegram that knows the bot's token, and refuses one chat as "chat not found".
  telegram = await startFakePlatform((req) => {
    if (req.path !== `/bot${FAKE_BOT_TOKEN}/sendMessage`) return { status: 404, body: '{}' };
    if (req.json?.chat_id === REFUSED_CHAT) {
      return {
        status: 400,
        body: JSON.stringify({
          ok: false,
          error_code: 400,
          description: 'Bad Request: chat not found',
        }),
      };
    }
    return { status: 200, body: JSON.stringify({ ok: true, result: {} }) };
  });
  standIn = await startAwsStandIn({
    arn: SECRET_ARN,
    name: 'botfolio/main/alerts/telegram',
    value: { botToken: FAKE_BOT_TOKEN },
  });
  // The bundle's config: the spec portfolio with a Telegram channel from warning up, and one
  // to a chat Telegram refuses.
  const root = mkdtempSync(join(tmpdir(), 'botfolio-channels-'));
  const config = {
    ...specFile(),
    alerts: {
      channels: [
        { type: 'telegram', chat_id: '-100200300', api_url: telegram.url },
        {
          type: 'telegram',
          name: 'lost_chat',
          chat_id: REFUSED_CHAT,
          api_url: telegram.url,
          min_severity: 'critical',
        },
      ],
    },
  };
  writeFileSync(join(root, 'botfolio.config.json'), JSON.stringify(config));
  const env: Record<string, string> = {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_SECRETS_MANAGER: standIn.url,
    AWS_ENDPOINT_URL_SNS: standIn.url,
    LAMBDA_TASK_ROOT: root,
    CONFIG_PATH: 'botfolio.config.json',
    ALERT_CHANNEL_SECRET_ARN_TELEGRAM: SECRET_ARN,
    ALERT_CHANNEL_SECRET_ARN_LOST_CHAT: SECRET_ARN,
  };
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
  ({ handler } = await import('../../functions/handlers/alert-channels.ts'));
  // The function's log lines and EMF metrics, as Lambda would take them from stdout and stderr.
  for (const stream of [process.stdout, process.stderr]) {
    vi.spyOn(stream, 'write').mockImplementation((line) => {
      output.push(String(line));
      return true;
    });
  }
});

afterEach(() => {
  output.length = 0;
});

afterAll(async () => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
  await standIn.close();
  await telegram.close();
});

/** What SNS hands the subscriber for the message the stack's alerter published last. */
async function published(...args: Parameters<SnsAlerter['send']>) {
  await new SnsAlerter(new SNSClient({}), TOPIC_ARN).send(...args);
  const publish = standIn.asked.published.at(-1);
  return snsEvent(publish?.get('Message') ?? '', publish?.get('Subject') ?? undefined);
}

function snsEvent(message: string, subject?: string) {
  return {
    Records: [
      { EventSource: 'aws:sns', Sns: { MessageId: 'm-1', Subject: subject, Message: message } },
    ],
  };
}

/** The EMF lines the invocation wrote: its metrics. */
const emitted = () =>
  output.filter((l) => l.includes('"_aws"')).map((l) => JSON.parse(l) as Record<string, unknown>);

describe('the alert channels subscriber', () => {
  it('sends what the stack’s alerter published to Telegram, with the secret from Secrets Manager', async () => {
    // Prepare
    const before = telegram.requests.length;
    const event = await published(alert('unusual_loss', 'lost 40% in one cycle', '4h_swing_btc'), {
      portfolioId: 'main',
      cycleId: 'c-1',
    });
    // Act
    const result = await handler(event);
    // Assess
    expect(result).toEqual({ delivered: 1, failed: 0 });
    const sent = telegram.requests.slice(before);
    expect(sent.map((r) => r.json)).toEqual([
      {
        chat_id: '-100200300',
        text: '⚠️ WARNING unusual_loss · 4h_swing_btc · portfolio main\nlost 40% in one cycle\ncycle c-1',
        link_preview_options: { is_disabled: true },
      },
    ]);
    expect(emitted()).toEqual([
      expect.objectContaining({ AlertChannelDeliveries: 1, AlertChannelFailures: 0 }),
    ]);
  });

  it('sends nothing below the floor', async () => {
    // Prepare
    const before = telegram.requests.length;
    const event = await published(alert('harvest', 'harvested 30', '1h_lorentzian_sol'), {
      portfolioId: 'main',
    });
    // Act & Assess
    await expect(handler(event)).resolves.toEqual({ delivered: 0, failed: 0 });
    expect(telegram.requests.length).toBe(before);
  });

  it('succeeds when a channel refuses: the failure is logged and counted, the other channel served', async () => {
    // Prepare: a critical alert goes to both channels; Telegram refuses the lost chat
    const event = await published(alert('halted', 'equity 25% below its peak'), {
      portfolioId: 'main',
    });
    // Act
    const result = await handler(event);
    // Assess
    expect(result).toEqual({ delivered: 1, failed: 1 });
    const logged = output
      .filter((l) => l.includes('alert channel failed'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(logged).toEqual([
      expect.objectContaining({
        level: 'ERROR',
        channel: 'lost_chat',
        code: 'halted',
        error: 'alert channel lost_chat: Telegram answered 400: Bad Request: chat not found',
      }),
    ]);
    expect(emitted()).toEqual([
      expect.objectContaining({ AlertChannelDeliveries: 1, AlertChannelFailures: 1 }),
    ]);
  });

  it('shows a CloudWatch alarm of the topic as critical', async () => {
    // Prepare: what CloudWatch publishes when an alarm fires
    const before = telegram.requests.length;
    const event = snsEvent(
      JSON.stringify({
        AlarmName: 'Botfolio-main-NoCycleAlarm',
        AlarmDescription: 'Botfolio main: no monitoring cycle completed in two check intervals',
        NewStateValue: 'ALARM',
        NewStateReason: 'Threshold Crossed: 2 datapoints were less than the threshold (1.0).',
      }),
      'ALARM: "Botfolio-main-NoCycleAlarm" in US East (N. Virginia)',
    );
    // Act
    await handler(event);
    // Assess
    const texts = telegram.requests.slice(before).map((r) => String(r.json?.text));
    expect(texts[0]).toBe(
      [
        '🚨 CRITICAL alarm ALARM · portfolio main',
        'Botfolio main: no monitoring cycle completed in two check intervals',
        'Threshold Crossed: 2 datapoints were less than the threshold (1.0).',
      ].join('\n'),
    );
  });

  it('does not throw on an event that is not from SNS', async () => {
    await expect(handler({ detail: {} })).resolves.toEqual({ delivered: 0, failed: 0 });
  });
});
