/**
 * Which cycles of a backtest the policy could act on. A plan is pure and, on most cycles of a
 * year of 15-minute points, empty: no bot is at a trigger, no mode changes, no rebalance is due.
 * The backtest plans only the cycles this screen cannot prove quiet; a property test replays every
 * cycle through `plan` and checks that the answers are the same.
 *
 * After each planned cycle the books are fixed until the next one, so each bot's triggers become
 * plain balance thresholds (exact: the rules' `≥`/`≤` against a ratio, solved for B with the
 * rounding that keeps them exact), and a cycle is quiet when every balance is inside its band and
 * the portfolio's sums are on the same side of the mode thresholds as before. Where a rule's
 * outcome would take more than a threshold to know (an allocation the mode allows still pending,
 * the emergency reserve below its minimum, a rebalance due) every cycle is planned. Analytics
 * alerts are screened apart (backtest-window.ts), and so is `allocation_drift` (`DriftScreen`).
 */
import type { Alert } from './alerts.ts';
import { allocationDriftAlerts } from './allocation-drift.ts';
import type { BotConfig, Config } from './config.ts';
import { isMonitored } from './health.ts';
import {
  compareToRatioOf,
  type Money,
  max,
  mulRatio,
  type Ratio,
  ratioToFloat,
  sum,
  ZERO,
} from './money.ts';
import { limitsOf, sizeTransfer } from './policy-amounts.ts';
import { DEFAULT_RESUME_THRESHOLD, keptShare } from './policy-modes.ts';
import { permits } from './policy-rules.ts';
import type { Flags, PortfolioState } from './state.ts';

/** Smallest B with B × r.den ≥ r.num × x: where `compareToRatioOf(B, r, x) ≥ 0` starts. */
const atLeast = (r: Ratio, x: Money): bigint => (r.num * x + r.den - 1n) / r.den;
/** Largest B with B × r.den ≤ r.num × x: where `compareToRatioOf(B, r, x) ≤ 0` ends. */
const atMost = (r: Ratio, x: Money): bigint => (r.num * x) / r.den;

/**
 * Per bot (config order), the balances at which a rule would act, for the books and flags of the
 * last planned cycle: a funded bot is quiet while `!(harvest ≤ B < compound) && B > refill &&
 * B < unblock && B < protect`.
 * Thresholds are doubles: exact below 2⁵³, and beyond it rounded monotonically, so a balance
 * below 2⁵³ compares with them as with the exact bigint.
 */
export class Bands {
  readonly #harvest: Float64Array;
  readonly #compound: Float64Array;
  readonly #refill: Float64Array;
  readonly #unblock: Float64Array;
  readonly #protect: Float64Array;
  /** Per bot, the smallest balance whose protect the exchange's limits let through (config only). */
  readonly #protectable: Float64Array;

  constructor(config: Config) {
    const bots = config.bots.length;
    this.#protect = new Float64Array(bots).fill(Number.POSITIVE_INFINITY);
    this.#protectable = Float64Array.from(config.bots, (b) => smallestProtected(config, b));
    this.#harvest = new Float64Array(bots).fill(Number.POSITIVE_INFINITY);
    this.#compound = new Float64Array(bots).fill(Number.POSITIVE_INFINITY);
    this.#refill = new Float64Array(bots).fill(-1);
    this.#unblock = new Float64Array(bots).fill(Number.POSITIVE_INFINITY);
  }

  /** The thresholds of every bot from the books after a plan. */
  set(config: Config, state: PortfolioState): void {
    const lr = config.lossRecovery;
    const refillAllowed = permits(config, state.flags, { kind: 'refill', to: 'bot:' });
    config.bots.forEach((bot, k) => {
      const s = state.bots.get(bot.botId);
      const pool = config.pools.get(bot.pool);
      this.#harvest[k] = Number.POSITIVE_INFINITY;
      this.#compound[k] = Number.POSITIVE_INFINITY;
      this.#refill[k] = -1;
      this.#unblock[k] = Number.POSITIVE_INFINITY;
      // Black swan, not yet protected this episode: protect is planned once it can be sized.
      const unprotected =
        s !== undefined && state.flags.blackSwan && !state.protectedThisEpisode?.has(bot.botId);
      this.#protect[k] = unprotected ? (this.#protectable[k] as number) : Number.POSITIVE_INFINITY;
      if (!s || !pool || !bot.enabled) return;
      const C = s.capitalBase;
      this.#harvest[k] = Number(atLeast(pool.harvestThreshold, C));
      if (config.compoundThreshold !== undefined && s.contributed > 0n) {
        this.#compound[k] = Number(atLeast(config.compoundThreshold, s.contributed) - s.harvested);
      }
      // A blocked refill or one the mode refuses is the bot's decision "nothing": quiet.
      if (lr?.enabled && !s.refillBlocked && refillAllowed) {
        this.#refill[k] = Number(atMost(lr.interventionThreshold, C));
      }
      if (s.refillBlocked && !state.flags.blackSwan) this.#unblock[k] = Number(C);
    });
  }

  /** Whether bot `k` of balance `b` (10⁻⁸ units, a safe integer) needs a plan this cycle. */
  acts(k: number, b: number): boolean {
    return (
      (b >= (this.#harvest[k] ?? Number.POSITIVE_INFINITY) && b < (this.#compound[k] ?? 0)) ||
      b <= (this.#refill[k] ?? -1) ||
      b >= (this.#unblock[k] ?? Number.POSITIVE_INFINITY) ||
      b >= (this.#protect[k] ?? Number.POSITIVE_INFINITY)
    );
  }
}

/** What of the portfolio the screen needs from the last planned cycle's books. */
export interface PortfolioBooks {
  readonly flags: Flags;
  /** Σ reserves. */
  readonly reserves: Money;
  /** Σ C over funded, enabled bots. */
  readonly deployedBase: Money;
  /** Every cycle must be planned until the next plan changes the books. */
  readonly alwaysPlan: boolean;
}

export function portfolioBooks(config: Config, state: PortfolioState): PortfolioBooks {
  const enabled = config.bots.filter((b) => b.enabled);
  // An allocation the mode allows is planned or warned about on every cycle until it is made.
  const allocating =
    enabled.some((b) => !state.bots.has(b.botId)) &&
    permits(config, state.flags, { kind: 'allocation', to: 'bot:' });
  // A part below its minimum warns every cycle (pot_below_minimum, reserve_imbalance).
  const partShort = config.emergencyReserve.parts.some(
    (p) => (state.reserves.get(p.reserve) ?? ZERO) < p.minimum,
  );
  return {
    flags: state.flags,
    reserves: sum(state.reserves.values()),
    deployedBase: sum(enabled.flatMap((b) => state.bots.get(b.botId)?.capitalBase ?? [])),
    alwaysPlan: allocating || partShort,
  };
}

/**
 * The smallest balance (10⁻⁸ units, as a double; Infinity: none below 2⁵³) whose protect,
 * `safety_allocation × B` sized by the exchange's limits, is a transfer: below it the rule passes
 * the bot on to the others (policy-rules.ts). Sizing is monotone in B, so a bisection finds it.
 */
function smallestProtected(config: Config, bot: BotConfig): number {
  const sa = config.blackSwan?.safetyAllocation;
  const limits = limitsOf(config, bot.exchange);
  if (!sa || !limits) return Number.POSITIVE_INFINITY;
  const sized = (b: bigint) => sizeTransfer(mulRatio(b as Money, sa), limits) !== undefined;
  let hi = BigInt(Number.MAX_SAFE_INTEGER);
  if (!sized(hi)) return Number.POSITIVE_INFINITY;
  let lo = 0n; // not sized
  while (hi - lo > 1n) {
    const mid = (lo + hi) / 2n;
    if (sized(mid)) hi = mid;
    else lo = mid;
  }
  return Number(hi);
}

/**
 * Whether the mode flags could change with these sums (DESIGN.md §3, as policy-modes.ts decides
 * them): the emergency stop's entry against the peak this equity makes, black swan's entry or exit.
 */
export function modesMayChange(
  config: Config,
  books: PortfolioBooks,
  peak: Money,
  equity: Money,
  deployedBalance: Money,
): boolean {
  const stop = config.emergencyStop;
  if (
    stop &&
    !books.flags.halted &&
    compareToRatioOf(equity, keptShare(stop.maxDrawdownPercent), max(peak, equity)) <= 0
  ) {
    return true;
  }
  if (books.deployedBase <= 0n) return false;
  const bs = config.blackSwan;
  if (books.flags.blackSwan) {
    const resume = bs?.resumeThreshold ?? DEFAULT_RESUME_THRESHOLD;
    return compareToRatioOf(deployedBalance, resume, books.deployedBase) >= 0;
  }
  return (
    bs?.enabled === true &&
    compareToRatioOf(deployedBalance, bs.drawdownThreshold, books.deployedBase) <= 0
  );
}

/**
 * `allocation_drift` on a quiet cycle (allocation-drift.ts): a float screen of each pool's equity
 * shares against its capital-base shares, loose enough never to miss a drift the exact check
 * would find (the products are beyond a double's exact range, so it flags anything close), and
 * the policy's own exact check on the cycles it flags. A quiet cycle has no rebalance due and
 * nothing planned, so the targets are the capital bases and no bot is set aside; a monitored bot
 * is of unknown health in a backtest, as in its plans.
 */
export class DriftScreen {
  readonly #pools: readonly (readonly number[])[];
  readonly #threshold: number;
  readonly #config: Config;
  readonly #notRunning: ReadonlyMap<string, string>;

  constructor(config: Config) {
    this.#config = config;
    this.#threshold = ratioToFloat(config.allocation.rebalanceThreshold);
    this.#pools =
      config.allocation.strategy === 'fixed'
        ? []
        : [...config.pools.keys()].map((pool) =>
            config.bots.flatMap((b, k) => (b.pool === pool && b.enabled ? [k] : [])),
          );
    this.#notRunning = new Map(
      config.bots.filter(isMonitored).map((b) => [b.botId, 'its health is not read in a backtest']),
    );
  }

  /** Whether a pool's shares may be off by more than the threshold now. */
  mayAlert(funded: Uint8Array, balance: Float64Array, capitalBase: Float64Array): boolean {
    for (const members of this.#pools) {
      let count = 0;
      let sB = 0;
      let sC = 0;
      for (const k of members) {
        if (!funded[k]) continue;
        count++;
        sB += balance[k] as number;
        sC += capitalBase[k] as number;
      }
      if (count < 2) continue;
      for (const k of members) {
        if (!funded[k]) continue;
        const value = (balance[k] as number) * sC;
        const target = (capitalBase[k] as number) * sB;
        // Generous: a relative error far above a double's, on both sides of the comparison.
        const slack = 1e-9 * (value + target);
        if (Math.abs(value - target) + slack >= this.#threshold * target) return true;
      }
    }
    return false;
  }

  /** The policy's `allocation_drift` alerts of a quiet cycle on `state`. */
  alerts(state: PortfolioState): Alert[] {
    return allocationDriftAlerts(this.#config, state, {
      targets: new Map(),
      planned: new Set(),
      aside: () => false,
      notRunning: this.#notRunning,
    });
  }
}
