/**
 * The mode flags (DESIGN.md §3, "Mode flags"), computed first in every plan from the state's
 * latched flags and the balances now. Every threshold is compared exactly (bigint cross
 * multiplication), so a portfolio exactly on a threshold behaves as the rule's `≤` or `≥` says.
 *
 * - `peak_equity` = max(previous peak, E), with E = Σ bot balances + Σ reserves.
 * - `halted` is set when `emergency_stop` is configured and E ≤ (1 − p/100) × peak. It is latched:
 *   a plan never clears it; only an operator does (`botfolio resume`).
 * - `black_swan` is set when protection is enabled and R = Σ B / Σ C (funded, enabled bots) ≤ d_t;
 *   it clears when R ≥ u_t. Between the two it keeps its value. Reading: a flag latched in the state
 *   is cleared by R ≥ u_t even when protection has since been disabled (u_t then defaults to 0.8),
 *   and with no capital deployed (no R) the flag keeps its value.
 */
import { type Alert, alert } from './alerts.ts';
import type { Config } from './config.ts';
import { compareToRatioOf, type Money, max, type Ratio, ratio, showMoney } from './money.ts';
import { showRatio } from './policy-amounts.ts';
import type { Flags, PortfolioState } from './state.ts';

/** `resume_threshold` when the config gives none (DESIGN.md §3). */
export const DEFAULT_RESUME_THRESHOLD: Ratio = ratio('0.8');

export interface Modes {
  readonly flags: Flags;
  readonly peakEquity: Money;
  readonly equity: Money;
  /** This is black swan's entry cycle: protect transfers are planned. */
  readonly blackSwanEntered: boolean;
  /** `halted`, `black_swan_entered`, `black_swan_exited`, in that order. */
  readonly alerts: Alert[];
}

/** The exact sums the modes are decided on, computed once by the plan. */
export interface Sums {
  readonly equity: Money;
  /** Σ B and Σ C over funded, enabled bots; undefined when nothing is deployed. */
  readonly deployed: { readonly balance: Money; readonly capitalBase: Money } | undefined;
}

/** `1 − p/100` as an exact ratio. */
export const keptShare = (p: Ratio): Ratio => ({ num: 100n * p.den - p.num, den: 100n * p.den });

/** The flags after this cycle, and what changed. */
export function nextModes(config: Config, state: PortfolioState, sums: Sums): Modes {
  const { equity, deployed } = sums;
  const peakEquity = max(state.peakEquity, equity);
  const alerts: Alert[] = [];

  const stop = config.emergencyStop;
  const stopHit =
    stop !== undefined &&
    compareToRatioOf(equity, keptShare(stop.maxDrawdownPercent), peakEquity) <= 0;
  const halted = state.flags.halted || stopHit;
  const haltedEntered = halted && !state.flags.halted;
  if (haltedEntered && stop) {
    const floor = keptShare(stop.maxDrawdownPercent);
    alerts.push(
      alert(
        'halted',
        `emergency stop: equity ${showMoney(equity)} ≤ ${showRatio(floor)} × peak ${showMoney(peakEquity)} (max_drawdown_percent ${showRatio(stop.maxDrawdownPercent)}); no allocation, refill or rebalance into a bot until an operator runs \`botfolio resume\``,
      ),
    );
  }

  const bs = config.blackSwan;
  const was = state.flags.blackSwan;
  let blackSwan = was;
  if (deployed) {
    const { balance, capitalBase } = deployed;
    const ratioText = `Σ balance ${showMoney(balance)} / Σ capital base ${showMoney(capitalBase)}`;
    if (!was && bs?.enabled && compareToRatioOf(balance, bs.drawdownThreshold, capitalBase) <= 0) {
      blackSwan = true;
      const refills = bs.noRefillPolicy
        ? 'no refills (no_refill_policy: every funded bot stays refill-blocked until back at its capital base)'
        : 'refills still allowed (no_refill_policy is false)';
      alerts.push(
        alert(
          'black_swan_entered',
          `black swan: deployed ratio ${ratioText} ≤ drawdown_threshold ${showRatio(bs.drawdownThreshold)}; moving ${showRatio(bs.safetyAllocation)} × balance of every funded bot to reserve:emergency; no allocation or rebalance into a bot, ${refills}, until the ratio is back at ${showRatio(bs.resumeThreshold)}`,
        ),
      );
    }
    const resume = bs?.resumeThreshold ?? DEFAULT_RESUME_THRESHOLD;
    if (was && compareToRatioOf(balance, resume, capitalBase) >= 0) {
      blackSwan = false;
      alerts.push(
        alert(
          'black_swan_exited',
          `black swan over: deployed ratio ${ratioText} ≥ resume_threshold ${showRatio(resume)}`,
        ),
      );
    }
  }

  return {
    flags: { halted, blackSwan },
    peakEquity,
    equity,
    blackSwanEntered: blackSwan && !was,
    alerts,
  };
}
