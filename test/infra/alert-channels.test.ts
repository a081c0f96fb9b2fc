/**
 * The alert channels in the stack: a subscriber function of the alert topic, created only when
 * the config has channels, the only reader of one retained secret per channel, never retried,
 * bundled without ccxt — and cdk-nag still passes.
 */
import { Capture, Match } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { ESBUILD_OPTIONS } from '../../lib/function.ts';
import { HANDLER_ENTRIES } from '../../lib/stack.ts';
import { exampleConfigJson, logicalIdOf, synthesize } from './support.ts';

const CHANNELS = [
  { type: 'telegram', chat_id: -1001234567890, min_severity: 'info' },
  { type: 'discord', name: 'ops_discord' },
  { type: 'webhook', min_severity: 'critical' },
];

// Prepare (once for the file)
const { stack, template } = synthesize({
  configJson: { ...exampleConfigJson(), alerts: { cooldown: '1h', channels: CHANNELS } },
});
const channels = stack.alertChannels;
if (!channels) throw new Error('no AlertChannels construct with channels in the config');
const subscriberId = logicalIdOf(stack, channels.function);
const roleOf = (fn: { role?: unknown }) => {
  if (!fn.role) throw new Error('function without role');
  return { Ref: logicalIdOf(stack, fn.role as typeof channels.function) };
};

/** The roles whose policies may read the secret matching `secretIdPattern`. */
function readersOf(t: typeof template, secretIdPattern: string): unknown[] {
  return Object.values(
    t.findResources('AWS::IAM::Policy', {
      Properties: {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Action: Match.arrayWith(['secretsmanager:GetSecretValue']),
              Resource: { Ref: Match.stringLikeRegexp(secretIdPattern) },
            }),
          ]),
        },
      },
    }),
  ).flatMap((p) => p.Properties.Roles);
}

describe('the alert channels subscriber', () => {
  it('subscribes to the alert topic, unfiltered (the function applies each channel’s floor)', () => {
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'lambda',
      TopicArn: { Ref: logicalIdOf(stack, stack.alerts.topic) },
      Endpoint: { 'Fn::GetAtt': [subscriberId, 'Arn'] },
      FilterPolicy: Match.absent(),
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'sns.amazonaws.com',
      FunctionName: { 'Fn::GetAtt': [subscriberId, 'Arn'] },
      SourceArn: { Ref: logicalIdOf(stack, stack.alerts.topic) },
    });
  });

  it('is never retried, runs on Node 22 within a minute, and names each channel’s secret', () => {
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: subscriberId },
      MaximumRetryAttempts: 0,
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Timeout: 60,
      Environment: {
        Variables: Match.objectLike({
          CONFIG_PATH: 'botfolio.config.json',
          ALERT_CHANNEL_SECRET_ARN_TELEGRAM: {
            Ref: Match.stringLikeRegexp('^AlertChannelstelegram'),
          },
          ALERT_CHANNEL_SECRET_ARN_OPS_DISCORD: {
            Ref: Match.stringLikeRegexp('^AlertChannelsopsdiscord'),
          },
          ALERT_CHANNEL_SECRET_ARN_WEBHOOK: {
            Ref: Match.stringLikeRegexp('^AlertChannelswebhook'),
          },
        }),
      },
    });
  });

  it('creates one retained secret per channel, beside the exchange key, with placeholders to fill', () => {
    // Prepare
    const telegram = new Capture();
    const discord = new Capture();
    const webhook = new Capture();
    // Assess: the exchange key and three channels
    template.resourceCountIs('AWS::SecretsManager::Secret', 4);
    template.hasResource('AWS::SecretsManager::Secret', {
      Properties: { Name: 'botfolio/main/alerts/telegram', SecretString: telegram },
      DeletionPolicy: 'Retain',
    });
    template.hasResource('AWS::SecretsManager::Secret', {
      Properties: { Name: 'botfolio/main/alerts/ops_discord', SecretString: discord },
      DeletionPolicy: 'Retain',
    });
    expect(JSON.parse(telegram.asString())).toEqual({ botToken: 'REPLACE_ME' });
    expect(JSON.parse(discord.asString())).toEqual({ webhookUrl: 'REPLACE_ME' });
    // The webhook's signing key is generated; its URL (not in the config) is to fill
    template.hasResource('AWS::SecretsManager::Secret', {
      Properties: {
        Name: 'botfolio/main/alerts/webhook',
        GenerateSecretString: Match.objectLike({
          SecretStringTemplate: webhook,
          GenerateStringKey: 'signingKey',
          PasswordLength: 64,
        }),
      },
      DeletionPolicy: 'Retain',
    });
    expect(JSON.parse(webhook.asString())).toEqual({ url: 'REPLACE_ME' });
  });

  it('is the only reader of the channels’ secrets, and reads no exchange key', () => {
    for (const id of [
      '^AlertChannelstelegram',
      '^AlertChannelsopsdiscord',
      '^AlertChannelswebhook',
    ]) {
      expect(readersOf(template, id)).toEqual([roleOf(channels.function)]);
    }
    expect(readersOf(template, '^ExchangeSecretsbitget')).not.toContainEqual(
      roleOf(channels.function),
    );
  });

  it('may not publish to the topic it reads, nor touch the tables', () => {
    // Act
    const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((p) =>
      (p.Properties.Roles as unknown[]).some(
        (r) => JSON.stringify(r) === JSON.stringify(roleOf(channels.function)),
      ),
    );
    const actions = policies.flatMap((p) =>
      (p.Properties.PolicyDocument.Statement as { Action: string | string[] }[]).flatMap((s) =>
        Array.isArray(s.Action) ? s.Action : [s.Action],
      ),
    );
    // Assess
    expect(actions.filter((a) => a.startsWith('sns:') || a.startsWith('dynamodb:'))).toEqual([]);
  });

  it('passes cdk-nag AwsSolutions', () => {
    // Act
    const report = new AwsSolutionsChecks().validateScope(stack);
    // Assess
    expect(
      report.violations.map(
        (v) => `${v.severity} ${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath)}`,
      ),
    ).toEqual([]);
  });

  it('is not created without channels', () => {
    // Act
    const { stack: plain, template: t } = synthesize();
    // Assess
    expect(plain.alertChannels).toBeUndefined();
    t.resourceCountIs('AWS::SNS::Subscription', 3); // the example's two emails and one SMS
    t.resourcePropertiesCountIs('AWS::SNS::Subscription', { Protocol: 'lambda' }, 0);
    t.resourceCountIs('AWS::SecretsManager::Secret', 1);
  });

  it('bundles slim: no exchange adapter, no ccxt', async () => {
    // Act: esbuild with the stack's options
    const result = await build({
      ...ESBUILD_OPTIONS,
      mainFields: [...ESBUILD_OPTIONS.mainFields],
      external: [...ESBUILD_OPTIONS.external],
      entryPoints: [HANDLER_ENTRIES.alertChannels],
      write: false,
      metafile: true,
      outfile: 'index.mjs',
    });
    // Assess
    const inputs = Object.keys(result.metafile.inputs);
    expect(
      inputs.filter((i) => /ccxt|adapters\/(bitget|binance|okx|bybit|paper)\//.test(i)),
    ).toEqual([]);
    expect(result.outputFiles[0]?.contents.length).toBeLessThan(400_000);
  });
});
