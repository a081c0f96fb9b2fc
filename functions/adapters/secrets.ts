/**
 * Exchange master keys. In AWS the key lives in Secrets Manager (one secret per exchange, JSON
 * `{apiKey, secret, passphrase}`; Binance's and Bybit's keys have no passphrase), read on first use and kept for the container's life; on one
 * machine it comes from environment variables or a `.env` file. A key never appears in a log or
 * an error: `ExchangeKey` prints as "[redacted]" whatever prints it, and no error here carries
 * the secret's text (not even a JSON parse error, whose message would quote it).
 */
import { readFileSync } from 'node:fs';
import { inspect, parseEnv } from 'node:util';
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PASSPHRASE_EXCHANGES } from '../core/config-schema.ts';
import { AuthenticationFailedError, ExchangeUnavailableError } from '../core/errors.ts';

/** The value a field of a freshly deployed secret holds until the operator fills it in. */
export const SECRET_PLACEHOLDER = 'REPLACE_ME';

/** Env var naming an exchange's secret: EXCHANGE_SECRET_ARN_BITGET (set by the stack). */
export const secretArnEnvName = (exchange: string): string =>
  `EXCHANGE_SECRET_ARN_${exchange.toUpperCase().replaceAll(/[^A-Z0-9]/g, '_')}`;

/** Local env vars of an exchange's key: BITGET_API_KEY, BITGET_API_SECRET, BITGET_API_PASSPHRASE. */
export function keyEnvNames(exchange: string) {
  const stem = exchange.toUpperCase().replaceAll(/[^A-Z0-9]/g, '_');
  return {
    apiKey: `${stem}_API_KEY`,
    secret: `${stem}_API_SECRET`,
    passphrase: `${stem}_API_PASSPHRASE`,
  } as const;
}

const REDACTED = '[redacted]';

/** An exchange API key. Its fields are readable by the code that signs requests, and by nothing that prints. */
export class ExchangeKey {
  readonly #apiKey: string;
  readonly #secret: string;
  readonly #passphrase: string | undefined;

  /** `passphrase` is left out for an exchange whose keys have none. */
  constructor(apiKey: string, secret: string, passphrase?: string) {
    this.#apiKey = apiKey;
    this.#secret = secret;
    this.#passphrase = passphrase;
  }

  get apiKey(): string {
    return this.#apiKey;
  }
  get secret(): string {
    return this.#secret;
  }
  /** The passphrase; empty for a key that has none. */
  get passphrase(): string {
    return this.#passphrase ?? '';
  }

  /** True while any field still holds the deploy-time placeholder. */
  get isPlaceholder(): boolean {
    const fields = [this.#apiKey, this.#secret];
    if (this.#passphrase !== undefined) fields.push(this.#passphrase);
    return fields.some((v) => v === SECRET_PLACEHOLDER || v === '');
  }

  toJSON(): string {
    return REDACTED;
  }
  toString(): string {
    return REDACTED;
  }
  [inspect.custom](): string {
    return `ExchangeKey ${REDACTED}`;
  }
}

/** Where an adapter gets its key, on first use. */
export type KeyProvider = () => Promise<ExchangeKey>;

/** True when `exchange`'s keys have a passphrase (Bitget's, OKX's). */
export const needsPassphrase = (exchange: string): boolean =>
  PASSPHRASE_EXCHANGES.includes(exchange);

/**
 * The key in the secret's text; which part is wrong, never the text. A key without a passphrase
 * (`withPassphrase` false: Binance) ignores one the secret holds.
 */
export function parseKeyJson(text: string, where: string, withPassphrase = true): ExchangeKey {
  const names = withPassphrase ? ['apiKey', 'secret', 'passphrase'] : ['apiKey', 'secret'];
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // No cause: JSON.parse quotes the text it choked on.
    throw new AuthenticationFailedError(`${where} is not JSON of {${names.join(', ')}}`);
  }
  const fields = (typeof json === 'object' && json !== null ? json : {}) as Record<string, unknown>;
  const missing = names.filter((k) => typeof fields[k] !== 'string' || fields[k] === '');
  if (missing.length > 0) {
    throw new AuthenticationFailedError(`${where} lacks ${missing.join(', ')}`);
  }
  return new ExchangeKey(
    fields.apiKey as string,
    fields.secret as string,
    withPassphrase ? (fields.passphrase as string) : undefined,
  );
}

/** Refuses a key that is still the placeholder: not configured is an authentication failure. */
function configured(key: ExchangeKey, where: string): ExchangeKey {
  if (key.isPlaceholder) {
    throw new AuthenticationFailedError(
      `${where} is not filled in yet: replace every ${SECRET_PLACEHOLDER} with the exchange key's values`,
    );
  }
  return key;
}

/** Secrets Manager errors that mean "this secret cannot be read by us", not "try again". */
const UNREADABLE = new Set([
  'ResourceNotFoundException',
  'AccessDeniedException',
  'DecryptionFailure',
  'InvalidRequestException',
]);

/**
 * The key in Secrets Manager, fetched once per container: the first call reads it, later calls
 * get the same key. A failed read is not kept, so the next call tries again.
 */
export function secretsManagerKey(
  client: SecretsManagerClient,
  secretArn: string,
  withPassphrase = true,
): KeyProvider {
  let cached: Promise<ExchangeKey> | undefined;
  const where = `secret ${secretArn}`;
  const read = async (): Promise<ExchangeKey> => {
    let text: string | undefined;
    try {
      text = (await client.send(new GetSecretValueCommand({ SecretId: secretArn }))).SecretString;
    } catch (error) {
      const name = error instanceof Error ? error.name : 'Error';
      if (UNREADABLE.has(name)) {
        throw new AuthenticationFailedError(`${where} cannot be read: ${name}`, { cause: error });
      }
      throw new ExchangeUnavailableError(`${where}: Secrets Manager failed: ${name}`, {
        cause: error,
      });
    }
    if (text === undefined) throw new AuthenticationFailedError(`${where} has no text value`);
    return configured(parseKeyJson(text, where, withPassphrase), where);
  };
  return () => {
    cached ??= read().catch((error: unknown) => {
      cached = undefined;
      throw error;
    });
    return cached;
  };
}

/**
 * The key from environment variables (`BITGET_API_KEY`, `BITGET_API_SECRET`,
 * `BITGET_API_PASSPHRASE`; no passphrase for Binance), or undefined when none of them is set.
 * @throws AuthenticationFailedError when only some are set, or one holds the placeholder
 */
export function keyFromEnv(
  exchange: string,
  env: Readonly<Record<string, string | undefined>>,
): ExchangeKey | undefined {
  const { passphrase, ...always } = keyEnvNames(exchange);
  const names = needsPassphrase(exchange) ? { ...always, passphrase } : always;
  const values: Record<string, string | undefined> = Object.fromEntries(
    Object.entries(names).map(([k, name]) => [k, env[name]]),
  );
  const set = Object.values(values).filter((v) => v !== undefined && v !== '');
  if (set.length === 0) return undefined;
  const missing = Object.entries(names)
    .filter(([k]) => !values[k])
    .map(([, name]) => name);
  if (missing.length > 0) {
    throw new AuthenticationFailedError(`${exchange} key incomplete: set ${missing.join(', ')}`);
  }
  const where = `the ${exchange} key in ${Object.values(names).join(', ')}`;
  return configured(
    new ExchangeKey(
      values.apiKey ?? '',
      values.secret ?? '',
      needsPassphrase(exchange) ? (values.passphrase ?? '') : undefined,
    ),
    where,
  );
}

/**
 * The environment with a `.env` file's variables added under it: a variable already set in the
 * environment wins. A missing file adds nothing. (Node's own parser; no dependency.)
 */
export function withDotEnv(
  env: Readonly<Record<string, string | undefined>>,
  path = '.env',
): Record<string, string | undefined> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { ...env };
    throw error;
  }
  return { ...parseEnv(text), ...env };
}
