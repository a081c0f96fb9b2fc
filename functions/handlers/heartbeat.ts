/**
 * Lambda entry point of `POST /heartbeat` behind the function URL (DESIGN.md §11): translate the
 * URL's event into the use case's request and its answer back. Slim on purpose — no exchange, no
 * ccxt: only the state table and the bots' heartbeat secrets. The HMAC is the authentication,
 * so the URL itself is open (auth type NONE).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { dynamoHeartbeatStore } from '../adapters/dynamodb/heartbeats.ts';
import { STATE_TABLE, tableEnvName } from '../adapters/dynamodb/tables.ts';
import {
  HEARTBEAT_SECRET_ARN_ENV,
  secretsManagerHeartbeatSecrets,
} from '../adapters/health-secrets.ts';
import { MAX_BODY_BYTES, SIGNATURE_HEADER } from '../core/heartbeat.ts';
import { type HeartbeatResponse, receiveHeartbeat } from '../usecases/heartbeat.ts';
import { loadBundledConfig, requireEnv } from './env.ts';

/** The part of a Lambda function URL event this handler reads. */
export interface FunctionUrlEvent {
  readonly body?: string;
  readonly isBase64Encoded?: boolean;
  readonly headers?: Readonly<Record<string, string | undefined>>;
  readonly requestContext?: {
    readonly http?: { readonly method?: string; readonly path?: string };
  };
}

export interface FunctionUrlResult {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

const config = loadBundledConfig();
const logger = new Logger({
  serviceName: 'botfolio',
  persistentKeys: { portfolioId: config.portfolioId },
});
const heartbeats = dynamoHeartbeatStore(
  new DynamoDBClient({}),
  requireEnv(tableEnvName(STATE_TABLE)),
);
const secretOf = secretsManagerHeartbeatSecrets(
  new SecretsManagerClient({}),
  requireEnv(HEARTBEAT_SECRET_ARN_ENV),
);

const result = (statusCode: number, body: HeartbeatResponse['body']): FunctionUrlResult => ({
  statusCode,
  headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
  body: JSON.stringify(body),
});

export async function handler(event: FunctionUrlEvent): Promise<FunctionUrlResult> {
  const http = event.requestContext?.http;
  if (http?.path !== '/heartbeat')
    return result(404, { ok: false, error: 'not found: POST /heartbeat' });
  if (http.method !== 'POST') return result(405, { ok: false, error: 'POST only' });
  const raw = event.body ?? '';
  // Bounded before decoding: a base64 body of more than 4/3 of the limit is surely too long.
  if (raw.length > Math.ceil((MAX_BODY_BYTES * 4) / 3) + 4) {
    return result(413, { ok: false, error: `body over ${MAX_BODY_BYTES} bytes` });
  }
  const body = Buffer.from(raw, event.isBase64Encoded ? 'base64' : 'utf8');
  const answer = await receiveHeartbeat(
    { config, heartbeats, secretOf, now: () => new Date() },
    { body, signature: event.headers?.[SIGNATURE_HEADER] },
  );
  logger.info('heartbeat', {
    status: answer.status,
    botId: answer.body.bot_id,
    error: answer.body.error,
  });
  return result(answer.status, answer.body);
}
