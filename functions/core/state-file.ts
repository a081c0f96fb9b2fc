/**
 * The portfolio state's JSON form (DESIGN.md §6, a contract) read back: parsed against the config,
 * so a bot or reserve the config does not know, or a balance that is not a non-negative amount, is
 * refused with its path. Apart from state.ts so what only shows a state never loads zod.
 */
import * as z from 'zod';
import type { Config } from './config.ts';
import { type Money, money, ZERO } from './money.ts';
import { InvalidConfigError, type Problem, zodProblems } from './problems.ts';
import type { BotState, Opening, PortfolioState } from './state.ts';

const amount = z.union([z.number(), z.string()]);

const botSchema = z.strictObject({
  balance: amount.nullable(),
  capital_base: amount,
  contributed: amount.optional(),
  harvested: amount.optional(),
  protected: amount.optional(),
  refills: z.number().int().min(0).default(0),
  refill_blocked: z.boolean().default(false),
  in_flight: z.boolean().default(false),
});

const isoTime = z.iso.datetime({
  offset: true,
  error: 'an ISO date-time such as "2026-11-20T12:00:00Z"',
});

const stateSchema = z.strictObject({
  as_of: isoTime,
  peak_equity: amount.optional(),
  flags: z
    .strictObject({ halted: z.boolean().default(false), black_swan: z.boolean().default(false) })
    .prefault({}),
  reserves: z.record(z.string(), amount),
  bots: z.record(z.string(), botSchema).default({}),
  last_rebalance: isoTime.optional(),
  protected_this_episode: z.array(z.string()).optional(),
  opening: z
    .strictObject({
      at: isoTime,
      total_capital: amount,
      reserves: z.record(z.string(), amount),
      verified_at: isoTime.optional(),
    })
    .optional(),
});

/** A field that parses on its own, or `undefined` (its problem comes from `stateSchema`). */
const kept = <T extends z.ZodType>(schema: T) => schema.optional().catch(undefined);

/**
 * What of a state can be checked against the config even when the state is invalid elsewhere:
 * the amounts and the names of reserves and bots, each kept or dropped on its own.
 */
const readableSchema = z.object({
  peak_equity: kept(amount),
  reserves: kept(z.record(z.string(), kept(amount))),
  bots: kept(
    z.record(
      z.string(),
      kept(
        z.object({
          balance: kept(amount.nullable()),
          capital_base: kept(amount),
          contributed: kept(amount),
          harvested: kept(amount),
          protected: kept(amount),
        }),
      ),
    ),
  ),
});

/**
 * Parses a state file against its config; throws InvalidConfigError naming every problem — those
 * of the schema and those against the config together, so one run lists everything to fix.
 */
export function parseState(input: unknown, config: Config): PortfolioState {
  const parsed = stateSchema.safeParse(input, { reportInput: true });
  const problems: Problem[] = parsed.success ? [] : zodProblems(parsed.error);
  const readable = readableSchema.safeParse(input);
  const r = readable.success ? readable.data : {};
  const amountAt = (
    path: string,
    v: number | string | undefined,
    fallback: Money = ZERO,
  ): Money => {
    if (v === undefined) return fallback;
    try {
      const m = money(v);
      if (m < 0n) problems.push({ path, value: v, message: 'expected an amount ≥ 0' });
      return m;
    } catch {
      problems.push({ path, value: v, message: 'expected an amount (a number or decimal string)' });
      return ZERO;
    }
  };

  const reserves = new Map<string, Money>();
  const emergencyParts = config.emergencyReserve.parts.map((p) => p.reserve);
  for (const [name, v] of Object.entries(r.reserves ?? {})) {
    if (!emergencyParts.includes(name) && !config.pools.has(name)) {
      problems.push({
        path: `reserves.${name}`,
        value: v,
        message: `unknown reserve (expected ${emergencyParts.map((n) => `"${n}"`).join(', ')} or a pool: ${[...config.pools.keys()].join(', ')})`,
      });
    }
    reserves.set(name, amountAt(`reserves.${name}`, v));
  }
  if (r.reserves) {
    for (const name of [...emergencyParts, ...config.pools.keys()]) {
      if (!Object.hasOwn(r.reserves, name))
        problems.push({
          path: `reserves.${name}`,
          message: 'required: every reserve needs a balance',
        });
    }
  }

  const known = new Set(config.bots.map((b) => b.botId));
  const books = new Map<string, Omit<BotState, 'refills' | 'refillBlocked' | 'inFlight'>>();
  for (const [id, b] of Object.entries(r.bots ?? {})) {
    const at = `bots.${id}`;
    if (!known.has(id)) problems.push({ path: at, message: 'bot not in the config' });
    const capitalBase = amountAt(`${at}.capital_base`, b?.capital_base);
    books.set(id, {
      balance: b?.balance === null ? null : amountAt(`${at}.balance`, b?.balance),
      capitalBase,
      contributed: amountAt(`${at}.contributed`, b?.contributed, capitalBase),
      harvested: amountAt(`${at}.harvested`, b?.harvested),
      protected: amountAt(`${at}.protected`, b?.protected),
    });
  }
  const peakEquity = amountAt('peak_equity', r.peak_equity, ZERO);
  const o = parsed.success ? parsed.data.opening : undefined;
  const opening: Opening | undefined = o && {
    at: o.at,
    totalCapital: amountAt('opening.total_capital', o.total_capital),
    reserves: new Map(
      Object.entries(o.reserves).map(([k, v]) => [k, amountAt(`opening.reserves.${k}`, v)]),
    ),
    ...(o.verified_at !== undefined && { verifiedAt: o.verified_at }),
  };
  if (!parsed.success || problems.length > 0) throw new InvalidConfigError(problems, 'state');

  const s = parsed.data;
  const bots = new Map<string, BotState>();
  for (const [id, b] of Object.entries(s.bots)) {
    const book = books.get(id);
    if (!book) continue; // readable whenever the schema passes
    bots.set(id, {
      ...book,
      refills: b.refills,
      refillBlocked: b.refill_blocked,
      inFlight: b.in_flight,
    });
  }
  return {
    asOf: s.as_of,
    peakEquity,
    flags: { halted: s.flags.halted, blackSwan: s.flags.black_swan },
    reserves,
    bots,
    ...(s.last_rebalance !== undefined && { lastRebalance: s.last_rebalance }),
    ...(s.protected_this_episode !== undefined && {
      protectedThisEpisode: new Set(s.protected_this_episode),
    }),
    ...(opening !== undefined && { opening }),
  };
}
