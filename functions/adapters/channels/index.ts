/**
 * The alert channels of a config, each wired to where its secret is read (env locally, Secrets
 * Manager in AWS): what the local runtime and the subscriber Lambda send through.
 */
import type { AlertChannelConfig, Config } from '../../core/config.ts';
import type { AlertChannel } from './channel.ts';
import type { DeliveryOptions } from './delivery.ts';
import { discordChannel } from './discord.ts';
import type { ChannelSecretProvider } from './secrets.ts';
import { slackChannel } from './slack.ts';
import { telegramChannel } from './telegram.ts';
import { webhookChannel } from './webhook.ts';

export type { AlertChannel } from './channel.ts';

/** One channel of the config, sending with the secret `secret` gives. */
export function alertChannel(
  config: AlertChannelConfig,
  secret: ChannelSecretProvider,
  options: DeliveryOptions = {},
): AlertChannel {
  switch (config.type) {
    case 'telegram':
      return telegramChannel(config, secret, options);
    case 'discord':
      return discordChannel(config, secret, options);
    case 'slack':
      return slackChannel(config, secret, options);
    case 'webhook':
      return webhookChannel(config, secret, options);
  }
}

/** Every channel of `config`, in its order. */
export function alertChannels(
  config: Config,
  secretOf: (channel: AlertChannelConfig) => ChannelSecretProvider,
  options: DeliveryOptions = {},
): AlertChannel[] {
  return config.alertChannels.map((c) => alertChannel(c, secretOf(c), options));
}
