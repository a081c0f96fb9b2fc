/**
 * The Lambda composition (functions/handlers/aws.ts) wires Bitget in: the master key from the
 * secret the stack names in EXCHANGE_SECRET_ARN_BITGET, the circuit breaker in the state table,
 * alerts to SNS. Run with the real AWS SDK clients against local stand-ins (dynalite, and a small
 * Secrets Manager + SNS endpoint): a secret still holding the deploy-time placeholders is "not
 * configured", refused before any call to Bitget, and raises a critical `auth_failed` alert.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AuthenticationFailedError } from '../../../functions/core/errors.ts';
import { type EmbeddedDynamo, startEmbeddedDynamo } from '../../../functions/local/dynamo.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:botfolio/main/bitget-x';
const TOPIC_ARN = 'arn:aws:sns:us-east-1:000000000000:botfolio-alerts';

/** What the stand-in endpoint was asked: secret reads, and the parameters of each SNS Publish. */
const asked = { secretReads: 0, published: [] as URLSearchParams[] };

/** Secrets Manager (JSON 1.1) and SNS (query protocol) on one local port. */
function awsStandIn(): Server {
  return createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      if (req.headers['x-amz-target'] === 'secretsmanager.GetSecretValue') {
        asked.secretReads++;
        // What the stack's secret holds after deploy, before the operator fills it in.
        const secret = { apiKey: 'REPLACE_ME', passphrase: 'REPLACE_ME', secret: 'Gq7randomValue' };
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(
          JSON.stringify({
            ARN: SECRET_ARN,
            Name: 'botfolio/main/bitget',
            SecretString: JSON.stringify(secret),
          }),
        );
        return;
      }
      const params = new URLSearchParams(body);
      if (params.get('Action') === 'Publish') {
        asked.published.push(params);
        res.writeHead(200, { 'content-type': 'text/xml' });
        res.end(
          '<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>m-1</MessageId></PublishResult><ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></PublishResponse>',
        );
        return;
      }
      res.writeHead(400).end();
    });
  });
}

let dynamo: EmbeddedDynamo;
let standIn: Server;

beforeAll(async () => {
  dynamo = await startEmbeddedDynamo();
  standIn = awsStandIn();
  await new Promise<void>((resolve) => standIn.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(standIn.address() as AddressInfo).port}`;
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
  await new Promise((resolve) => standIn.close(resolve));
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
    expect(asked.secretReads).toBe(2);
    expect(asked.published).toHaveLength(1);
    const publish = asked.published[0];
    expect(publish?.get('TopicArn')).toBe(TOPIC_ARN);
    expect(JSON.parse(publish?.get('Message') ?? '{}')).toMatchObject({
      code: 'auth_failed',
      severity: 'critical',
      portfolioId: 'main',
    });
  });
});
