/**
 * The AWS composition shared by the handlers: SDK clients, the logger, the store, the alerter and
 * the exchanges, built once per container at module scope.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import { DynamoBreakerStore } from '../adapters/dynamodb/breaker.ts';
import { dynamoStores } from '../adapters/dynamodb/store.ts';
import {
  PERFORMANCE_TABLE,
  STATE_TABLE,
  TRANSACTIONS_TABLE,
  tableEnvName,
} from '../adapters/dynamodb/tables.ts';
import { EmfMetrics } from '../adapters/emf.ts';
import { isRealExchange, realExchange } from '../adapters/exchanges.ts';
import { needsPassphrase, secretArnEnvName, secretsManagerKey } from '../adapters/secrets.ts';
import { SnsAlerter } from '../adapters/sns.ts';
import type { Config } from '../core/config.ts';
import type { Exchange } from '../core/ports.ts';
import { withCooldown } from '../usecases/alerting.ts';
import { withCircuitBreaker } from '../usecases/breaker.ts';
import { loadBundledConfig, optionalEnv, requireEnv, TEST_EXCHANGE_URL_ENV } from './env.ts';

export const config: Config = loadBundledConfig();

/**
 * Structured JSON logs (Powertools for AWS Lambda): every line carries the portfolio; a handler
 * adds the cycle id or the transfer id it works on as keys.
 */
export const logger = new Logger({
  serviceName: 'botfolio',
  persistentKeys: { portfolioId: config.portfolioId },
});

const dynamo = new DynamoDBClient({});
const stateTable = requireEnv(tableEnvName(STATE_TABLE));

/** Every store of the portfolio, over the stack's three tables. */
export const stores = dynamoStores(dynamo, {
  state: stateTable,
  performance: requireEnv(tableEnvName(PERFORMANCE_TABLE)),
  transactions: requireEnv(tableEnvName(TRANSACTIONS_TABLE)),
});

export const alerter = withCooldown(
  new SnsAlerter(new SNSClient({}), requireEnv('ALERT_TOPIC_ARN')),
  stores.cooldowns,
  config.alertCooldownMs,
  () => new Date(),
);

export const metrics = new EmfMetrics();

/**
 * Exchange adapters by config name, each behind its circuit breaker (state in the `state` table,
 * so it holds across invocations). Each master key is read from its exchange's secret on the
 * first call and kept for the container's life. The paper exchange is a local venue: not wired.
 * Only a test deploy points them at another API (a fake exchange on 127.0.0.1).
 */
export const exchanges = new Map<string, Exchange>();
const secrets = new SecretsManagerClient({});
const testExchangeUrl = optionalEnv(TEST_EXCHANGE_URL_ENV);
for (const name of config.exchanges.keys()) {
  if (!isRealExchange(name)) continue;
  const adapter = await realExchange(name, config, {
    key: secretsManagerKey(secrets, requireEnv(secretArnEnvName(name)), needsPassphrase(name)),
    ...(testExchangeUrl !== undefined && { apiUrl: testExchangeUrl }),
  });
  exchanges.set(
    name,
    withCircuitBreaker(adapter, {
      store: new DynamoBreakerStore(dynamo, stateTable, config.portfolioId),
      alerter,
      portfolioId: config.portfolioId,
      onBookkeepingError: (error) =>
        logger.error('circuit breaker bookkeeping failed', { error: String(error) }),
    }),
  );
}
