/**
 * The alert channels' secrets: a Telegram bot token, a Discord or Slack webhook URL (the URL is
 * the credential), a generic webhook's signing key (and its URL when the config gives none).
 * As with the exchange keys (adapters/secrets.ts): in AWS one Secrets Manager secret per channel,
 * JSON, named `botfolio/<portfolio>/alerts/<channel>` and found through env
 * `ALERT_CHANNEL_SECRET_ARN_<CHANNEL>`, read on first use and kept for the container's life; on
 * one machine env vars or `.env` (`TELEGRAM_BOT_TOKEN`, `DISCORD_WEBHOOK_URL`,
 * `SLACK_WEBHOOK_URL`, `WEBHOOK_SIGNING_KEY` and `WEBHOOK_URL`, named after the channel). A
 * secret never appears in a log or an error: ChannelSecret prints as "[redacted]".
 */
import { inspect } from 'node:util';
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { AlertChannelConfig, AlertChannelType } from '../../core/config.ts';
import { isSecureUrl, SECURE_URL_RULE } from '../../core/config-channels-schema.ts';
import { SECRET_PLACEHOLDER } from '../secrets.ts';

/** A field of a channel's secret. */
export type SecretField = 'botToken' | 'webhookUrl' | 'signingKey' | 'url';

/** The fields each type's secret holds: a webhook's `url` only when the config has none. */
const FIELDS: Readonly<Record<AlertChannelType, readonly SecretField[]>> = {
  telegram: ['botToken'],
  discord: ['webhookUrl'],
  slack: ['webhookUrl'],
  webhook: ['signingKey', 'url'],
};

/** Fields holding a URL: checked as the config's URLs are. */
const URL_FIELDS: readonly SecretField[] = ['webhookUrl', 'url'];

/** The fields `channel`'s secret must hold. */
export function secretFields(channel: AlertChannelConfig): readonly SecretField[] {
  const fields = FIELDS[channel.type];
  return channel.type === 'webhook' && channel.url !== undefined
    ? fields.filter((f) => f !== 'url')
    : fields;
}

/** The secret's name in Secrets Manager, beside the exchange keys' `botfolio/<portfolio>/<exchange>`. */
export const channelSecretName = (portfolioId: string, channel: string): string =>
  `botfolio/${portfolioId}/alerts/${channel}`;

/** Env var naming a channel's secret: ALERT_CHANNEL_SECRET_ARN_TELEGRAM (set by the stack). */
export const channelSecretArnEnvName = (channel: string): string =>
  `ALERT_CHANNEL_SECRET_ARN_${channel.toUpperCase()}`;

/** The local env var of a field: TELEGRAM_BOT_TOKEN, OPS_CHAT_BOT_TOKEN, WEBHOOK_SIGNING_KEY… */
export const channelEnvName = (channel: string, field: SecretField): string =>
  `${channel.toUpperCase()}_${field.replaceAll(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;

/** The local env vars of a channel's secret, in its fields' order. */
export const channelEnvNames = (channel: AlertChannelConfig): string[] =>
  secretFields(channel).map((f) => channelEnvName(channel.name, f));

/** A channel's secret could not be found, read or used. The message says which and what to do. */
export class ChannelSecretError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ChannelSecretError';
  }
}

const REDACTED = '[redacted]';

/** A channel's secret: its fields are readable by the code that sends, and by nothing that prints. */
export class ChannelSecret {
  readonly #fields: ReadonlyMap<SecretField, string>;
  constructor(fields: ReadonlyMap<SecretField, string>) {
    this.#fields = fields;
  }
  /** The field's value (checked present when the secret was read). */
  field(name: SecretField): string {
    const value = this.#fields.get(name);
    if (value === undefined) throw new ChannelSecretError(`the secret has no ${name}`);
    return value;
  }
  toJSON(): string {
    return REDACTED;
  }
  toString(): string {
    return REDACTED;
  }
  [inspect.custom](): string {
    return `ChannelSecret ${REDACTED}`;
  }
}

/** Where a channel gets its secret, on each send (cached where it is read from a service). */
export type ChannelSecretProvider = () => Promise<ChannelSecret>;

/** The secret from named values, or what is wrong with them (never the values). */
function checked(
  channel: AlertChannelConfig,
  values: (field: SecretField) => unknown,
  where: (field: SecretField) => string,
): ChannelSecret {
  const fields = new Map<SecretField, string>();
  const missing: string[] = [];
  for (const field of secretFields(channel)) {
    const value = values(field);
    if (typeof value !== 'string' || value === '') missing.push(where(field));
    else if (value === SECRET_PLACEHOLDER) {
      throw new ChannelSecretError(
        `${where(field)} is not filled in yet: replace ${SECRET_PLACEHOLDER} (README, "Alert channels")`,
      );
    } else if (URL_FIELDS.includes(field) && !isSecureUrl(value)) {
      throw new ChannelSecretError(`${where(field)} is not ${SECURE_URL_RULE}`);
    } else fields.set(field, value);
  }
  if (missing.length > 0) {
    throw new ChannelSecretError(`set ${missing.join(' and ')} (README, "Alert channels")`);
  }
  return new ChannelSecret(fields);
}

/**
 * The secret from env vars (a `.env` file's included by the caller, adapters/secrets.ts
 * `withDotEnv`); a provider that fails each send with what to set while one is missing.
 */
export function channelSecretFromEnv(
  channel: AlertChannelConfig,
  env: Readonly<Record<string, string | undefined>>,
): ChannelSecretProvider {
  return async () =>
    checked(
      channel,
      (field) => env[channelEnvName(channel.name, field)],
      (field) => `${channelEnvName(channel.name, field)} (in the environment or .env)`,
    );
}

/** Secrets Manager errors that mean "this secret cannot be read by us", not "try again". */
const UNREADABLE = new Set([
  'ResourceNotFoundException',
  'AccessDeniedException',
  'DecryptionFailure',
  'InvalidRequestException',
]);

/**
 * The secret in Secrets Manager (JSON of the channel's fields), read on the first send and kept
 * for the container's life; a failed read is not kept, so the next send tries again.
 */
export function channelSecretFromSecretsManager(
  client: SecretsManagerClient,
  secretArn: string,
  channel: AlertChannelConfig,
): ChannelSecretProvider {
  let cached: Promise<ChannelSecret> | undefined;
  const where = `secret ${secretArn}`;
  const read = async (): Promise<ChannelSecret> => {
    let text: string | undefined;
    try {
      text = (await client.send(new GetSecretValueCommand({ SecretId: secretArn }))).SecretString;
    } catch (error) {
      const name = error instanceof Error ? error.name : 'Error';
      throw new ChannelSecretError(
        UNREADABLE.has(name)
          ? `${where} cannot be read: ${name}`
          : `${where}: Secrets Manager failed: ${name}`,
        { cause: error },
      );
    }
    let json: unknown;
    try {
      json = JSON.parse(text ?? '');
    } catch {
      // No cause: JSON.parse quotes the text it choked on.
      throw new ChannelSecretError(`${where} is not JSON of {${secretFields(channel).join(', ')}}`);
    }
    const fields = (typeof json === 'object' && json !== null ? json : {}) as Record<
      string,
      unknown
    >;
    return checked(
      channel,
      (field) => fields[field],
      (field) => `${field} of ${where}`,
    );
  };
  return () => {
    cached ??= read().catch((error: unknown) => {
      cached = undefined;
      throw error;
    });
    return cached;
  };
}
