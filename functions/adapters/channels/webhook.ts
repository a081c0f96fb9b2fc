/**
 * The generic webhook: the alert as JSON (snake_case, as the plan JSON names things), POSTed to
 * the channel's URL and signed with its key (signature.ts); every attempt is signed afresh, with
 * its own timestamp. Any 2xx is delivered; a 429 or 503 may say in Retry-After when to try again.
 */
import { randomUUID } from 'node:crypto';
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
import {
  DELIVERY_HEADER,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  webhookSignature,
} from './signature.ts';

type WebhookConfig = Extract<AlertChannelConfig, { type: 'webhook' }>;

export function webhookChannel(
  config: WebhookConfig,
  secret: ChannelSecretProvider,
  options: DeliveryOptions = {},
): AlertChannel {
  const now = options.now ?? Date.now;
  return {
    name: config.name,
    type: config.type,
    minSeverity: config.minSeverity,
    async send(alert, context) {
      const read = await secret();
      const key = read.field('signingKey');
      const url = config.url ?? read.field('url');
      const body = JSON.stringify({
        portfolio_id: context.portfolioId,
        severity: alert.severity,
        code: alert.code,
        ...(alert.botId !== undefined && { bot_id: alert.botId }),
        ...(alert.bots !== undefined && { bot_ids: alert.bots }),
        message: alert.message,
        ...(context.cycleId !== undefined && { cycle_id: context.cycleId }),
        ...(context.transferId !== undefined && { transfer_id: context.transferId }),
        ...(context.transferStatus !== undefined && { transfer_status: context.transferStatus }),
      });
      const delivery = randomUUID();
      await deliver(
        config.name,
        () => {
          const timestamp = Math.floor(now() / 1000);
          return {
            url,
            body,
            headers: {
              [TIMESTAMP_HEADER]: String(timestamp),
              [SIGNATURE_HEADER]: webhookSignature(key, timestamp, body),
              [DELIVERY_HEADER]: delivery,
            },
          };
        },
        (answer) => judgeWebhook(answer, now()),
        options,
      );
    },
  };
}

/** The receiver's answer: 2xx, a Retry-After (seconds or an HTTP date), or its status. */
export function judgeWebhook(answer: ChannelAnswer, nowMs: number): Verdict {
  if (answer.status >= 200 && answer.status < 300) return { ok: true };
  const header = answer.headers.get('retry-after') ?? undefined;
  const date = header === undefined ? Number.NaN : Date.parse(header);
  const afterMs =
    secondsToMs(header) ?? (Number.isFinite(date) ? Math.max(0, date - nowMs) : undefined);
  return failedAnswer('the webhook', answer.status, shortText(answer.text), afterMs);
}
