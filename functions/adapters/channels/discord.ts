/**
 * Discord: an incoming webhook (POST to the webhook's URL, JSON `{content}`), at most 2000
 * characters, mentions off so an alert never pings @everyone. Discord answers 204; a 429 carries
 * JSON `{retry_after}` in seconds (and a Retry-After header).
 */
import { alertText, truncate } from '../../core/alert-text.ts';
import type { AlertChannelConfig } from '../../core/config.ts';
import type { AlertChannel } from './channel.ts';
import {
  type ChannelAnswer,
  type DeliveryOptions,
  deliver,
  failedAnswer,
  jsonOf,
  secondsToMs,
  shortText,
  type Verdict,
} from './delivery.ts';
import type { ChannelSecretProvider } from './secrets.ts';

/** The longest `content` a Discord message takes. */
export const DISCORD_MAX_LENGTH = 2000;

type DiscordConfig = Extract<AlertChannelConfig, { type: 'discord' }>;

export function discordChannel(
  config: DiscordConfig,
  secret: ChannelSecretProvider,
  options: DeliveryOptions = {},
): AlertChannel {
  return {
    name: config.name,
    type: config.type,
    minSeverity: config.minSeverity,
    async send(alert, context) {
      const url = (await secret()).field('webhookUrl');
      const body = JSON.stringify({
        content: truncate(alertText(alert, context), DISCORD_MAX_LENGTH),
        allowed_mentions: { parse: [] },
      });
      await deliver(config.name, () => ({ url, body }), judgeDiscord, options);
    },
  };
}

/** Discord's answer: 2xx, a rate limit with its retry_after, or why it refused. */
export function judgeDiscord(answer: ChannelAnswer): Verdict {
  if (answer.status >= 200 && answer.status < 300) return { ok: true };
  const json = jsonOf(answer.text);
  const detail = typeof json?.message === 'string' ? json.message : shortText(answer.text);
  const afterMs =
    secondsToMs(json?.retry_after) ?? secondsToMs(answer.headers.get('retry-after') ?? undefined);
  return failedAnswer('Discord', answer.status, detail, afterMs);
}
