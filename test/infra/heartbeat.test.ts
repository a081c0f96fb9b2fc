/**
 * The heartbeat endpoint in the template: a function URL (auth NONE: the HMAC is the
 * authentication), a slim function that may only read and update state items and read the
 * heartbeat secret, and cdk-nag passing with the reason recorded.
 */
import { Match } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { HEARTBEAT_TABLE_ACTIONS } from '../../lib/heartbeat.ts';
import { exampleConfigJson, logicalIdOf, synthesize } from './support.ts';

const withHeartbeats = () => {
  const json = exampleConfigJson() as { bots: Record<string, unknown>[] };
  for (const [i, bot] of json.bots.entries()) {
    if (i === 0) bot.health = { heartbeat: true };
    if (i === 1)
      bot.health = {
        freqtrade: {
          url: 'https://ft.example.com',
          user: 'botfolio',
          password_secret: 'botfolio/ft/swing',
        },
      };
  }
  return json;
};

describe('the heartbeat endpoint', () => {
  const { stack, template } = synthesize({ configJson: withHeartbeats() });
  const endpoint = stack.heartbeat;
  if (!endpoint) throw new Error('no heartbeat endpoint');
  const fnId = logicalIdOf(stack, endpoint.function);

  it('is a function URL of auth type NONE on its own function', () => {
    template.hasResourceProperties('AWS::Lambda::Url', {
      AuthType: 'NONE',
      TargetFunctionArn: { 'Fn::GetAtt': [fnId, 'Arn'] },
    });
    template.hasOutput('HeartbeatUrl', {});
  });

  it('runs on Node 22, arm64, with the state table and the heartbeat secret in its environment', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Timeout: 5,
      Environment: {
        Variables: Match.objectLike({
          STATE_TABLE_NAME: Match.anyValue(),
          HEARTBEAT_SECRET_ARN: Match.anyValue(),
        }),
      },
      Description: Match.stringLikeRegexp('heartbeat'),
    });
  });

  it('may only read and update items of the state table, and read its secret', () => {
    const policies = template.findResources('AWS::IAM::Policy', {
      Properties: { Roles: [{ Ref: logicalIdOf(stack, endpoint.function.role as never) }] },
    });
    const statements = Object.values(policies).flatMap(
      (p) =>
        p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[],
    );
    const actions = statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
    const dynamo = actions.filter((a) => a.startsWith('dynamodb:')).sort();
    expect(dynamo).toEqual([...HEARTBEAT_TABLE_ACTIONS].sort());
    expect(actions).not.toContain('dynamodb:DeleteItem');
    expect(actions).not.toContain('dynamodb:PutItem');
    expect(actions.filter((a) => a.startsWith('secretsmanager:')).sort()).toEqual([
      'secretsmanager:DescribeSecret',
      'secretsmanager:GetSecretValue',
    ]);
    const tableId = logicalIdOf(stack, stack.storage.state as never);
    const dynamoResources = statements.filter((s) =>
      JSON.stringify(s.Action).includes('dynamodb:'),
    );
    expect(JSON.stringify(dynamoResources.map((s) => s.Resource))).toBe(
      JSON.stringify([{ 'Fn::GetAtt': [tableId, 'Arn'] }]),
    );
  });

  it('lets the cycle read the Freqtrade password secret its config names', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: Match.arrayWith(['secretsmanager:GetSecretValue']),
            Resource: Match.objectLike({
              'Fn::Join': Match.arrayWith([
                Match.arrayWith([
                  Match.stringLikeRegexp('secret:botfolio/ft/swing-\\?\\?\\?\\?\\?\\?'),
                ]),
              ]),
            }),
          }),
        ]),
      },
    });
  });

  it('passes cdk-nag, the open URL acknowledged with its reason', () => {
    const report = new AwsSolutionsChecks().validateScope(stack);
    expect(
      report.violations.map(
        (v) => `${v.severity} ${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath)}`,
      ),
    ).toEqual([]);
  });

  it('is not built for a config whose bots send no heartbeats', () => {
    const plain = synthesize();
    expect(plain.stack.heartbeat).toBeUndefined();
    plain.template.resourceCountIs('AWS::Lambda::Url', 0);
  });
});
