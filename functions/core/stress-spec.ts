/**
 * The `--stress` scenarios, parsed from their text (comma-separated, each `KIND:ARG:ARG[@TIME]`):
 *
 *     crash:X%:DUR[@TIME]              every bot falls X % in a straight line over DUR, stays down
 *     bleed:X%:DUR[@TIME]              every bot loses X % over DUR at a constant rate, stays down
 *     flash:X%:DUR[@TIME]              every bot drops X % at once, then climbs back over DUR
 *     correlated:X%:DUR:BOTS[@TIME]    a crash of only BOTS: ids joined by "+", or a count N of
 *                                      bots the seed picks
 *     bootstrap:N[:BLOCK]              N variants of the curves resampled in blocks of BLOCK
 *                                      (default 1d), reported as p5 / p50 / p95
 *
 * DUR and BLOCK are a whole number and m, h or d ("30m", "6h", "14d"); X a percentage above 0
 * and below 100 ("30%", "12.5%"); TIME an ISO date or date-time (UTC unless it says otherwise)
 * at which the event starts, else the seed picks a step from which it fits in the curves.
 * Parsing needs no curves; what depends on them (TIME within them, BOTS known) is checked when
 * the scenario is applied (stress.ts).
 */

export class StressSpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StressSpecError';
  }
}

export type StressShape = 'crash' | 'bleed' | 'flash';

/** Which bots a shock hits: all (market-wide), these ids, or a count the seed picks. */
export type StressBots =
  | { readonly kind: 'all' }
  | { readonly kind: 'ids'; readonly ids: readonly string[] }
  | { readonly kind: 'count'; readonly count: number };

export type StressScenario =
  | {
      readonly kind: 'shock';
      /** The scenario's own text, as given. */
      readonly spec: string;
      readonly shape: StressShape;
      /** The fall, as a fraction in (0, 1). */
      readonly drop: number;
      /** How long the fall (crash, bleed) or the recovery (flash) takes. */
      readonly durationMs: number;
      readonly bots: StressBots;
      /** When it starts (ms), or undefined: the seed picks. */
      readonly atMs: number | undefined;
    }
  | {
      readonly kind: 'bootstrap';
      readonly spec: string;
      readonly variants: number;
      readonly blockMs: number;
    };

/** At most this many bootstrap variants: each is a whole backtest. */
export const MAX_VARIANTS = 10_000;

const DURATION = /^(\d+)(m|h|d)$/;
const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };
const PERCENT = /^(\d+(?:\.\d+)?)%$/;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const BOT_ID = /^[A-Za-z0-9_.-]{1,64}$/;

const refuse = (spec: string, why: string) => new StressSpecError(`--stress "${spec}": ${why}`);

function duration(spec: string, part: string | undefined, what: string): number {
  const m = DURATION.exec(part ?? '');
  const ms = m ? Number(m[1]) * (UNIT_MS[m[2] ?? ''] ?? 0) : 0;
  if (ms <= 0) {
    throw refuse(
      spec,
      `${what} "${part ?? ''}" is not a duration (a whole number > 0 and m, h or d: 30m, 6h, 14d)`,
    );
  }
  return ms;
}

function percent(spec: string, part: string | undefined): number {
  const m = PERCENT.exec(part ?? '');
  const x = m ? Number(m[1]) : Number.NaN;
  if (!(x > 0 && x < 100)) {
    throw refuse(
      spec,
      `"${part ?? ''}" is not a fall (a percentage above 0 and below 100: 30%, 12.5%)`,
    );
  }
  return x / 100;
}

function time(spec: string, part: string): number {
  const ms = Date.parse(DATE_ONLY.test(part) ? `${part}T00:00:00Z` : part);
  if (Number.isNaN(ms)) {
    throw refuse(
      spec,
      `"@${part}" is not an ISO date or date-time (2026-01-15, 2026-01-15T06:00Z)`,
    );
  }
  return ms;
}

function bots(spec: string, part: string | undefined): StressBots {
  const text = part ?? '';
  if (/^\d+$/.test(text)) {
    const count = Number(text);
    if (count < 2) throw refuse(spec, `"${text}": a correlated crash hits at least 2 bots`);
    return { kind: 'count', count };
  }
  const ids = text.split('+');
  const bad = ids.find((id) => !BOT_ID.test(id));
  if (bad !== undefined) {
    throw refuse(spec, `"${text}" is not bots (bot ids joined by "+", or how many the seed picks)`);
  }
  if (new Set(ids).size !== ids.length) throw refuse(spec, `"${text}" names a bot twice`);
  return { kind: 'ids', ids };
}

/** One scenario from its text. */
export function parseScenario(spec: string): StressScenario {
  const at = spec.lastIndexOf('@');
  const head = at >= 0 ? spec.slice(0, at) : spec;
  const atMs = at >= 0 ? time(spec, spec.slice(at + 1)) : undefined;
  const parts = head.split(':');
  const [kind, ...args] = parts;
  const arity = (n: number, form: string) => {
    if (args.length !== n) throw refuse(spec, `expected ${form}`);
  };
  switch (kind) {
    case 'crash':
    case 'bleed':
    case 'flash': {
      arity(
        2,
        `${kind}:X%:DURATION[@TIME] (e.g. ${kind}:30%:${kind === 'bleed' ? '30d' : kind === 'flash' ? '15m' : '6h'})`,
      );
      return {
        kind: 'shock',
        spec,
        shape: kind,
        drop: percent(spec, args[0]),
        durationMs: duration(spec, args[1], kind === 'flash' ? 'recovery' : 'duration'),
        bots: { kind: 'all' },
        atMs,
      };
    }
    case 'correlated': {
      arity(
        3,
        'correlated:X%:DURATION:BOTS[@TIME] (e.g. correlated:40%:2h:sol_bot+eth_bot, or correlated:40%:2h:3)',
      );
      return {
        kind: 'shock',
        spec,
        shape: 'crash',
        drop: percent(spec, args[0]),
        durationMs: duration(spec, args[1], 'duration'),
        bots: bots(spec, args[2]),
        atMs,
      };
    }
    case 'bootstrap': {
      if (at >= 0) throw refuse(spec, 'a bootstrap has no @TIME: it resamples the whole span');
      if (args.length < 1 || args.length > 2) {
        throw refuse(
          spec,
          'expected bootstrap:N[:BLOCK] (e.g. bootstrap:200 or bootstrap:200:12h)',
        );
      }
      const n = /^\d+$/.test(args[0] ?? '') ? Number(args[0]) : 0;
      if (n < 1 || n > MAX_VARIANTS) {
        throw refuse(
          spec,
          `"${args[0] ?? ''}" is not a number of variants (a whole number from 1 to ${MAX_VARIANTS})`,
        );
      }
      return {
        kind: 'bootstrap',
        spec,
        variants: n,
        blockMs: args[1] === undefined ? (UNIT_MS.d ?? 0) : duration(spec, args[1], 'block'),
      };
    }
    default:
      throw refuse(
        spec,
        `"${kind ?? ''}" is not a scenario (crash, bleed, flash, correlated or bootstrap)`,
      );
  }
}

/** Every scenario of a `--stress` value (comma-separated); refuses an empty one. */
export function parseStress(text: string): StressScenario[] {
  const specs = text.split(',').map((s) => s.trim());
  if (specs.some((s) => s === '')) {
    throw new StressSpecError(
      `--stress "${text}": an empty scenario (scenarios are separated by one ",")`,
    );
  }
  return specs.map(parseScenario);
}
