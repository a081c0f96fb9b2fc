/**
 * Lambda entry point of the alert channels (DESIGN.md §11): a subscriber of the alert topic that
 * sends each message to the config's channels (Telegram, Discord, Slack, the signed webhook),
 * each at or above its floor. SNS invokes it asynchronously, so nothing that publishes an alert
 * waits for it or sees it fail. It never throws for a channel: a failure is logged and counted
 * (AlertChannelFailures), and the invocation succeeds, so Lambda does not retry the channels that
 * did get the alert. Slim: no exchange adapter, no ccxt — only the config, the SDK's Secrets
 * Manager client and the channels.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as z from 'zod';
import { alertChannels } from '../adapters/channels/index.ts';
import {
  channelSecretArnEnvName,
  channelSecretFromSecretsManager,
} from '../adapters/channels/secrets.ts';
import { topicMessageAlert } from '../adapters/channels/topic-message.ts';
import { EmfMetrics } from '../adapters/emf.ts';
import { emitChannelMetrics, sendToChannels } from '../usecases/alert-channels.ts';
import { loadBundledConfig, requireEnv } from './env.ts';

const config = loadBundledConfig();
const logger = new Logger({
  serviceName: 'botfolio',
  persistentKeys: { portfolioId: config.portfolioId },
});
const metrics = new EmfMetrics();
const secrets = new SecretsManagerClient({});
// Every channel's secret is named at load: a stack without one fails at once, not per alert.
const channels = alertChannels(config, (c) =>
  channelSecretFromSecretsManager(secrets, requireEnv(channelSecretArnEnvName(c.name)), c),
);

/** The part of an SNS event this reads. */
const snsEvent = z.object({
  Records: z.array(
    z.object({
      Sns: z.object({
        MessageId: z.string().optional(),
        Subject: z.string().nullish(),
        Message: z.string(),
      }),
    }),
  ),
});

export interface ChannelsResult {
  readonly delivered: number;
  readonly failed: number;
}

export async function handler(event: unknown): Promise<ChannelsResult> {
  const parsed = snsEvent.safeParse(event);
  if (!parsed.success) {
    logger.error('not an SNS event: nothing sent', { issues: parsed.error.issues.length });
    return { delivered: 0, failed: 0 };
  }
  let delivered = 0;
  let failed = 0;
  for (const { Sns } of parsed.data.Records) {
    const { alert, context } = topicMessageAlert(
      Sns.Message,
      Sns.Subject ?? undefined,
      config.portfolioId,
    );
    const report = await sendToChannels(channels, alert, context);
    emitChannelMetrics(metrics, config.portfolioId, report);
    delivered += report.delivered.length;
    failed += report.failed.length;
    for (const f of report.failed) {
      logger.error('alert channel failed', {
        channel: f.channel,
        code: alert.code,
        messageId: Sns.MessageId,
        error: f.error.message,
      });
    }
    logger.info('alert sent to the channels', {
      code: alert.code,
      severity: alert.severity,
      messageId: Sns.MessageId,
      delivered: report.delivered,
      skipped: report.skipped,
      failed: report.failed.map((f) => f.channel),
    });
  }
  return { delivered, failed };
}
