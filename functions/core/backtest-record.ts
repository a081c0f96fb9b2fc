/**
 * What a backtest keeps of its cycles, whichever way they were replayed (backtest.ts's screened
 * loop or backtest-replay.ts's every-cycle one): the transfers by kind and in order, the events,
 * the fees paid, each bot's refills and whether it recovered, and at the end the result.
 */
import type { Alert } from './alerts.ts';
import {
  type BotMetrics,
  lossRecoveryRate,
  type PortfolioMetrics,
  portfolioMetrics,
} from './analytics.ts';
import type { BacktestSeries } from './backtest-series.ts';
import type { Config } from './config.ts';
import { add, type Money, min, sub, ZERO } from './money.ts';
import type { Mode, Plan } from './policy.ts';
import { feeOf } from './policy-amounts.ts';
import { afterPlan } from './simulate.ts';
import { balanceOf, type KnownBotState, type PortfolioState } from './state.ts';
import { type PlannedTransfer, TRANSFER_KINDS, type TransferKind } from './transfer.ts';

/** Equity curves on a common clock. */
export interface EquityCurves {
  /** ISO times, strictly increasing. */
  readonly times: readonly string[];
  /**
   * Each bot's curve, one point per time, in 10⁻⁸ units of the currency as exact integers (NaN
   * where the curve has no value). Only the ratios between points matter.
   */
  readonly values: ReadonlyMap<string, Float64Array>;
}

/** Each time's UTC day as a number, days numbered in the order they first appear. */
export function dayNumbers(times: readonly string[]): number[] {
  const days = new Map<string, number>();
  return times.map((at) => {
    const key = at.slice(0, 10);
    const known = days.get(key);
    if (known !== undefined) return known;
    days.set(key, days.size);
    return days.size - 1;
  });
}

/** A curve from amounts (undefined where it has no value). */
export const curveOf = (points: readonly (Money | undefined)[]): Float64Array =>
  Float64Array.from(points, (p) => (p === undefined ? Number.NaN : Number(p)));

export interface BotOutcome {
  readonly botId: string;
  readonly pool: string;
  /** The bot's books at the end. */
  readonly balance: Money;
  readonly capitalBase: Money;
  readonly contributed: Money;
  readonly harvested: Money;
  readonly protected: Money;
  readonly refilled: Money;
  readonly refills: number;
  readonly metrics: BotMetrics;
}

/** One completed transfer of a backtest, on its cycle's time. */
export interface TimelineTransfer {
  readonly at: string;
  readonly kind: TransferKind;
  readonly botId: string;
  readonly amount: Money;
}

export interface BacktestResult {
  readonly cycles: number;
  /** Cycles the policy was asked to plan (the others were proven quiet). */
  readonly plannedCycles: number;
  readonly from: string;
  readonly to: string;
  readonly startEquity: Money;
  readonly endEquity: Money;
  readonly peakEquity: Money;
  readonly mode: Mode;
  readonly bots: readonly BotOutcome[];
  readonly portfolio: PortfolioMetrics & {
    readonly lossRecovery: ReturnType<typeof lossRecoveryRate>;
  };
  /** Completed transfers by kind: how many, how much. */
  readonly transfers: Readonly<Record<TransferKind, { count: number; amount: Money }>>;
  /** Every completed transfer, in order. */
  readonly timeline: readonly TimelineTransfer[];
  /** Σ the transfers' fees (`transfer_fee` × amount), paid out of the bots' balances. */
  readonly fees: Money;
  /** Largest fall of portfolio equity from its peak, cycle by cycle (0.25 = 25%). */
  readonly maxDrawdown: number;
  /** UTC days on which the portfolio ended a cycle halted. */
  readonly daysHalted: number;
  /** Mode changes and warnings, with the cycle time they happened at. */
  readonly events: readonly { readonly at: string; readonly alert: Alert }[];
  /** Every cycle's equity, reserves and balances, when asked for (`series: true`). */
  readonly series?: BacktestSeries;
}

export class BacktestRecord {
  readonly #config: Config;
  readonly #index: ReadonlyMap<string, number>;
  readonly #transfers = Object.fromEntries(
    TRANSFER_KINDS.map((k) => [k, { count: 0, amount: ZERO }]),
  ) as Record<TransferKind, { count: number; amount: Money }>;
  readonly #timeline: TimelineTransfer[] = [];
  readonly #events: { at: string; alert: Alert }[] = [];
  readonly #refilled: Money[];
  #fees: Money = ZERO;
  #mode: Mode = 'normal';
  #planned = 0;
  #peak = 0;
  #worst = 0;
  readonly #haltedDays = new Set<number>();
  /** Per bot (config order): refilled at least once, and back at its capital base since the last refill. */
  readonly wasRefilled: boolean[];
  readonly recovered: boolean[];

  constructor(config: Config) {
    this.#config = config;
    this.#index = new Map(config.bots.map((b, k) => [b.botId, k]));
    this.#refilled = config.bots.map(() => ZERO);
    this.wasRefilled = config.bots.map(() => false);
    this.recovered = config.bots.map(() => false);
  }

  /** A refilled bot whose balance (before this cycle's transfers) is back at its capital base. */
  sampled(k: number, atOrAboveBase: boolean): void {
    if (atOrAboveBase && this.wasRefilled[k] && !this.recovered[k]) this.recovered[k] = true;
  }

  /** Every cycle: portfolio equity (10⁻⁸ units) as the market left it, and the flags after it. */
  cycle(equity: number, halted: boolean, day: number): void {
    if (equity > this.#peak) this.#peak = equity;
    else if (this.#peak > 0)
      this.#worst = Math.max(this.#worst, (this.#peak - equity) / this.#peak);
    if (halted) this.#haltedDays.add(day);
  }

  /** A warning (or a mode change) to keep, as the events keep them. */
  alert(at: string, a: Alert): void {
    if (a.severity !== 'info' || a.code === 'black_swan_exited')
      this.#events.push({ at, alert: a });
  }

  /** A planned cycle: its transfers completed, their fees paid; the books after it. */
  planned(at: string, state: PortfolioState, decided: Plan): PortfolioState {
    this.#planned++;
    this.#mode = decided.mode;
    for (const t of decided.transfers) {
      const tally = this.#transfers[t.kind];
      this.#transfers[t.kind] = { count: tally.count + 1, amount: add(tally.amount, t.amount) };
      this.#timeline.push({ at, kind: t.kind, botId: t.botId, amount: t.amount });
      const k = this.#index.get(t.botId);
      if (t.kind === 'refill' && k !== undefined) {
        this.#refilled[k] = add(this.#refilled[k] ?? ZERO, t.amount);
        this.wasRefilled[k] = true;
        this.recovered[k] = false;
      }
    }
    for (const a of decided.alerts) this.alert(at, a);
    const paid = payFees(this.#config, afterPlan(state, decided), decided.transfers);
    this.#fees = add(this.#fees, paid.fees);
    return paid.state;
  }

  /** The result, from the books at the end and each bot's metrics. */
  result(
    times: readonly string[],
    end: PortfolioState,
    metricsOf: (k: number, bot: KnownBotState) => BotMetrics,
  ): BacktestResult {
    const first = times[0] ?? new Date(0).toISOString();
    const bots = this.#config.bots.flatMap((b, k): BotOutcome[] => {
      const s = end.bots.get(b.botId);
      if (!s) return [];
      const known = { ...s, balance: balanceOf(s) };
      return [
        {
          botId: b.botId,
          pool: b.pool,
          balance: known.balance,
          capitalBase: s.capitalBase,
          contributed: s.contributed,
          harvested: s.harvested,
          protected: s.protected,
          refilled: this.#refilled[k] ?? ZERO,
          refills: s.refills,
          metrics: metricsOf(k, known),
        },
      ];
    });
    const metrics = portfolioMetrics(end);
    const recovery = this.wasRefilled.flatMap((was, k) =>
      was ? [{ refilled: true, recovered: this.recovered[k] === true }] : [],
    );
    return {
      cycles: times.length,
      plannedCycles: this.#planned,
      from: first,
      to: times.at(-1) ?? first,
      startEquity: this.#config.totalCapital,
      endEquity: metrics.equity,
      peakEquity: end.peakEquity,
      mode: this.#mode,
      bots,
      portfolio: { ...metrics, lossRecovery: lossRecoveryRate(recovery) },
      transfers: this.#transfers,
      timeline: this.#timeline,
      fees: this.#fees,
      maxDrawdown: this.#worst,
      daysHalted: this.#haltedDays.size,
      events: this.#events,
    };
  }
}

/**
 * Each transfer's fee (`transfer_fee` × amount), paid out of its bot's balance: the exchange's
 * side of the bot, never the books — reserves, capital bases and contributions stay what the
 * transfers made them (DESIGN.md §4: a backtest cost, never a deduction the books invent).
 */
function payFees(
  config: Config,
  state: PortfolioState,
  transfers: readonly PlannedTransfer[],
): { state: PortfolioState; fees: Money } {
  const bots = new Map(state.bots);
  let fees: Money = ZERO;
  for (const t of transfers) {
    const b = bots.get(t.botId);
    const exchange = config.bots.find((c) => c.botId === t.botId)?.exchange;
    const fee = feeOf(t.amount, exchange && config.exchanges.get(exchange)?.transferFee);
    if (!b || fee === ZERO) continue;
    const paid = min(fee, balanceOf(b));
    bots.set(t.botId, { ...b, balance: sub(balanceOf(b), paid) });
    fees = add(fees, paid);
  }
  return { state: { ...state, bots }, fees };
}
