/**
 * The AWS composition shared by the handlers: SDK clients, the store, the alerter and the
 * exchanges, built once per container at module scope.
 */
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
import { loadBundledConfig, requireEnv } from './env.ts';

export const config: Config = loadBundledConfig();

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
 */
export const exchanges = new Map<string, Exchange>();
const secrets = new SecretsManagerClient({});
for (const name of config.exchanges.keys()) {
  if (!isRealExchange(name)) continue;
  const adapter = await realExchange(name, config, {
    key: secretsManagerKey(secrets, requireEnv(secretArnEnvName(name)), needsPassphrase(name)),
  });
  exchanges.set(
    name,
    withCircuitBreaker(adapter, {
      store: new DynamoBreakerStore(dynamo, stateTable, config.portfolioId),
      alerter,
      portfolioId: config.portfolioId,
      onBookkeepingError: (error) =>
        console.error(
          JSON.stringify({
            level: 'error',
            message: 'circuit breaker bookkeeping failed',
            error: String(error),
          }),
        ),
    }),
  );
}
