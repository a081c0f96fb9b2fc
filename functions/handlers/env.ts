/** Environment for the Lambda handlers: read once at load, and a missing setting is an error, never a silent default. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ALLOCATION_MODULE_ENV, importAllocationModule } from '../adapters/allocation-module.ts';
import { type Config, parseConfig } from '../core/config.ts';
import type { WeightsFunction } from '../core/strategies.ts';

export class MissingSettingError extends Error {
  constructor(name: string) {
    super(`environment variable ${name} is not set`);
    this.name = 'MissingSettingError';
  }
}

/**
 * Env var of the deploy-time test setting `-c testExchangeUrl=URL` (lib/test-exchange.ts): the
 * exchange API the functions call instead of the exchange's own, a fake on 127.0.0.1. Set only
 * by a test deploy; the stack refuses it for a production-looking one.
 */
export const TEST_EXCHANGE_URL_ENV = 'BOTFOLIO_TEST_EXCHANGE_URL';

/** A setting that may be absent (undefined then); one that must be there is `requireEnv`. */
export function optionalEnv(name: string): string | undefined {
  return process.env[name] || undefined;
}

export function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new MissingSettingError(name);
  return value;
}

/** The config shipped in the bundle (validated at synth; validated again here, cheaply). */
export function loadBundledConfig(): Config {
  return parseConfig(JSON.parse(readFileSync(bundledFile('CONFIG_PATH'), 'utf8')));
}

/**
 * The `custom` strategy's module bundled beside the config (checked at synth; checked again
 * here, as every composition loads it); undefined for any other strategy.
 */
export async function loadBundledAllocationModule(
  config: Config,
): Promise<WeightsFunction | undefined> {
  if (config.allocation.strategy !== 'custom') return undefined;
  return importAllocationModule(
    config,
    bundledFile(ALLOCATION_MODULE_ENV),
    `config ${requireEnv('CONFIG_PATH')}`,
  );
}

/** The file a setting names inside the bundle. */
function bundledFile(name: string): string {
  return resolve(process.env.LAMBDA_TASK_ROOT ?? '.', requireEnv(name));
}
