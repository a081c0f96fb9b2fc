/**
 * The `custom` strategy's module (the config's `allocation.module`, DESIGN.md §6): resolved
 * relative to the config file, imported, and checked to export a `weights` function (named, or the
 * default export) — when the config is validated, so a wrong path or a module without the
 * function fails `botfolio validate`, `plan` and `backtest` with the path and the bad value.
 * (Bundling it into the cycle Lambda at synth is not done yet: a deployed cycle does not rebalance
 * a custom pool, and its plan says so with a `rebalance_skipped` warning.)
 */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Config } from '../core/config.ts';
import { InvalidConfigError } from '../core/problems.ts';
import type { WeightsFunction } from '../core/strategies.ts';

/** The module's weights function, or undefined when the strategy is not `custom`. */
export async function loadAllocationModule(
  config: Config,
  configFile: string,
): Promise<WeightsFunction | undefined> {
  const name = config.allocation.module;
  if (config.allocation.strategy !== 'custom' || name === undefined) return undefined;
  const path = resolve(dirname(configFile), name);
  const refuse = (message: string) =>
    new InvalidConfigError(
      [{ path: 'allocation.module', value: name, message }],
      `config ${configFile}`,
    );
  if (!existsSync(path)) throw refuse(`no such file: ${path} (resolved from the config's folder)`);
  let exports: Record<string, unknown>;
  try {
    exports = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (e) {
    throw refuse(`cannot be loaded: ${(e as Error).message}`);
  }
  const weights = exports.weights ?? exports.default;
  if (typeof weights !== 'function') {
    throw refuse('must export a `weights` function (bot weights from the pool’s bots)');
  }
  return weights as WeightsFunction;
}
