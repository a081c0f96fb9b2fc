/**
 * The exchange key: from Secrets Manager once per container, from the environment or `.env`
 * locally; a placeholder is "not configured"; and the key's values never reach a log or an error.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  ExchangeKey,
  keyFromEnv,
  parseKeyJson,
  SECRET_PLACEHOLDER,
  secretArnEnvName,
  secretsManagerKey,
  withDotEnv,
} from '../../../functions/adapters/secrets.ts';
import type { Alert } from '../../../functions/core/alerts.ts';
import {
  AuthenticationFailedError,
  ExchangeUnavailableError,
} from '../../../functions/core/errors.ts';
import { run } from '../../../functions/local/commands/run.ts';
import { withCircuitBreaker } from '../../../functions/usecases/breaker.ts';
import {
  exchangeSecretEnvName,
  SECRET_PLACEHOLDER as STACK_PLACEHOLDER,
} from '../../../lib/exchange-secrets.ts';
import { specConfig } from '../../core/fixtures.ts';
import { type FakeBitget, startFakeBitget } from '../../helpers/fake-bitget.ts';
import { memoryBreakerStore } from './breaker-support.ts';
import { bitgetFor, MASTER, sub, transferOf } from './support.ts';

const ARN = 'arn:aws:secretsmanager:eu-central-1:123456789012:secret:botfolio/main/bitget-AbCdEf';

/** A Secrets Manager client that answers `GetSecretValue` from a script, counting calls. */
function secretsClient(...answers: (string | Error)[]) {
  const calls: unknown[] = [];
  const client = {
    send: async (command: { input: unknown }) => {
      calls.push(command.input);
      const answer = answers[Math.min(calls.length, answers.length) - 1];
      if (answer instanceof Error) throw answer;
      return { SecretString: answer };
    },
  } as unknown as SecretsManagerClient;
  return { client, calls };
}

const awsError = (name: string) => Object.assign(new Error(`${name} from AWS`), { name });

describe('the key in Secrets Manager', () => {
  const filled = JSON.stringify({ apiKey: 'bg_k', secret: 's', passphrase: 'p' });

  it('is read once per container and kept', async () => {
    // Prepare
    const { client, calls } = secretsClient(filled);
    const key = secretsManagerKey(client, ARN);
    // Act
    const first = await key();
    const second = await key();
    // Assess
    expect(calls).toEqual([{ SecretId: ARN }]);
    expect(second).toBe(first);
    expect([first.apiKey, first.secret, first.passphrase]).toEqual(['bg_k', 's', 'p']);
  });

  it('is read again after a failed read (a failure is not kept)', async () => {
    // Prepare
    const { client, calls } = secretsClient(awsError('ThrottlingException'), filled);
    const key = secretsManagerKey(client, ARN);
    // Act & Assess
    await expect(key()).rejects.toThrow(ExchangeUnavailableError);
    await expect(key()).resolves.toBeInstanceOf(ExchangeKey);
    expect(calls).toHaveLength(2);
  });

  it('is "not configured" — an authentication failure — while it holds REPLACE_ME', async () => {
    // Prepare: what the stack creates at deploy
    const { client } = secretsClient(
      JSON.stringify({ apiKey: 'REPLACE_ME', passphrase: 'REPLACE_ME', secret: 'random123' }),
    );
    // Act & Assess
    await expect(secretsManagerKey(client, ARN)()).rejects.toThrow(
      /not filled in yet: replace every REPLACE_ME/,
    );
  });

  it('is an authentication failure when the function may not read it', async () => {
    // Prepare
    const { client } = secretsClient(awsError('AccessDeniedException'));
    // Act & Assess
    await expect(secretsManagerKey(client, ARN)()).rejects.toThrow(AuthenticationFailedError);
  });

  it('names the fields missing from the JSON', () => {
    expect(() => parseKeyJson('{"apiKey":"k"}', 'secret x')).toThrow(
      'secret x lacks secret, passphrase',
    );
  });

  it('uses the names the stack gives the secret and its placeholder', () => {
    expect(secretArnEnvName('bitget')).toBe(exchangeSecretEnvName('bitget'));
    expect(SECRET_PLACEHOLDER).toBe(STACK_PLACEHOLDER);
  });
});

describe('the key on one machine', () => {
  const env = { BITGET_API_KEY: 'bg_k', BITGET_API_SECRET: 's', BITGET_API_PASSPHRASE: 'p' };

  it('comes from BITGET_API_KEY, BITGET_API_SECRET and BITGET_API_PASSPHRASE', () => {
    expect(keyFromEnv('bitget', env)?.apiKey).toBe('bg_k');
    expect(keyFromEnv('bitget', {})).toBeUndefined();
  });

  it('names the variables a partial key lacks', () => {
    expect(() => keyFromEnv('bitget', { BITGET_API_KEY: 'bg_k' })).toThrow(
      'bitget key incomplete: set BITGET_API_SECRET, BITGET_API_PASSPHRASE',
    );
  });

  it('reads .env under the environment: a variable already set wins', () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'botfolio-env-'));
    writeFileSync(
      join(dir, '.env'),
      'BITGET_API_KEY=from-file\nBITGET_API_SECRET="quoted secret"\n# a comment\n',
    );
    // Act
    const merged = withDotEnv({ BITGET_API_KEY: 'from-env' }, join(dir, '.env'));
    // Assess
    expect(merged.BITGET_API_KEY).toBe('from-env');
    expect(merged.BITGET_API_SECRET).toBe('quoted secret');
    expect(withDotEnv({ A: '1' }, join(dir, 'missing.env'))).toEqual({ A: '1' });
  });
});

describe('a key in logs and errors', () => {
  // Distinctive values: any trace of them in output or errors is a leak.
  const KEY = {
    apiKey: 'bg_LEAKCHECK_apikey_7f3a9c',
    secret: 'LEAKCHECK-secret-0d8e4b1f2a6c9e37',
    passphrase: 'LEAKCHECK-pass-55aa',
  };
  const WRONG_SECRET = 'LEAKCHECK-wrong-secret-c0ffee';
  const values = [KEY.apiKey, KEY.secret, KEY.passphrase, WRONG_SECRET];

  let fake: FakeBitget | undefined;
  afterEach(async () => {
    vi.restoreAllMocks();
    await fake?.close();
    fake = undefined;
  });

  it('never appears: not in output, errors, causes, alerts or inspected objects, on any path', async () => {
    // Prepare: capture every way text can leave the process
    const printed: string[] = [];
    const capture = (...args: unknown[]) => {
      printed.push(
        args.map((a) => (typeof a === 'string' ? a : inspect(a, { depth: 10 }))).join(' '),
      );
      return true;
    };
    for (const stream of [process.stdout, process.stderr]) {
      vi.spyOn(stream, 'write').mockImplementation(capture as typeof stream.write);
    }
    for (const level of ['log', 'error', 'warn', 'info', 'debug'] as const) {
      vi.spyOn(console, level).mockImplementation(capture);
    }
    fake = await startFakeBitget({
      masterKey: KEY,
      master: { spot: { USDT: 1000 } },
      subAccounts: { '6712345678': { futures: { USDT: 0 } } },
    });
    const f = fake;
    const alerts: Alert[] = [];
    const errors: unknown[] = [];
    const attempt = async (call: () => Promise<unknown>) => {
      try {
        await call();
      } catch (error) {
        errors.push(error);
      }
    };
    const key = new ExchangeKey(KEY.apiKey, KEY.secret, KEY.passphrase);
    const bitget = bitgetFor(f, { key: async () => key });
    const guarded = withCircuitBreaker(bitget, {
      store: memoryBreakerStore(),
      alerter: { send: async (a) => void alerts.push(a) },
      portfolioId: 'main',
      failureThreshold: 2,
    });

    // Act: successes, every fault, refusals, a bad key, a repeated clientOid, broken secrets
    await attempt(() => guarded.subAccountBalances(['6712345678'], 'USDT'));
    await attempt(() => guarded.transfer(transferOf('leak-1', MASTER, sub('6712345678'), 10)));
    await attempt(() => guarded.transfer(transferOf('leak-1', MASTER, sub('6712345678'), 10)));
    await attempt(() => guarded.transfer(transferOf('leak-2', MASTER, sub('6712345678'), 9e6)));
    f.inject('v2/spot/account/assets', { kind: 'rate_limit' }, { kind: 'status', status: 502 });
    await attempt(() => guarded.masterBalance('USDT'));
    await attempt(() => guarded.masterBalance('USDT'));
    f.inject('v2/spot/wallet/subaccount-transfer', { kind: 'hang', applied: true });
    await attempt(() => guarded.transfer(transferOf('leak-3', MASTER, sub('6712345678'), 1)));
    f.inject('v2/spot/account/assets', { kind: 'error', code: '40018', msg: 'Invalid IP' });
    await attempt(() => bitget.masterBalance('USDT'));
    const wrong = new ExchangeKey(KEY.apiKey, WRONG_SECRET, KEY.passphrase);
    await attempt(() =>
      withCircuitBreaker(bitgetFor(f, { key: async () => wrong }), {
        store: memoryBreakerStore(),
        alerter: { send: async (a) => void alerts.push(a) },
        portfolioId: 'main',
      }).masterBalance('USDT'),
    );
    await attempt(async () =>
      parseKeyJson(`{"apiKey":"${KEY.apiKey}","secret":"${KEY.secret}"`, 'secret x'),
    );
    await attempt(async () =>
      keyFromEnv('bitget', { BITGET_API_KEY: KEY.apiKey, BITGET_API_SECRET: KEY.secret }),
    );
    await attempt(() =>
      secretsManagerKey(
        secretsClient(
          JSON.stringify({ apiKey: KEY.apiKey, secret: KEY.secret, passphrase: 'REPLACE_ME' }),
        ).client,
        ARN,
      )(),
    );
    const out: string[] = [];
    await run({
      config: specConfig(),
      exchange: 'bitget',
      dataDir: mkdtempSync(join(tmpdir(), 'botfolio-leak-')),
      dryRun: false,
      cycles: 1,
      intervalMs: 0,
      env: {
        BITGET_API_KEY: KEY.apiKey,
        BITGET_API_SECRET: KEY.secret,
        BITGET_API_PASSPHRASE: KEY.passphrase,
      },
      bitgetApiUrl: f.url,
      out: (line) => out.push(line),
    });

    // Assess: the paths really ran…
    expect(errors.length).toBeGreaterThanOrEqual(8);
    expect(alerts.map((a) => a.code)).toEqual(
      expect.arrayContaining(['exchange_unavailable', 'auth_failed']),
    );
    // …and nothing they produced holds a value of the key
    const texts = [
      ...printed,
      ...out,
      ...alerts.map((a) => JSON.stringify(a)),
      ...errors.flatMap((e) => [
        String(e),
        (e as Error).stack ?? '',
        inspect(e, { depth: 10, showHidden: true }),
        JSON.stringify(e),
      ]),
      inspect(key, { depth: 10, showHidden: true }),
      JSON.stringify({ key }),
      `${key}`,
      inspect(bitget, { depth: 10, showHidden: true }),
      inspect(guarded, { depth: 10, showHidden: true }),
    ];
    for (const value of values) {
      const leaks = texts.filter((t) => t.includes(value));
      expect(leaks, `leaked ${value}`).toEqual([]);
    }
  });
});
