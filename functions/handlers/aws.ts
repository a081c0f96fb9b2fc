/**
 * The AWS composition shared by the handlers: SDK clients, the store, the alerter and the
 * exchanges, built once per container at module scope.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { DynamoStore } from '../adapters/dynamodb/store.ts';
import {
  PERFORMANCE_TABLE,
  STATE_TABLE,
  TRANSACTIONS_TABLE,
  tableEnvName,
} from '../adapters/dynamodb/tables.ts';
import { EmfMetrics } from '../adapters/emf.ts';
import { SnsAlerter } from '../adapters/sns.ts';
import type { Config } from '../core/config.ts';
import type { Exchange } from '../core/ports.ts';
import { withCooldown } from '../usecases/alerting.ts';
import { loadBundledConfig, requireEnv } from './env.ts';

export const config: Config = loadBundledConfig();

export const store = new DynamoStore(new DynamoDBClient({}), {
  state: requireEnv(tableEnvName(STATE_TABLE)),
  performance: requireEnv(tableEnvName(PERFORMANCE_TABLE)),
  transactions: requireEnv(tableEnvName(TRANSACTIONS_TABLE)),
});

export const alerter = withCooldown(
  new SnsAlerter(new SNSClient({}), requireEnv('ALERT_TOPIC_ARN')),
  store,
  config.alertCooldownMs,
  () => new Date(),
);

export const metrics = new EmfMetrics();

/** Exchange adapters by config name. Bitget (through ccxt) is the live venue; it is wired in with its adapter. */
export const exchanges = new Map<string, Exchange>();
