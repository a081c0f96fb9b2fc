/**
 * Seeded randomness for the paper exchange: fault plans and simulated bots draw from pure-rand's
 * xoroshiro128+ so that a seed replays the same run, and a generator's state can be saved with the
 * local data and resumed. Nothing here touches Math.random.
 */

import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { xoroshiro128plus, xoroshiro128plusFromState } from 'pure-rand/generator/xoroshiro128plus';
import type { RandomGenerator } from 'pure-rand/types/RandomGenerator';

export type Rng = RandomGenerator;

/**
 * A generator for one named stream of a seed (a bot's uid, a fault plan). The seed and the name are
 * mixed through FNV-1a and a murmur3 finalizer first: xoroshiro128+ seeded with nearby small
 * integers starts with correlated outputs, and each bot's path must not depend on the others.
 */
export function seededRng(seed: number, stream = ''): Rng {
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
  let h = 0x811c9dc5;
  for (const ch of `${seed}:${stream}`) {
    h ^= ch.codePointAt(0) ?? 0;
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return xoroshiro128plus(h | 0);
}

/** The generator's state, to persist. */
export function rngState(rng: Rng): number[] {
  return [...rng.getState()];
}

/** A generator resumed from a state saved by `rngState`. */
export function rngFromState(state: readonly number[]): Rng {
  return xoroshiro128plusFromState(state);
}

/** Uniform in [0, 1). */
export function uniform(rng: Rng): number {
  return uniformFloat64(rng);
}

/** Standard normal by Box–Muller (two uniforms per draw; the sine twin is dropped to keep state simple). */
export function standardNormal(rng: Rng): number {
  const u1 = 1 - uniformFloat64(rng); // (0, 1]: log(0) never happens
  const u2 = uniformFloat64(rng);
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}
