/** `botfolio serve`'s endpoint on 127.0.0.1, over HTTP, on the real store (dynalite). */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynamoStores } from '../../functions/adapters/dynamodb/store.ts';
import {
  envHeartbeatSecrets,
  heartbeatSecretEnvName,
} from '../../functions/adapters/health-secrets.ts';
import { MAX_BODY_BYTES } from '../../functions/core/heartbeat.ts';
import type { Stores } from '../../functions/core/store-ports.ts';
import { type EmbeddedDynamo, startEmbeddedDynamo } from '../../functions/local/dynamo.ts';
import {
  type RunningHeartbeatServer,
  startHeartbeatServer,
} from '../../functions/local/heartbeat-server.ts';
import { signHeartbeat } from '../../functions/usecases/heartbeat.ts';
import { specConfig } from '../core/fixtures.ts';

const BOT = '15m_momentum_eth';
const SECRET = 's3cret';
const config = specConfig({ 'bots[3].health': { heartbeat: true } });

let dynamo: EmbeddedDynamo;
let stores: Stores;
let server: RunningHeartbeatServer;
beforeAll(async () => {
  dynamo = await startEmbeddedDynamo();
  stores = dynamoStores(dynamo.client, dynamo.tableNames);
  const secretOf = envHeartbeatSecrets(config, { [heartbeatSecretEnvName(BOT)]: SECRET });
  server = await startHeartbeatServer({
    port: 0,
    withDeps: (fn) =>
      fn({ config, heartbeats: stores.heartbeats, secretOf, now: () => new Date() }),
  });
});
afterAll(async () => {
  await server.close();
  await dynamo.close();
});

/** One request; `chunked` sends the body without a content-length. */
function post(
  path: string,
  body: Buffer,
  headers: Record<string, string> = {},
  opts: { method?: string; chunked?: boolean } = {},
): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${server.url}${path}`,
      {
        method: opts.method ?? 'POST',
        headers: {
          'content-type': 'application/json',
          ...(!opts.chunked && { 'content-length': String(body.byteLength) }),
          ...headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown = text;
          try {
            json = JSON.parse(text);
          } catch {}
          resolve({ status: res.statusCode ?? 0, json });
        });
      },
    );
    req.on('error', reject);
    if (opts.chunked) {
      for (let i = 0; i < body.byteLength; i += 1024) req.write(body.subarray(i, i + 1024));
      req.end();
    } else req.end(body);
  });
}

const heartbeat = () =>
  Buffer.from(JSON.stringify({ bot_id: BOT, status: 'running', errors: 0, ts: Date.now() / 1000 }));

describe('botfolio serve', () => {
  it('takes a signed heartbeat on POST /heartbeat', async () => {
    const body = heartbeat();
    const res = await post('/heartbeat', body, {
      'x-botfolio-signature': signHeartbeat(SECRET, body),
    });
    expect(res).toEqual({ status: 200, json: { ok: true, bot_id: BOT } });
    expect((await stores.heartbeats.healthFacts(config.portfolioId)).get(BOT)?.push?.status).toBe(
      'running',
    );
  });

  it('refuses an unsigned one with 401', async () => {
    expect((await post('/heartbeat', heartbeat())).status).toBe(401);
  });

  it('refuses a body over the limit with 413, declared or streamed', async () => {
    const big = Buffer.alloc(MAX_BODY_BYTES + 1, 0x20);
    expect(
      (await post('/heartbeat', big, { 'x-botfolio-signature': signHeartbeat(SECRET, big) }))
        .status,
    ).toBe(413);
    const huge = Buffer.alloc(64 * 1024, 0x20);
    expect((await post('/heartbeat', huge, {}, { chunked: true })).status).toBe(413);
  });

  it('answers nothing else: 405 for another method, 404 for another path', async () => {
    expect((await post('/heartbeat', Buffer.alloc(0), {}, { method: 'GET' })).status).toBe(405);
    expect((await post('/other', heartbeat())).status).toBe(404);
  });
});
