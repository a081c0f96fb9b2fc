/**
 * The alert channels in AWS (DESIGN.md §11): one Secrets Manager secret per channel of the config
 * (`botfolio/<portfolio>/alerts/<channel>`, beside the exchange keys, created with placeholders the
 * operator fills), and a subscriber function of the alert topic that sends to them — the only
 * reader of those secrets. SNS invokes it asynchronously: a channel that is down never holds up
 * the cycle or a transfer, and the function succeeds even then (failures are logged and counted),
 * so Lambda retries nothing and a channel that got an alert does not get it twice.
 */
import { Duration, RemovalPolicy, SecretValue, Validations } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import {
  channelSecretArnEnvName,
  channelSecretName,
  secretFields,
} from '../functions/adapters/channels/secrets.ts';
import type { AlertChannelConfig } from '../functions/core/config.ts';
import { SECRET_PLACEHOLDER } from './exchange-secrets.ts';
import { BotfolioFunction } from './function.ts';

export interface AlertChannelsProps {
  readonly portfolioId: string;
  /** The config's channels (`alerts.channels`); at least one. */
  readonly channels: readonly AlertChannelConfig[];
  /** The alert topic it subscribes to. */
  readonly topic: sns.ITopic;
  /** The subscriber's handler module (functions/handlers/alert-channels.ts). */
  readonly entry: string;
  /** The validated config file, shipped in the bundle (BotfolioFunction `configFile`). @default - none */
  readonly configFile?: string;
}

export class AlertChannels extends Construct {
  /** The subscriber of the alert topic. */
  readonly function: BotfolioFunction;
  /** One secret per channel, by channel name. */
  readonly secrets: ReadonlyMap<string, secretsmanager.ISecret>;

  constructor(scope: Construct, id: string, props: AlertChannelsProps) {
    super(scope, id);
    if (props.channels.length === 0) throw new Error('AlertChannels needs at least one channel');
    const secrets = new Map<string, secretsmanager.ISecret>();
    for (const channel of props.channels) {
      secrets.set(channel.name, this.secretOf(props.portfolioId, channel));
    }
    this.secrets = secrets;

    this.function = new BotfolioFunction(scope, `${id}Subscriber`, {
      entry: props.entry,
      description:
        'Botfolio alert channels: sends each alert of the topic to Telegram, Discord, Slack or a webhook',
      portfolioId: props.portfolioId,
      configFile: props.configFile,
      // A delivery keeps within 45 s, retries and waits included (adapters/channels/delivery.ts).
      timeout: Duration.seconds(60),
      memorySize: 256,
      // Never retried: the function fails only before sending, and a retry would repeat an alert
      // to every channel that got it.
      retryAttempts: 0,
    });
    for (const [name, secret] of secrets) {
      secret.grantRead(this.function);
      this.function.addEnvironment(channelSecretArnEnvName(name), secret.secretArn);
    }
    props.topic.addSubscription(new subscriptions.LambdaSubscription(this.function));
  }

  /**
   * The channel's secret: the fields its type needs, placeholders to replace; a webhook's signing
   * key is generated (the operator gives it to the receiver).
   */
  private secretOf(portfolioId: string, channel: AlertChannelConfig): secretsmanager.Secret {
    const fields = secretFields(channel);
    const placeholders = fields.filter((f) => f !== 'signingKey');
    const common = {
      secretName: channelSecretName(portfolioId, channel.name),
      description: `Alert channel ${channel.name} (${channel.type}) of Botfolio portfolio ${portfolioId}: replace every ${SECRET_PLACEHOLDER} (README, "Alert channels").`,
      removalPolicy: RemovalPolicy.RETAIN,
    };
    const secret = fields.includes('signingKey')
      ? new secretsmanager.Secret(this, channel.name, {
          ...common,
          generateSecretString: {
            secretStringTemplate: JSON.stringify(
              Object.fromEntries(placeholders.map((f) => [f, SECRET_PLACEHOLDER])),
            ),
            generateStringKey: 'signingKey',
            passwordLength: 64,
            excludePunctuation: true,
          },
        })
      : new secretsmanager.Secret(this, channel.name, {
          ...common,
          // Placeholders, not secrets: the template holds nothing worth hiding.
          secretObjectValue: Object.fromEntries(
            placeholders.map((f) => [f, SecretValue.unsafePlainText(SECRET_PLACEHOLDER)]),
          ),
        });
    Validations.of(secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'A bot token or webhook URL is issued and revoked by the chat platform (BotFather, Discord, Slack), and a webhook signing key must change at its receiver too: a rotation Lambda can do neither, so the operator rotates it there and updates this secret.',
    });
    return secret;
  }
}
