/**
 * The `custom` strategy's module (the config's `allocation.module`, DESIGN.md §6), loaded the same
 * way wherever a plan is made: the local commands find it relative to the config file's folder,
 * the cycle Lambda in its bundle (lib/function.ts bundles it there with esbuild, and env
 * ALLOCATION_MODULE_PATH names it). Loading checks that the file exists, that it exports a
 * `weights` function (named, or the default export), and that the function answers every pool of
 * the config with valid weights on a sample input (its bots, no history): `botfolio validate`,
 * `plan`, `backtest`, `run`, `cycle`, `demo` and `cdk synth` refuse a module that cannot work,
 * with the path and the bad value. Once loaded, a module that throws or answers nonsense at run
 * time leaves only its pool alone (core/strategies.ts).
 */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Config } from '../core/config.ts';
import { InvalidConfigError } from '../core/problems.ts';
import { customSampleRefusals, type WeightsFunction } from '../core/strategies.ts';

/** The environment variable naming the bundled module, relative to LAMBDA_TASK_ROOT. */
export const ALLOCATION_MODULE_ENV = 'ALLOCATION_MODULE_PATH';

/** The module's file, resolved from the config file's folder; undefined unless `custom`. */
export function allocationModulePath(config: Config, configFile: string): string | undefined {
  const name = config.allocation.module;
  if (config.allocation.strategy !== 'custom' || name === undefined) return undefined;
  return resolve(dirname(configFile), name);
}

/** The module's weights function, or undefined when the strategy is not `custom`. */
export async function loadAllocationModule(
  config: Config,
  configFile: string,
): Promise<WeightsFunction | undefined> {
  const path = allocationModulePath(config, configFile);
  if (path === undefined) return undefined;
  return importAllocationModule(config, path, `config ${configFile}`);
}

/**
 * Imports the module at `path` (the config's, or the bundled one) and checks it.
 * @throws InvalidConfigError at `allocation.module`, `what` naming the config it came from
 */
export async function importAllocationModule(
  config: Config,
  path: string,
  what: string,
): Promise<WeightsFunction> {
  const refuse = (message: string) =>
    new InvalidConfigError(
      [{ path: 'allocation.module', value: config.allocation.module, message }],
      what,
    );
  if (!existsSync(path)) throw refuse(`no such file: ${path}`);
  let exports: Record<string, unknown>;
  try {
    exports = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (e) {
    throw refuse(`cannot be loaded: ${(e as Error)?.message ?? String(e)}`);
  }
  const weights = exports.weights ?? exports.default;
  if (typeof weights !== 'function') {
    throw refuse('must export a `weights` function (bot weights from the pool’s bots)');
  }
  const refusals = customSampleRefusals(config, weights as WeightsFunction);
  if (refusals.length > 0) {
    throw refuse(`tried on each pool's bots with no history: ${refusals.join('; ')}`);
  }
  return weights as WeightsFunction;
}
