/**
 * Test fixtures: the spec's portfolio (examples/spec-portfolio.json) as raw JSON, changed by path
 * where a test needs it, and states written in the contract's JSON form — so every test also
 * goes through the same parsing a user's files do.
 */
import { readFileSync } from 'node:fs';
import { type Config, parseConfig } from '../../functions/core/config.ts';
import type { PortfolioState } from '../../functions/core/state.ts';
import { parseState } from '../../functions/core/state-file.ts';

export type Json = Record<string, unknown>;

const SPEC_PATH = new URL('../../examples/spec-portfolio.json', import.meta.url);

/** A fresh copy of the spec's config file. */
export function specFile(): Json {
  return JSON.parse(readFileSync(SPEC_PATH, 'utf8')) as Json;
}

/**
 * Sets values by path (`pools.low_frequency.share`, `bots[0].pool`) in a copy of `base`;
 * `undefined` deletes the key.
 */
export function withPaths(base: Json, changes: Record<string, unknown>): Json {
  const copy = structuredClone(base);
  for (const [path, value] of Object.entries(changes)) {
    const keys = path.match(/[^.[\]]+/g) ?? [];
    let node: unknown = copy;
    for (const key of keys.slice(0, -1)) {
      if (typeof node !== 'object' || node === null) throw new Error(`no object at ${path}`);
      node = (node as Json)[key];
    }
    const last = keys.at(-1);
    if (typeof node !== 'object' || node === null || last === undefined) {
      throw new Error(`no object at ${path}`);
    }
    if (value === undefined) delete (node as Json)[last];
    else (node as Json)[last] = value;
  }
  return copy;
}

/** The spec's config with some values changed. */
export function specConfig(changes: Record<string, unknown> = {}): Config {
  return parseConfig(withPaths(specFile(), changes));
}

export const AS_OF = '2026-11-20T12:00:00Z';

/** The spec portfolio's bots, in config order (e.g. every bot protected this episode). */
export const SPEC_BOTS = [
  '1h_lorentzian_sol',
  '4h_swing_btc',
  '5m_scalping_sol',
  '15m_momentum_eth',
];

/**
 * The spec portfolio right after its four allocations: equity 1000 = peak. (DESIGN.md §6's sample
 * shows high_frequency 90, its 30% reserve ratio; after two allocations of 100 from 300 it holds 100.)
 */
export function stateFile(): Json {
  return {
    as_of: AS_OF,
    peak_equity: 1000,
    flags: { halted: false, black_swan: false },
    reserves: { emergency: 200, low_frequency: 200, high_frequency: 100 },
    bots: {
      '1h_lorentzian_sol': { balance: 150, capital_base: 150 },
      '4h_swing_btc': { balance: 150, capital_base: 150 },
      '5m_scalping_sol': { balance: 100, capital_base: 100 },
      '15m_momentum_eth': { balance: 100, capital_base: 100 },
    },
  };
}

/** The state of `stateFile()` with some values changed, parsed against `config`. */
export function stateOf(config: Config, changes: Record<string, unknown> = {}): PortfolioState {
  return parseState(withPaths(stateFile(), changes), config);
}

/** The problems an invalid input is refused with (fails the test when it is accepted). */
export function problemsOf(
  parse: () => unknown,
): { path: string; value?: unknown; message: string }[] {
  try {
    parse();
  } catch (e) {
    if (e instanceof Error && 'problems' in e && Array.isArray(e.problems)) return e.problems;
    throw e;
  }
  throw new Error('expected the input to be refused');
}
