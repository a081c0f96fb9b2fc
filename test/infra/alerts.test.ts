import { Capture, Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { SECRET_PLACEHOLDER } from '../../lib/exchange-secrets.ts';
import { ALERT_EMAILS, ALERT_SMS, exampleConfigJson, logicalIdOf, synthesize } from './support.ts';

// Prepare (once for the file)
const { stack, template } = synthesize();
const topicId = logicalIdOf(stack, stack.alerts.topic);
const keyId = logicalIdOf(stack, stack.alerts.key);

describe('alert topic', () => {
  it('is encrypted with a rotated key of the stack', () => {
    // Assess
    template.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] },
    });
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  it('refuses publishing without TLS', () => {
    // Assess
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: topicId }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  it('lets CloudWatch alarms use the key', () => {
    // Assess
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          }),
        ]),
      },
    });
  });

  it('subscribes every alert email address, unfiltered', () => {
    // Assess
    for (const email of ALERT_EMAILS) {
      template.hasResourceProperties('AWS::SNS::Subscription', {
        Protocol: 'email',
        Endpoint: email,
        TopicArn: { Ref: topicId },
        FilterPolicy: Match.absent(),
      });
    }
  });

  it('sends only critical alerts by SMS', () => {
    // Assess
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'sms',
      Endpoint: ALERT_SMS[0],
      TopicArn: { Ref: topicId },
      FilterPolicy: { severity: ['critical'] },
      FilterPolicyScope: Match.absent(),
    });
  });

  it('builds no subscription without alert destinations', () => {
    // Act
    const { template: t } = synthesize({ props: { alertEmails: [], alertSms: [] } });
    // Assess
    t.resourceCountIs('AWS::SNS::Subscription', 0);
  });
});

describe('exchange secrets', () => {
  it('creates one retained secret per keyed exchange, with placeholders to fill', () => {
    // Prepare
    const secretTemplate = new Capture();
    // Assess
    template.resourceCountIs('AWS::SecretsManager::Secret', 1);
    template.hasResource('AWS::SecretsManager::Secret', {
      Properties: {
        Name: 'botfolio/main/bitget',
        GenerateSecretString: Match.objectLike({
          SecretStringTemplate: secretTemplate,
          GenerateStringKey: 'secret',
        }),
      },
      DeletionPolicy: 'Retain',
    });
    expect(JSON.parse(secretTemplate.asString())).toEqual({
      apiKey: SECRET_PLACEHOLDER,
      passphrase: SECRET_PLACEHOLDER,
    });
  });

  it('lets only the functions that call the exchange read it: cycle, transfer step, reconcile', () => {
    // Act
    const readers = Object.values(
      template.findResources('AWS::IAM::Policy', {
        Properties: {
          PolicyDocument: {
            Statement: Match.arrayWith([
              Match.objectLike({
                Action: Match.arrayWith(['secretsmanager:GetSecretValue']),
                Resource: { Ref: Match.stringLikeRegexp('^ExchangeSecretsbitget') },
              }),
            ]),
          },
        },
      }),
    ).flatMap((p) => p.Properties.Roles);
    // Assess
    const roleId = (fn: typeof stack.transferStep) => {
      if (!fn.role) throw new Error('function without role');
      return { Ref: logicalIdOf(stack, fn.role) };
    };
    expect(readers).toEqual(
      expect.arrayContaining([
        roleId(stack.cycle.function),
        roleId(stack.transferStep),
        roleId(stack.reconcile.function),
      ]),
    );
    expect(readers).toHaveLength(3);
  });

  it('creates a Binance secret without a passphrase, named in the functions’ environment', () => {
    // Prepare: the example's bots on Binance, named by their sub-accounts' emails
    const json = exampleConfigJson();
    const binance = {
      ...json,
      exchanges: { binance: (json.exchanges as Record<string, unknown>).bitget },
      bots: (json.bots as Record<string, unknown>[]).map((b, i) => ({
        ...b,
        exchange: 'binance',
        account: `bot${i}_virtual@example.com`,
      })),
    };
    const secretTemplate = new Capture();
    // Act
    const { template: t } = synthesize({ configJson: binance });
    // Assess
    t.hasResourceProperties('AWS::SecretsManager::Secret', {
      Name: 'botfolio/main/binance',
      GenerateSecretString: Match.objectLike({ SecretStringTemplate: secretTemplate }),
    });
    expect(JSON.parse(secretTemplate.asString())).toEqual({ apiKey: SECRET_PLACEHOLDER });
    t.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          EXCHANGE_SECRET_ARN_BINANCE: { Ref: Match.stringLikeRegexp('^ExchangeSecretsbinance') },
        }),
      },
    });
  });

  it('creates none for the paper exchange, which has no key', () => {
    // Prepare
    const json = exampleConfigJson();
    const paper = {
      ...json,
      exchanges: { paper: (json.exchanges as Record<string, unknown>).bitget },
      bots: (json.bots as Record<string, unknown>[]).map((b) => ({ ...b, exchange: 'paper' })),
    };
    // Act
    const { template: t } = synthesize({ configJson: paper });
    // Assess
    t.resourceCountIs('AWS::SecretsManager::Secret', 0);
  });
});
