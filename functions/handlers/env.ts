/** Environment for the Lambda handlers: read once at load, and a missing setting is an error, never a silent default. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Config, parseConfig } from '../core/config.ts';

export class MissingSettingError extends Error {
  constructor(name: string) {
    super(`environment variable ${name} is not set`);
    this.name = 'MissingSettingError';
  }
}

export function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new MissingSettingError(name);
  return value;
}

/** The config shipped in the bundle (validated at synth; validated again here, cheaply). */
export function loadBundledConfig(): Config {
  const path = resolve(process.env.LAMBDA_TASK_ROOT ?? '.', requireEnv('CONFIG_PATH'));
  return parseConfig(JSON.parse(readFileSync(path, 'utf8')));
}
