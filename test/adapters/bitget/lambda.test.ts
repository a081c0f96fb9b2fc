/**
 * The Lambda composition (functions/handlers/aws.ts) wires Bitget in: the master key from the
 * secret the stack names in EXCHANGE_SECRET_ARN_BITGET, the circuit breaker in the state table,
 * alerts to SNS. Run with the real AWS SDK clients against local stand-ins (dynalite, and a small
 * Secrets Manager + SNS endpoint): a secret still holding the deploy-time placeholders is "not
 * configured", refused before any call to Bitget, and raises a critical `auth_failed` alert.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AuthenticationFailedError } from '../../../functions/core/errors.ts';
import { type EmbeddedDynamo, startEmbeddedDynamo } from '../../../functions/local/dynamo.ts';
import { type AwsStandIn, startAwsStandIn } from '../../helpers/aws-stand-in.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:botfolio/main/bitget-x';
const TOPIC_ARN = 'arn:aws:sns:us-east-1:000000000000:botfolio-alerts';

let dynamo: EmbeddedDynamo;
let standIn: AwsStandIn;

beforeAll(async () => {
  dynamo = await startEmbeddedDynamo();
  // What the stack's secret holds after deploy, before the operator fills it in.
  standIn = await startAwsStandIn({
    arn: SECRET_ARN,
    name: 'botfolio/main/bitget',
    value: { apiKey: 'REPLACE_ME', passphrase: 'REPLACE_ME', secret: 'Gq7randomValue' },
  });
  const endpoint = standIn.url;
  const env: Record<string, string> = {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: endpoint,
    AWS_ENDPOINT_URL_SNS: endpoint,
    LAMBDA_TASK_ROOT: ROOT,
    CONFIG_PATH: 'examples/spec-portfolio.json',
    STATE_TABLE_NAME: dynamo.tableNames.state,
    PERFORMANCE_TABLE_NAME: dynamo.tableNames.performance,
    TRANSACTIONS_TABLE_NAME: dynamo.tableNames.transactions,
    ALERT_TOPIC_ARN: TOPIC_ARN,
    EXCHANGE_SECRET_ARN_BITGET: SECRET_ARN,
  };
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await standIn.close();
  await dynamo.close();
});

describe('the Lambda composition', () => {
  it('wires Bitget, refuses a placeholder key as auth_failed, and alerts once through SNS', async () => {
    // Prepare
    const { exchanges } = await import('../../../functions/handlers/aws.ts');
    const bitget = exchanges.get('bitget');
    // Act
    const first = bitget?.masterBalance('USDT');
    await expect(first).rejects.toThrow(AuthenticationFailedError);
    await expect(bitget?.subAccountBalances(['6712345678'], 'USDT')).rejects.toThrow(/REPLACE_ME/);
    // Assess: the secret is read again (a refusal is not cached), the alert sent once (cooldown)
    expect(bitget?.name).toBe('bitget');
    expect(standIn.asked.secretReads).toBe(2);
    expect(standIn.asked.published).toHaveLength(1);
    const publish = standIn.asked.published[0];
    expect(publish?.get('TopicArn')).toBe(TOPIC_ARN);
    expect(JSON.parse(publish?.get('Message') ?? '{}')).toMatchObject({
      code: 'auth_failed',
      severity: 'critical',
      portfolioId: 'main',
    });
  });
});
