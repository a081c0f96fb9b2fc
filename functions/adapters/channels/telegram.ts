/**
 * Telegram: the Bot API's `sendMessage` (POST `<api>/bot<token>/sendMessage`, JSON `{chat_id,
 * text}`), plain text, at most 4096 characters. Telegram answers `{ok: true}`, or `{ok: false,
 * error_code, description, parameters}`; a 429 says in `parameters.retry_after` how many seconds
 * to wait, and a group that became a supergroup answers `parameters.migrate_to_chat_id`.
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

/** The longest text `sendMessage` takes. */
export const TELEGRAM_MAX_LENGTH = 4096;

type TelegramConfig = Extract<AlertChannelConfig, { type: 'telegram' }>;

export function telegramChannel(
  config: TelegramConfig,
  secret: ChannelSecretProvider,
  options: DeliveryOptions = {},
): AlertChannel {
  return {
    name: config.name,
    type: config.type,
    minSeverity: config.minSeverity,
    async send(alert, context) {
      const token = (await secret()).field('botToken');
      const body = JSON.stringify({
        chat_id: config.chatId,
        text: truncate(alertText(alert, context), TELEGRAM_MAX_LENGTH),
        link_preview_options: { is_disabled: true },
      });
      await deliver(
        config.name,
        () => ({ url: `${config.apiUrl}/bot${token}/sendMessage`, body }),
        judgeTelegram,
        options,
      );
    },
  };
}

/** Telegram's answer: `ok`, a rate limit with its retry_after, or why it refused. */
export function judgeTelegram(answer: ChannelAnswer): Verdict {
  const json = jsonOf(answer.text);
  if (answer.status >= 200 && answer.status < 300 && json?.ok === true) return { ok: true };
  const parameters = (json?.parameters ?? {}) as Record<string, unknown>;
  const status = typeof json?.error_code === 'number' ? json.error_code : answer.status;
  const description =
    typeof json?.description === 'string' ? json.description : shortText(answer.text);
  if (parameters.migrate_to_chat_id !== undefined) {
    return {
      ok: false,
      retry: false,
      reason: `Telegram answered ${status}: the group is now the supergroup ${String(parameters.migrate_to_chat_id)}: set its chat_id`,
    };
  }
  return failedAnswer('Telegram', status, description, secondsToMs(parameters.retry_after));
}
