/**
 * Reads the config a deploy is built from: parsed and validated at synth time (DESIGN.md §9), with
 * the checks only AWS needs on top, and a `custom` strategy's module loaded and tried on a sample
 * of each pool, so a bad config or module fails `cdk synth`/`cdk deploy` before anything is
 * created.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadAllocationModule } from '../functions/adapters/allocation-module.ts';
import { type Config, parseConfig } from '../functions/core/config.ts';
import { JsonTextError, parseJsonText } from '../functions/core/json-text.ts';
import { InvalidConfigError, type Problem } from '../functions/core/problems.ts';
import { scheduleProblems } from './cycle.ts';

/** The config file could not be read or is not JSON. */
export class ConfigFileError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ConfigFileError';
  }
}

export interface DeployConfig {
  readonly config: Config;
  /** The file's absolute path (shipped in the bundles). */
  readonly file: string;
}

/**
 * Loads and validates the config file for a deploy, and its custom allocation module.
 * @throws ConfigFileError when it cannot be read or parsed as JSON
 * @throws InvalidConfigError listing every problem (each with its path in the file)
 */
export async function loadDeployConfig(path: string): Promise<DeployConfig> {
  const file = resolve(path);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigFileError(`cannot read config file ${file}: ${(e as Error).message}`, {
      cause: e,
    });
  }
  let json: unknown;
  try {
    json = parseJsonText(text);
  } catch (e) {
    if (!(e instanceof JsonTextError)) throw e;
    throw new ConfigFileError(`config file ${file} ${e.message}`, { cause: e });
  }
  const config = parseConfig(json);
  const problems: Problem[] = scheduleProblems(config.checkIntervalMs);
  try {
    await loadAllocationModule(config, file);
  } catch (e) {
    if (!(e instanceof InvalidConfigError)) throw e;
    problems.push(...e.problems);
  }
  if (problems.length > 0) throw new InvalidConfigError(problems);
  return { config, file };
}
