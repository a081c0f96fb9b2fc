/**
 * A backtest's per-bot metrics kept as the cycles go (the figures `botMetrics` computes from a
 * bot's whole series, without keeping the series): the running peak and worst fall of the
 * compounded cycle returns, and one compounded return per UTC day. The same float operations in
 * the same order as analytics.ts, so the figures are the same to the last bit.
 */
import {
  type BotMetrics,
  DAYS_PER_YEAR,
  sharpeRatio,
  stdev,
  totalPnl,
  winRate,
} from './analytics.ts';
import type { KnownBotState } from './state.ts';

export class RunningMetrics {
  readonly #index: Float64Array;
  readonly #peak: Float64Array;
  readonly #worst: Float64Array;
  /** Bot k's compounded return of day d at k × days + d (NaN: no period ended that day). */
  readonly #daily: Float64Array;
  readonly #days: number;

  /** `days`: how many distinct UTC days the cycles' times fall on. */
  constructor(bots: number, days: number) {
    this.#days = days;
    this.#index = new Float64Array(bots).fill(1);
    this.#peak = new Float64Array(bots).fill(1);
    this.#worst = new Float64Array(bots);
    this.#daily = new Float64Array(bots * days).fill(Number.NaN);
  }

  /** Bot `k`'s return of a period that ended on day `day` (days numbered in order of appearance). */
  push(k: number, r: number, day: number): void {
    const index = (this.#index[k] ?? 1) * (1 + r);
    const peak = Math.max(this.#peak[k] ?? 1, index);
    this.#index[k] = index;
    this.#peak[k] = peak;
    this.#worst[k] = Math.max(this.#worst[k] ?? 0, peak > 0 ? (peak - index) / peak : 0);
    const i = k * this.#days + day;
    const sofar = this.#daily[i] ?? Number.NaN;
    this.#daily[i] = (1 + (Number.isNaN(sofar) ? 0 : sofar)) * (1 + r) - 1;
  }

  /** Bot `k`'s daily returns, oldest first. */
  dailyReturns(k: number): number[] {
    const out: number[] = [];
    for (let d = 0; d < this.#days; d++) {
      const r = this.#daily[k * this.#days + d] ?? Number.NaN;
      if (!Number.isNaN(r)) out.push(r);
    }
    return out;
  }

  /** What `botMetrics(bot, samples)` gives for the samples pushed. */
  metrics(k: number, bot: KnownBotState): BotMetrics {
    const daily = this.dailyReturns(k);
    return {
      pnl: totalPnl(bot),
      days: daily.length,
      winRate: winRate(daily),
      sharpe: sharpeRatio(daily, DAYS_PER_YEAR),
      maxDrawdown: this.#worst[k] ?? 0,
      volatility: stdev(daily),
    };
  }
}
