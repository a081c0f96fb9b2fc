/**
 * `POST /heartbeat` on the real store (dynalite): a signed heartbeat is taken, and every bad one
 * gets its status code and leaves the store as it was.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { dynamoStores } from '../../functions/adapters/dynamodb/store.ts';
import {
  envHeartbeatSecrets,
  heartbeatSecretEnvName,
} from '../../functions/adapters/health-secrets.ts';
import { judgeFleet } from '../../functions/core/health.ts';
import { MAX_BODY_BYTES, RATE_LIMIT } from '../../functions/core/heartbeat.ts';
import type { HeartbeatStore } from '../../functions/core/store-ports.ts';
import { type EmbeddedDynamo, startEmbeddedDynamo } from '../../functions/local/dynamo.ts';
import {
  type HeartbeatDeps,
  receiveHeartbeat,
  signHeartbeat,
} from '../../functions/usecases/heartbeat.ts';
import { specConfig } from '../core/fixtures.ts';

const BOT = '15m_momentum_eth';
const SECRET = 'bot-secret-of-momentum';
const NOW = Date.parse('2026-11-20T12:00:00Z');
const config = specConfig({
  'bots[3].health': { heartbeat: true },
  'bots[2].health': { heartbeat: true },
});
const env = { [heartbeatSecretEnvName(BOT)]: SECRET };

let dynamo: EmbeddedDynamo;
let heartbeats: HeartbeatStore;
let clock = NOW;
let deps: HeartbeatDeps;
beforeAll(async () => {
  dynamo = await startEmbeddedDynamo();
});
afterAll(async () => {
  await dynamo.close();
});
let run = 0;
beforeEach(() => {
  // A portfolio of its own per test: nothing carries over.
  run += 1;
  const cfg = { ...config, portfolioId: `hb${run}` };
  heartbeats = dynamoStores(dynamo.client, dynamo.tableNames).heartbeats;
  clock = NOW;
  deps = {
    config: cfg,
    heartbeats,
    secretOf: envHeartbeatSecrets(cfg, env),
    now: () => new Date(clock),
  };
});

const bodyOf = (fields: Record<string, unknown>) =>
  Buffer.from(
    JSON.stringify({ bot_id: BOT, status: 'running', errors: 0, ts: clock / 1000, ...fields }),
  );
const send = (body: Buffer, signature: string | undefined = signHeartbeat(SECRET, body)) =>
  receiveHeartbeat(deps, { body, signature });
const stored = async () => (await heartbeats.healthFacts(deps.config.portfolioId)).get(BOT);

describe('a heartbeat', () => {
  it('signed by the bot, fresh, is taken: the bot is running', async () => {
    const answer = await send(bodyOf({}));
    expect(answer).toEqual({ status: 200, body: { ok: true, bot_id: BOT } });
    const facts = await heartbeats.healthFacts(deps.config.portfolioId);
    expect(judgeFleet(deps.config, facts, clock).get(BOT)?.status).toBe('running');
  });

  it('with a forged signature is 401 and changes nothing', async () => {
    const body = bodyOf({});
    const answer = await send(body, signHeartbeat('not-the-secret', body));
    expect(answer.status).toBe(401);
    expect(answer.body.error).toContain('bad signature');
    expect(await stored()).toBeUndefined();
  });

  it('signed over another body is 401 and changes nothing', async () => {
    const answer = await send(
      bodyOf({ status: 'running' }),
      signHeartbeat(SECRET, bodyOf({ status: 'error' })),
    );
    expect(answer.status).toBe(401);
    expect(await stored()).toBeUndefined();
  });

  it('unsigned is 401 and changes nothing', async () => {
    const body = bodyOf({});
    expect((await receiveHeartbeat(deps, { body, signature: undefined })).status).toBe(401);
    expect((await receiveHeartbeat(deps, { body, signature: '' })).status).toBe(401);
    expect(await stored()).toBeUndefined();
  });

  it('replayed is 401 and changes nothing', async () => {
    const body = bodyOf({});
    expect((await send(body)).status).toBe(200);
    const before = await stored();
    clock += 5_000;
    const answer = await send(body);
    expect(answer.status).toBe(401);
    expect(answer.body.error).toContain('replayed');
    expect(await stored()).toEqual(before);
  });

  it('older than the last one taken is 401 (out of order) and changes nothing', async () => {
    const older = bodyOf({ ts: (clock - 10_000) / 1000 });
    expect((await send(bodyOf({}))).status).toBe(200);
    const before = await stored();
    expect((await send(older)).status).toBe(401);
    expect(await stored()).toEqual(before);
  });

  it('with a ts outside ±60 s of the server’s clock is 401 and changes nothing', async () => {
    for (const ts of [(NOW - 61_000) / 1000, (NOW + 61_000) / 1000]) {
      const answer = await send(bodyOf({ ts }));
      expect(answer.status).toBe(401);
      expect(answer.body.error).toContain('clock');
    }
    expect(await stored()).toBeUndefined();
  });

  it(`longer than ${MAX_BODY_BYTES} bytes is 413 and changes nothing`, async () => {
    const answer = await send(bodyOf({ pad: 'x'.repeat(MAX_BODY_BYTES) }));
    expect(answer.status).toBe(413);
    expect(await stored()).toBeUndefined();
  });

  it('of a bot not configured for heartbeats is 401 and changes nothing', async () => {
    for (const bot of ['no_such_bot', '1h_lorentzian_sol']) {
      const body = bodyOf({ bot_id: bot });
      const answer = await send(body);
      expect(answer.status).toBe(401);
      expect(answer.body.error).toContain('does not send heartbeats');
      expect((await heartbeats.healthFacts(deps.config.portfolioId)).get(bot)).toBeUndefined();
    }
  });

  it('of a heartbeat bot without a secret is 401 and changes nothing', async () => {
    const body = bodyOf({ bot_id: '5m_scalping_sol' });
    const answer = await send(body, signHeartbeat('', body));
    expect(answer.status).toBe(401);
    expect(answer.body.error).toContain('no heartbeat secret');
  });

  it('that is not JSON, or has bad fields, is 400 and changes nothing', async () => {
    expect((await send(Buffer.from('not json'))).status).toBe(400);
    const bad = await send(bodyOf({ status: 'sleeping', errors: -1 }));
    expect(bad.status).toBe(400);
    expect(bad.body.error).toContain('status');
    expect(await stored()).toBeUndefined();
  });

  it(`past ${RATE_LIMIT} a minute is 429 and changes nothing`, async () => {
    for (let i = 0; i < RATE_LIMIT; i++) {
      clock += 1_000;
      expect((await send(bodyOf({}))).status).toBe(200);
    }
    const before = await stored();
    clock += 1_000;
    expect((await send(bodyOf({}))).status).toBe(429);
    expect(await stored()).toEqual(before);
    // A new minute: taken again.
    clock += 60_000;
    expect((await send(bodyOf({}))).status).toBe(200);
  });

  it('raced by another of the same bot is taken once: the store’s conditional write decides', async () => {
    const a = send(bodyOf({ ts: clock / 1000 }));
    const b = send(bodyOf({ ts: clock / 1000 }));
    const statuses = (await Promise.all([a, b])).map((r) => r.status).sort();
    expect(statuses).toEqual([200, 401]);
  });

  it('with errors counts them against max_errors_per_hour', async () => {
    for (let i = 0; i < 3; i++) {
      clock += 2_000;
      expect((await send(bodyOf({ errors: 4 }))).status).toBe(200);
    }
    const facts = await heartbeats.healthFacts(deps.config.portfolioId);
    const h = judgeFleet(deps.config, facts, clock).get(BOT);
    expect(h?.status).toBe('error');
    expect(h?.errorsLastHour).toBe(12);
  });
});
