/**
 * Slack: an incoming webhook (POST to the webhook's URL, JSON `{text}`), cut at 40 000
 * characters (where Slack cuts a message itself). Slack answers 200 `ok`; a 429 says in its
 * Retry-After header how many seconds to wait; a refusal is a word (`invalid_token`,
 * `channel_not_found`, `no_service`…).
 */
import { alertText, truncate } from '../../core/alert-text.ts';
import type { AlertChannelConfig } from '../../core/config.ts';
import type { AlertChannel } from './channel.ts';
import {
  type ChannelAnswer,
  type DeliveryOptions,
  deliver,
  failedAnswer,
  secondsToMs,
  shortText,
  type Verdict,
} from './delivery.ts';
import type { ChannelSecretProvider } from './secrets.ts';

/** Where Slack truncates a message's text. */
export const SLACK_MAX_LENGTH = 40_000;

type SlackConfig = Extract<AlertChannelConfig, { type: 'slack' }>;

export function slackChannel(
  config: SlackConfig,
  secret: ChannelSecretProvider,
  options: DeliveryOptions = {},
): AlertChannel {
  return {
    name: config.name,
    type: config.type,
    minSeverity: config.minSeverity,
    async send(alert, context) {
      const url = (await secret()).field('webhookUrl');
      const body = JSON.stringify({ text: truncate(alertText(alert, context), SLACK_MAX_LENGTH) });
      await deliver(config.name, () => ({ url, body }), judgeSlack, options);
    },
  };
}

/** Slack's answer: 2xx, a rate limit with its Retry-After, or why it refused. */
export function judgeSlack(answer: ChannelAnswer): Verdict {
  if (answer.status >= 200 && answer.status < 300) return { ok: true };
  const afterMs = secondsToMs(answer.headers.get('retry-after') ?? undefined);
  return failedAnswer('Slack', answer.status, shortText(answer.text), afterMs);
}
