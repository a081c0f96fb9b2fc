/**
 * The schema of `alerts.channels` (DESIGN.md §11), part of the config file's schema
 * (config-schema.ts): one entry per channel, told apart by its `type`, each with a severity floor
 * and what its platform needs besides the secret — never the secret itself (an unknown key).
 */
import * as z from 'zod';
import { SEVERITIES } from './alerts.ts';

/** Where alerts can go besides SNS email and SMS (DESIGN.md §11). */
export const ALERT_CHANNEL_TYPES = ['telegram', 'discord', 'slack', 'webhook'] as const;

/** A channel's name: its secret's and its env vars' (`ops_chat` → `OPS_CHAT_BOT_TOKEN`). */
const CHANNEL_NAME = /^[a-z][a-z0-9_]{0,31}$/;

/** Hosts a plain-http URL may name: this machine only (a local Bot API server, a test). */
const LOOPBACK_HOSTS = ['127.0.0.1', 'localhost', '[::1]'];

/** What a channel's URL must be, as a problem says it. */
export const SECURE_URL_RULE =
  'an https URL (http only to 127.0.0.1 or localhost), without user or password';

/**
 * True for an https URL, or http to this machine, with no credentials in it: tokens and signed
 * alerts never cross a network in clear (the config's URLs, and a webhook URL in a secret).
 */
export function isSecureUrl(text: string): boolean {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return false;
  }
  if (url.username || url.password) return false;
  return (
    url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK_HOSTS.includes(url.hostname))
  );
}

const secureUrl = z.string().refine(isSecureUrl, SECURE_URL_RULE);

/** Names the channel's secret and env vars; unique among the channels (config-rules.ts). */
export const channelName = z
  .string()
  .regex(CHANNEL_NAME, 'a channel name of lowercase letters, digits and "_" (at most 32)');

const channelCommon = {
  /** Default: the channel's type. */
  name: channelName.optional(),
  min_severity: z.enum(SEVERITIES).default('warning'),
};

const telegramChannel = z.strictObject({
  type: z.literal('telegram'),
  ...channelCommon,
  // A chat's id (negative for groups and channels) or a public channel's @username.
  chat_id: z.union([
    z.number().int('an integer chat id'),
    z
      .string()
      .regex(
        /^(-?\d{1,20}|@[A-Za-z][A-Za-z0-9_]{3,31})$/,
        'a chat id such as "-1001234567890" or a channel\'s "@username"',
      ),
  ]),
  api_url: secureUrl.optional(),
});

const discordChannel = z.strictObject({ type: z.literal('discord'), ...channelCommon });
const slackChannel = z.strictObject({ type: z.literal('slack'), ...channelCommon });
const webhookChannel = z.strictObject({
  type: z.literal('webhook'),
  ...channelCommon,
  url: secureUrl.optional(),
});

/** One entry of `alerts.channels`, by its `type`. */
export const alertChannel = z.discriminatedUnion('type', [
  telegramChannel,
  discordChannel,
  slackChannel,
  webhookChannel,
]);
