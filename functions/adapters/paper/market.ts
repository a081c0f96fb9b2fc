/**
 * Simulated bots for the paper exchange. Botfolio never sees a bot's trades, only its equity, so a
 * simulated bot is just a process moving its sub-account's equity: a geometric random walk per
 * step (r ~ Normal(drift, volatility), Box–Muller over a seeded PRNG), or the replay of an equity
 * curve, with optional market-wide crashes. Each bot draws from its own stream of the seed, so its
 * path depends only on the seed, its UID and the step — not on which other bots exist.
 */
import * as z from 'zod';
import { type Money, moneyFromFloat, toFloat } from '../../core/money.ts';
import { type Rng, rngFromState, rngState, seededRng, standardNormal } from './rng.ts';

/** A geometric random walk: each step, equity × (1 + r) with r ~ Normal(drift, volatility). */
export interface RandomWalkProfile {
  readonly drift: number;
  readonly volatility: number;
}

/** A replayed equity curve: step i multiplies equity by `replay[i]`; after the curve, flat. */
export interface ReplayProfile {
  readonly replay: readonly number[];
}

export type BotProfile = RandomWalkProfile | ReplayProfile;

/** A market-wide move at one step: every bot's equity × (1 − drop), on top of its own move. */
export interface Shock {
  /** The 0-based step at which it hits (the number of steps taken before it). */
  readonly at: number;
  readonly drop: number;
}

/** A crash of every bot at step `at`, e.g. `crash({ at: 10, drop: 0.5 })` halves all equity. */
export function crash(shock: Shock): Shock {
  if (!(Number.isInteger(shock.at) && shock.at >= 0)) {
    throw new RangeError(`a crash needs a step index ≥ 0, got ${shock.at}`);
  }
  if (!(shock.drop >= 0 && shock.drop <= 1)) {
    throw new RangeError(`a crash drop must be in [0, 1], got ${shock.drop}`);
  }
  return { at: shock.at, drop: shock.drop };
}

/** What the simulator needs of an exchange: the paper exchange's direct equity access. */
export interface SimulatedAccounts {
  equityOf(uid: string): Money;
  setSubAccountEquity(uid: string, equity: Money): void;
}

/** One bot's move in one step. */
export interface BotMove {
  readonly uid: string;
  readonly before: Money;
  readonly after: Money;
  /** The float multiplier applied: (1 + r) × the shocks' (1 − drop). */
  readonly multiplier: number;
}

export interface BotSimulatorOptions {
  readonly seed: number;
  /** Profiles by sub-account UID. */
  readonly profiles: Readonly<Record<string, BotProfile>>;
  /** @default no shocks */
  readonly shocks?: readonly Shock[];
}

const finite = z.number().refine(Number.isFinite, 'expected a finite number');
const profileSchema = z.union([
  z.object({
    drift: finite.refine((d) => d > -1, 'drift must be > −1'),
    volatility: finite.min(0),
  }),
  z.object({ replay: z.array(finite.min(0, 'a multiplier cannot be negative')) }),
]);
const shockSchema = z.object({ at: z.number().int().min(0), drop: z.number().min(0).max(1) });

export const BOT_SIMULATOR_FORMAT = 'botfolio.bot-simulator/1';

const simulatorJson = z.object({
  format: z.literal(BOT_SIMULATOR_FORMAT),
  seed: z.number().int(),
  steps: z.number().int().min(0),
  profiles: z.record(z.string().min(1), profileSchema),
  shocks: z.array(shockSchema),
  rng: z.record(z.string().min(1), z.array(z.number().int()).length(4)),
});

export type BotSimulatorJson = z.input<typeof simulatorJson>;

const profileJson = (p: BotProfile): z.input<typeof profileSchema> =>
  'replay' in p ? { replay: [...p.replay] } : { drift: p.drift, volatility: p.volatility };

interface SimulatedBot {
  readonly profile: BotProfile;
  readonly rng: Rng;
}

export class BotSimulator {
  readonly seed: number;
  readonly #bots = new Map<string, SimulatedBot>();
  readonly #shocks: readonly Shock[];
  #steps = 0;

  constructor(options: BotSimulatorOptions) {
    this.seed = options.seed;
    this.#shocks = (options.shocks ?? []).map(crash);
    for (const [uid, profile] of Object.entries(options.profiles)) {
      const parsed = profileSchema.safeParse(profile);
      if (!parsed.success) {
        throw new RangeError(`bad profile for ${uid}:\n${z.prettifyError(parsed.error)}`);
      }
      this.#bots.set(uid, { profile, rng: seededRng(options.seed, uid) });
    }
  }

  /** Resumes a saved simulator where it stopped: same next steps as if it had never stopped. */
  static fromJSON(json: unknown): BotSimulator {
    const parsed = simulatorJson.safeParse(json);
    if (!parsed.success) {
      throw new TypeError(`invalid bot simulator data:\n${z.prettifyError(parsed.error)}`);
    }
    const data = parsed.data;
    const simulator = new BotSimulator(data);
    simulator.#steps = data.steps;
    for (const [uid, bot] of simulator.#bots) {
      const state = data.rng[uid];
      if (!state) throw new TypeError(`invalid bot simulator data: no generator state for ${uid}`);
      simulator.#bots.set(uid, { profile: bot.profile, rng: rngFromState(state) });
    }
    return simulator;
  }

  toJSON(): BotSimulatorJson {
    const entries = [...this.#bots];
    return {
      format: BOT_SIMULATOR_FORMAT,
      seed: this.seed,
      steps: this.#steps,
      profiles: Object.fromEntries(entries.map(([uid, b]) => [uid, profileJson(b.profile)])),
      shocks: [...this.#shocks],
      rng: Object.fromEntries(entries.map(([uid, b]) => [uid, rngState(b.rng)])),
    };
  }

  /** Steps taken so far; the next step has this index. */
  get steps(): number {
    return this.#steps;
  }

  /** The simulated sub-accounts' UIDs. */
  get uids(): string[] {
    return [...this.#bots.keys()];
  }

  /**
   * Advances every simulated bot one step on the exchange. Each new equity is
   * max(0, equity × multiplier), becoming money through moneyFromFloat once (rounded down).
   */
  step(accounts: SimulatedAccounts): BotMove[] {
    const index = this.#steps;
    const shock = this.#shocks
      .filter((s) => s.at === index)
      .reduce((factor, s) => factor * (1 - s.drop), 1);
    const moves: BotMove[] = [];
    for (const [uid, bot] of this.#bots) {
      const before = accounts.equityOf(uid);
      const multiplier = this.#ownMultiplier(bot, index) * shock;
      const after = moneyFromFloat(Math.max(0, toFloat(before) * multiplier));
      accounts.setSubAccountEquity(uid, after);
      moves.push({ uid, before, after, multiplier });
    }
    this.#steps = index + 1;
    return moves;
  }

  #ownMultiplier(bot: SimulatedBot, index: number): number {
    const { profile } = bot;
    if ('replay' in profile) return profile.replay[index] ?? 1;
    // Drawn even at zero equity, so a bot's stream stays aligned with the step index.
    return 1 + profile.drift + profile.volatility * standardNormal(bot.rng);
  }
}

/** Step multipliers of an equity curve (e.g. a CSV column): [100, 110, 99] → [1.1, 0.9]. */
export function multipliersFromEquityCurve(equity: readonly number[]): number[] {
  const multipliers: number[] = [];
  for (let i = 1; i < equity.length; i++) {
    const prev = equity[i - 1] ?? 0;
    const next = equity[i] ?? 0;
    if (!(prev > 0 && next >= 0 && Number.isFinite(next))) {
      throw new RangeError(`equity curve point ${i}: cannot step from ${prev} to ${next}`);
    }
    multipliers.push(next / prev);
  }
  return multipliers;
}

export { DEMO_SEED } from './demo-seed.ts';

/** A clear winner: +3% a step, calm; crosses 1.25× in about 8 steps. */
export const WINNER: RandomWalkProfile = { drift: 0.03, volatility: 0.02 };
/** A clear loser: −7% a step; falls to 0.25× in about 19 steps. */
export const LOSER: RandomWalkProfile = { drift: -0.07, volatility: 0.03 };
/** Bots in between: small drifts either way, more noise. */
export const MIXED: readonly RandomWalkProfile[] = [
  { drift: 0.008, volatility: 0.03 },
  { drift: -0.01, volatility: 0.04 },
  { drift: 0.002, volatility: 0.05 },
  { drift: 0.015, volatility: 0.06 },
];

/**
 * Varied default profiles for N bots: the first is the winner, the last (when N ≥ 2) the loser,
 * the others mixed. On the spec portfolio that makes the first low-frequency bot harvest and the
 * last high-frequency bot (the smallest capital base) need a refill, within ~25 cycles.
 */
export function defaultProfiles(uids: readonly string[]): Record<string, BotProfile> {
  return Object.fromEntries(
    uids.map((uid, i): [string, BotProfile] => {
      if (i === 0) return [uid, WINNER];
      if (i === uids.length - 1) return [uid, LOSER];
      return [uid, MIXED[(i - 1) % MIXED.length] ?? WINNER];
    }),
  );
}
