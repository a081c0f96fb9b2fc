/**
 * Portfolio state (DESIGN.md §6, a contract): what the policy engine reads and `botfolio state`
 * prints (`stateToJson`). Its JSON form is parsed back by state-file.ts.
 */
import type { Config } from './config.ts';
import { add, formatMoney, type Money, showMoney, sum } from './money.ts';
import type { BotBinding } from './transfer.ts';

export interface BotState {
  /**
   * Account equity now, unrealized PnL included; null when unknown this cycle (DESIGN.md §3,
   * "Unknown is not zero": the exchange's answer did not give it, or gave one not to be believed).
   */
  readonly balance: Money | null;
  readonly capitalBase: Money;
  /** Money put into the bot: allocations and refills (rebalances in, less rebalances out). */
  readonly contributed: Money;
  readonly harvested: Money;
  readonly protected: Money;
  readonly refills: number;
  readonly refillBlocked: boolean;
  /** A transfer of this bot's is still running: the policy leaves the bot alone this cycle. */
  readonly inFlight: boolean;
  /**
   * Where the books say the bot sits (its account, pool and exchange when it was funded or
   * adopted); absent for books written before bindings were recorded.
   */
  readonly binding?: BotBinding;
}

/** A bot whose balance is known this cycle: the only kind a rule may decide for. */
export type KnownBotState = BotState & { readonly balance: Money };

export const isKnown = (b: BotState): b is KnownBotState => b.balance !== null;

/**
 * The balance of a bot where a complete reading is the only possible one (a backtest's replay,
 * the books as stored); an unknown one there is a bug, never read as zero.
 */
export function balanceOf(b: BotState): Money {
  if (b.balance === null) throw new RangeError('a balance is unknown where every one is known');
  return b.balance;
}

/** Every funded bot's balance is known: the reading the mode flags may be decided on. */
export const readingComplete = (state: PortfolioState): boolean =>
  [...state.bots.values()].every(isKnown);

/**
 * An operator's word that a bot's balance beyond `max_plausible_jump` is real (`botfolio
 * confirm-balance`): the bot's next reading is judged as if this were its last known balance
 * (core/readings.ts), and that reading ends it.
 */
export interface BalanceConfirmation {
  readonly balance: Money;
  /** When the operator confirmed it (ISO). */
  readonly at: string;
  readonly reason: string;
  /** Who confirmed it, as far as the machine knows (the OS user). */
  readonly by: string;
}

/**
 * The portfolio's opening layout (DESIGN.md §10): recorded by its first cycle, never taken from
 * a later config — `state --rebuild` starts from it.
 */
export interface Opening {
  /** When the portfolio opened (ISO). */
  readonly at: string;
  readonly totalCapital: Money;
  /** The emergency reserve's and each pool's capital, all in its reserve at the opening. */
  readonly reserves: ReadonlyMap<string, Money>;
  /**
   * When the exchange was seen to hold the opening reserves in its master account (ISO); absent
   * until then, and no transfer out of a reserve runs before.
   */
  readonly verifiedAt?: string;
}

/**
 * Reconciliation found the master account holding less than the reserves' books (DESIGN.md §10):
 * no transfer out of a reserve runs until a reconciliation agrees again.
 */
export interface ReserveHoldFlag {
  readonly at: string;
  readonly why: string;
}

export interface Flags {
  readonly halted: boolean;
  readonly blackSwan: boolean;
}

export interface PortfolioState {
  readonly asOf: string;
  readonly peakEquity: Money;
  readonly flags: Flags;
  /** `emergency` and one entry per pool. */
  readonly reserves: ReadonlyMap<string, Money>;
  /** Funded bots only: a configured bot missing here is not yet funded. */
  readonly bots: ReadonlyMap<string, BotState>;
  /**
   * When the allocation strategy last set target capital bases (ISO time); absent when it never
   * has. The next rebalance comes once `rebalance_interval` has passed since.
   */
  readonly lastRebalance?: string;
  /**
   * Bots whose protect of the black-swan episode under way has completed: protect is planned for
   * every other funded bot on each cycle of the episode (DESIGN.md §3). Empty outside an episode.
   */
  readonly protectedThisEpisode?: ReadonlySet<string>;
  /**
   * Balances operators confirmed, by bot, waiting for the bot's next reading. Kept by the store,
   * outside the state contract (`botfolio state` does not print them).
   */
  readonly confirmedBalances?: ReadonlyMap<string, BalanceConfirmation>;
  /** The opening layout; absent in states written before it was recorded. */
  readonly opening?: Opening;
  /**
   * Each reserve's booked capital: its opening capital plus the operator's deposits, withdrawals,
   * moves, adoptions and retirements. Compared with the config's each cycle (config drift).
   */
  readonly capital?: ReadonlyMap<string, Money>;
  /** Bots whose books were closed by a retirement, with the account they sat in. */
  readonly retired?: ReadonlyMap<string, string>;
  /**
   * The operators' flows in and out, all time, as the store counts them (kept by the store; the
   * peak above already includes those since the last cycle).
   */
  readonly peakFlows?: Money;
  /** Set while the master account holds less than the books (reconciliation's hold). */
  readonly reserveHold?: ReserveHoldFlag;
  /**
   * When the halt in force began (ISO): the entering cycle's time, or the operator's `halt`.
   * Absent when not halted, and for a halt entered before it was recorded. Kept by the store,
   * outside the state contract: `botfolio resume` finds the halt's coordinated stop by it.
   */
  readonly haltedAt?: string;
}

/** The opening layout of a portfolio opened now with this config. */
export function openingOf(config: Config, at: string): Opening {
  return {
    at,
    totalCapital: config.totalCapital,
    reserves: new Map([
      ...config.emergencyReserve.parts.map((p) => [p.reserve, p.capital] as const),
      ...[...config.pools.values()].map((p) => [p.name, p.capital] as const),
    ]),
  };
}

/**
 * The state a portfolio starts from: every pool's capital in its reserve, no bot funded yet —
 * the given opening layout, else the config's.
 */
export function initialState(
  config: Config | undefined,
  asOf: string,
  given?: Opening,
): PortfolioState {
  const opening = given ?? (config && openingOf(config, asOf));
  if (!opening) throw new RangeError('an initial state needs a config or an opening layout');
  return {
    asOf,
    peakEquity: opening.totalCapital,
    flags: { halted: false, blackSwan: false },
    reserves: new Map(opening.reserves),
    bots: new Map(),
    opening,
    capital: new Map(opening.reserves),
  };
}

/** The contract's JSON form (amounts as numbers where exact, else decimal strings). */
export function stateToJson(
  state: PortfolioState,
  /** `decimal`: every amount a decimal string ("150.00000000"), for machines that compare. */
  amounts: 'shortest' | 'decimal' = 'shortest',
): Record<string, unknown> {
  const n = (m: Money) => {
    if (amounts === 'decimal') return formatMoney(m);
    const text = showMoney(m);
    return Number(text).toString() === text ? Number(text) : formatMoney(m);
  };
  return {
    as_of: state.asOf,
    peak_equity: n(state.peakEquity),
    flags: { halted: state.flags.halted, black_swan: state.flags.blackSwan },
    reserves: Object.fromEntries([...state.reserves].map(([k, v]) => [k, n(v)])),
    bots: Object.fromEntries(
      [...state.bots].map(([id, b]) => [
        id,
        {
          balance: b.balance === null ? null : n(b.balance),
          capital_base: n(b.capitalBase),
          contributed: n(b.contributed),
          harvested: n(b.harvested),
          protected: n(b.protected),
          refills: b.refills,
          refill_blocked: b.refillBlocked,
          in_flight: b.inFlight,
        },
      ]),
    ),
    ...(state.lastRebalance !== undefined && { last_rebalance: state.lastRebalance }),
    ...(state.opening !== undefined && {
      opening: {
        at: state.opening.at,
        total_capital: n(state.opening.totalCapital),
        reserves: Object.fromEntries([...state.opening.reserves].map(([k, v]) => [k, n(v)])),
        ...(state.opening.verifiedAt !== undefined && { verified_at: state.opening.verifiedAt }),
      },
    }),
    ...(state.protectedThisEpisode !== undefined &&
      state.protectedThisEpisode.size > 0 && {
        protected_this_episode: [...state.protectedThisEpisode].sort(),
      }),
  };
}

/** The portfolio's mode (DESIGN.md §3). */
export type Mode = 'normal' | 'halted' | 'black_swan';

/** `black_swan` if that flag is set, else `halted` if set, else `normal`. */
export function modeOf(flags: Flags): Mode {
  return flags.blackSwan ? 'black_swan' : flags.halted ? 'halted' : 'normal';
}

/** Portfolio equity `E`: Σ bot balances + Σ reserves; undefined while a balance is unknown. */
export function portfolioEquity(state: PortfolioState): Money | undefined {
  const bots = [...state.bots.values()];
  if (!bots.every(isKnown)) return undefined;
  return add(sum(bots.map((b) => b.balance)), sum(state.reserves.values()));
}
