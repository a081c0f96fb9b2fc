/**
 * The rules of venues (DESIGN.md §5): each exchange holds its own money, so a config with several
 * exchanges says which one is primary (it holds `reserve:emergency` and every pool that names no
 * exchange), every pool is on a configured exchange and its bots on the same one, and the
 * emergency reserve's split names configured exchanges with shares summing to 1. A config with
 * one exchange needs none of the new keys and passes every rule here as before.
 */
import type { LenientConfigFile } from './config-schema.ts';
import { gcd, ratioToFloat } from './money.ts';
import type { Problem } from './problems.ts';

type Rule = (f: LenientConfigFile) => Problem[];

/** How far the split's sum may be from 1 (DESIGN.md §5; shares are written as decimals). */
export const SPLIT_TOLERANCE = 1e-9;

/** Several exchanges: exactly one is marked `primary: true`. */
export const onePrimaryExchange: Rule = (f) => {
  const exchanges = f.exchanges;
  if (!exchanges) return [];
  const names = Object.keys(exchanges);
  const marked = names.filter((n) => exchanges[n]?.primary === true);
  if (marked.length > 1) {
    return marked.slice(1).map((n) => ({
      path: `exchanges.${n}.primary`,
      value: true,
      message: `exchanges.${marked[0]} is marked primary too: exactly one exchange is primary`,
    }));
  }
  // An entry that did not parse may be the one marked: its own problem is reported.
  if (names.length > 1 && marked.length === 0 && names.every((n) => exchanges[n] !== undefined)) {
    return [
      {
        path: 'exchanges',
        value: names,
        message: `several exchanges and none marked "primary": true — mark exactly one (it holds reserve:emergency and every pool that names no "exchange")`,
      },
    ];
  }
  return [];
};

/** The exchange a pool is on: its own `exchange`, else the primary; undefined while unknowable. */
export function poolExchangeOf(f: LenientConfigFile, pool: string): string | undefined {
  const own = f.pools?.[pool]?.exchange;
  if (own !== undefined) return own;
  const exchanges = f.exchanges ?? {};
  const names = Object.keys(exchanges);
  const marked = names.filter((n) => exchanges[n]?.primary === true);
  if (marked.length === 1) return marked[0];
  return names.length === 1 ? names[0] : undefined;
}

/** A pool's `exchange` is one of the configured exchanges. */
export const poolExchangeKnown: Rule = (f) => {
  const exchanges = f.exchanges;
  if (!exchanges) return [];
  return Object.entries(f.pools ?? {}).flatMap(([name, p]): Problem[] => {
    const x = p?.exchange;
    if (x === undefined || Object.hasOwn(exchanges, x)) return [];
    return [
      {
        path: `pools.${name}.exchange`,
        value: x,
        message: `unknown exchange (exchanges: ${Object.keys(exchanges).join(', ') || 'none'})`,
      },
    ];
  });
};

/** A bot is on its pool's exchange: money never moves between exchanges. */
export const botOnItsPoolsExchange: Rule = (f) =>
  (f.bots ?? []).flatMap((bot, i): Problem[] => {
    if (!bot || !Object.hasOwn(f.pools ?? {}, bot.pool)) return [];
    if (!Object.hasOwn(f.exchanges ?? {}, bot.exchange)) return []; // its own problem
    const x = poolExchangeOf(f, bot.pool);
    if (x === undefined || x === bot.exchange) return [];
    const why =
      f.pools?.[bot.pool]?.exchange === undefined
        ? `pool "${bot.pool}" names no exchange, so it is on the primary, ${x}`
        : `pool "${bot.pool}" is on ${x} (pools.${bot.pool}.exchange)`;
    return [
      {
        path: `bots[${i}].exchange`,
        value: bot.exchange,
        message: `${why}: a bot's exchange is its pool's (money never moves between exchanges) — put the bot in a pool on ${bot.exchange}, or set that pool's "exchange"`,
      },
    ];
  });

/** `emergency_reserve.split` names configured exchanges, and its shares sum to 1 (within 1e-9). */
export const emergencySplitValid: Rule = (f) => {
  const split = f.emergency_reserve?.split;
  if (!split) return [];
  const problems: Problem[] = [];
  const exchanges = f.exchanges;
  for (const name of Object.keys(split)) {
    if (exchanges && !Object.hasOwn(exchanges, name)) {
      problems.push({
        path: `emergency_reserve.split.${name}`,
        value: name,
        message: `not a configured exchange (exchanges: ${Object.keys(exchanges).join(', ') || 'none'})`,
      });
    }
  }
  const shares = Object.values(split);
  // Exact over a common denominator, then compared with the tolerance.
  const den = shares.reduce((d, r) => (d * r.den) / gcd(d, r.den), 1n);
  const num = shares.reduce((s, r) => s + (r.num * den) / r.den, 0n);
  const off = Math.abs(Number(num - den) / Number(den));
  if (!(off <= SPLIT_TOLERANCE)) {
    problems.push({
      path: 'emergency_reserve.split',
      value: Object.fromEntries(Object.entries(split).map(([k, r]) => [k, ratioToFloat(r)])),
      message: `the shares must sum to 1 (they sum to ${Number(num) / Number(den)})`,
    });
  }
  return problems;
};

/** The venue rules, in their report order. */
export const VENUE_RULES: readonly Rule[] = [
  onePrimaryExchange,
  poolExchangeKnown,
  botOnItsPoolsExchange,
  emergencySplitValid,
];
