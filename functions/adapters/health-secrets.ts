/**
 * The secrets of the bots' health (DESIGN.md §11): each bot's heartbeat secret, and the password
 * of a bot's Freqtrade API.
 *
 * - On one machine, from the environment (or `.env`, `withDotEnv`): a bot's heartbeat secret in
 *   `BOTFOLIO_HEARTBEAT_SECRET_<BOT_ID>` (the bot id in capitals, every character other than a
 *   letter or digit as `_`: `1h_lorentzian_sol` → `BOTFOLIO_HEARTBEAT_SECRET_1H_LORENTZIAN_SOL`),
 *   and a Freqtrade password in the env var its `password_secret` names.
 * - In AWS, one Secrets Manager secret holds every bot's heartbeat secret as JSON
 *   `{"<bot_id>": "<secret>"}` (its ARN in `HEARTBEAT_SECRET_ARN`), read once per container; a
 *   Freqtrade password is the Secrets Manager secret its `password_secret` names.
 *
 * No secret's text is ever put in an error or a log.
 */
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Config } from '../core/config.ts';
import type { HeartbeatSecrets } from '../usecases/heartbeat.ts';
import { SECRET_PLACEHOLDER } from './secrets.ts';

/** The env var of a bot's heartbeat secret on one machine. */
export const heartbeatSecretEnvName = (botId: string): string =>
  `BOTFOLIO_HEARTBEAT_SECRET_${botId.toUpperCase().replaceAll(/[^A-Z0-9]/g, '_')}`;

/** The env var carrying the ARN of the heartbeat secrets in AWS (set by the stack). */
export const HEARTBEAT_SECRET_ARN_ENV = 'HEARTBEAT_SECRET_ARN';

/** Two bots whose ids map to one env var: their secrets would be one. */
export class HeartbeatSecretClashError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HeartbeatSecretClashError';
  }
}

/**
 * Heartbeat secrets from the environment, for the config's heartbeat bots.
 * @throws HeartbeatSecretClashError when two of them map to the same env var
 */
export function envHeartbeatSecrets(
  config: Config,
  env: Readonly<Record<string, string | undefined>>,
): HeartbeatSecrets {
  const byName = new Map<string, string>();
  for (const bot of config.bots) {
    if (!bot.health?.heartbeat) continue;
    const name = heartbeatSecretEnvName(bot.botId);
    const other = byName.get(name);
    if (other !== undefined) {
      throw new HeartbeatSecretClashError(
        `bots ${other} and ${bot.botId} would share the heartbeat secret ${name}: rename one`,
      );
    }
    byName.set(name, bot.botId);
  }
  return async (botId) => {
    const bot = config.bots.find((b) => b.botId === botId);
    if (!bot?.health?.heartbeat) return undefined;
    const value = env[heartbeatSecretEnvName(botId)];
    return value === undefined || value === '' || value === SECRET_PLACEHOLDER ? undefined : value;
  };
}

/** The names of the env vars the config's heartbeat bots need that are not set. */
export function missingHeartbeatSecrets(
  config: Config,
  env: Readonly<Record<string, string | undefined>>,
): string[] {
  return config.bots
    .filter((b) => b.health?.heartbeat)
    .map((b) => heartbeatSecretEnvName(b.botId))
    .filter((name) => !env[name]);
}

/**
 * Heartbeat secrets from one Secrets Manager secret (`{"<bot_id>": "<secret>"}`), read on first
 * use and kept; a failed read is not kept, so the next request tries again (and gets a 503 meanwhile).
 */
export function secretsManagerHeartbeatSecrets(
  client: SecretsManagerClient,
  secretArn: string,
): HeartbeatSecrets {
  let cached: Promise<Map<string, string>> | undefined;
  const read = async (): Promise<Map<string, string>> => {
    const text = (await client.send(new GetSecretValueCommand({ SecretId: secretArn })))
      .SecretString;
    let json: unknown;
    try {
      json = JSON.parse(text ?? '');
    } catch {
      throw new Error(`secret ${secretArn} is not JSON of {"<bot_id>": "<secret>"}`);
    }
    const out = new Map<string, string>();
    if (typeof json === 'object' && json !== null) {
      for (const [k, v] of Object.entries(json)) {
        if (typeof v === 'string' && v !== '' && v !== SECRET_PLACEHOLDER) out.set(k, v);
      }
    }
    return out;
  };
  return async (botId) => {
    cached ??= read().catch((error: unknown) => {
      cached = undefined;
      throw error;
    });
    return (await cached).get(botId);
  };
}

/** A Freqtrade API password, by its `password_secret`. */
export type PasswordOf = (passwordSecret: string) => Promise<string | undefined>;

/** Freqtrade passwords from the env vars their `password_secret` names. */
export const envPasswords =
  (env: Readonly<Record<string, string | undefined>>): PasswordOf =>
  async (name) =>
    env[name] || undefined;

/** Freqtrade passwords from the Secrets Manager secrets their `password_secret` names (the secret's text). */
export function secretsManagerPasswords(client: SecretsManagerClient): PasswordOf {
  const cache = new Map<string, Promise<string | undefined>>();
  return (name) => {
    let found = cache.get(name);
    if (!found) {
      found = client
        .send(new GetSecretValueCommand({ SecretId: name }))
        .then((out) => out.SecretString || undefined)
        .catch((error: unknown) => {
          cache.delete(name);
          throw error;
        });
      cache.set(name, found);
    }
    return found;
  };
}
