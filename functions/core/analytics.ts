/**
 * Performance metrics (DESIGN.md §3, "Metrics"), computed on flow-adjusted returns so that a
 * harvest is not a loss and a refill is not a gain: `r_t = (B_t − (N_t − N_{t−1})) / B_{t−1} − 1`,
 * where `N` is the bot's all-time net contribution (contributed − harvested − protected). Floats
 * are fine here: nothing in this module becomes money. The one exact figure, total PnL, stays exact.
 *
 * We see a bot's equity, not its trades, so its "win rate" is the share of positive DAILY equity
 * returns; every place that shows it says so.
 */
import { add, type Money, sub, sum, toFloat } from './money.ts';
import { type BotState, balanceOf, type KnownBotState, type PortfolioState } from './state.ts';

/** What one cycle saw of a bot: its equity and its all-time net contribution (a BotSnapshot fits). */
export interface EquitySample {
  /** ISO time. */
  readonly at: string;
  readonly balance: Money;
  /** contributed − harvested − protected, all time. */
  readonly netContributed: Money;
}

/** The return of the period that ends at `at`. */
export interface PeriodReturn {
  readonly at: string;
  readonly r: number;
}

/** Calendar days a year: crypto trades every day. */
export const DAYS_PER_YEAR = 365;

/** How a win rate is to be read, wherever one is shown. */
export const WIN_RATE_NOTE =
  'win rate = share of positive daily equity returns (Botfolio sees equity, not trades)';

/**
 * Flow-adjusted returns of consecutive samples. A period that starts from a zero balance has no
 * return (nothing was at risk) and is left out.
 */
export function flowAdjustedReturns(samples: readonly EquitySample[]): PeriodReturn[] {
  const out: PeriodReturn[] = [];
  for (let i = 1; i < samples.length; i++) {
    const prev = samples[i - 1];
    const cur = samples[i];
    if (!prev || !cur) continue;
    const r = periodReturn(prev.balance, prev.netContributed, cur.balance, cur.netContributed);
    if (r !== undefined) out.push({ at: cur.at, r });
  }
  return out;
}

/**
 * The flow-adjusted return of one period from its two samples' balances and net contributions;
 * undefined when it starts from a zero balance (nothing was at risk).
 */
export function periodReturn(
  prevBalance: Money,
  prevNet: Money,
  balance: Money,
  net: Money,
): number | undefined {
  if (prevBalance <= 0n) return undefined;
  return toFloat(sub(balance, sub(net, prevNet))) / toFloat(prevBalance) - 1;
}

/** Period returns compounded into one return per UTC day (the day the period ends), oldest first. */
export function dailyReturns(returns: readonly PeriodReturn[]): PeriodReturn[] {
  const days = new Map<string, number>();
  for (const { at, r } of returns) {
    const day = at.slice(0, 10);
    days.set(day, (1 + (days.get(day) ?? 0)) * (1 + r) - 1);
  }
  return [...days].map(([at, r]) => ({ at, r }));
}

export function mean(xs: readonly number[]): number | undefined {
  return meanOf(xs, 0, xs.length);
}

/** Mean of `xs[from..to)`, summed in order (the analytics alerts read windows without copying them). */
function meanOf(xs: readonly number[], from: number, to: number): number | undefined {
  if (to <= from) return undefined;
  let s = 0;
  for (let i = from; i < to; i++) s += xs[i] ?? 0;
  return s / (to - from);
}

/** Sample standard deviation (n − 1); undefined below two values. */
export function stdev(xs: readonly number[]): number | undefined {
  return stdevOf(xs, 0, xs.length);
}

function stdevOf(xs: readonly number[], from: number, to: number): number | undefined {
  const m = meanOf(xs, from, to);
  if (m === undefined || to - from < 2) return undefined;
  let s = 0;
  for (let i = from; i < to; i++) {
    const d = (xs[i] ?? 0) - m;
    s += d * d;
  }
  return Math.sqrt(s / (to - from - 1));
}

/** Share of strictly positive returns; undefined without any. */
export function winRate(returns: readonly number[]): number | undefined {
  return returns.length === 0 ? undefined : returns.filter((r) => r > 0).length / returns.length;
}

/**
 * Sharpe ratio with a risk-free rate of 0: mean ÷ standard deviation × √(periods a year).
 * Undefined below two returns or when they never vary.
 */
export function sharpeRatio(returns: readonly number[], periodsPerYear = 1): number | undefined {
  const m = mean(returns);
  const sd = stdev(returns);
  if (m === undefined || sd === undefined || sd === 0) return undefined;
  return (m / sd) * Math.sqrt(periodsPerYear);
}

/** The largest fall from a peak of the compounded returns, as a fraction (0.25 = 25%). */
export function maxDrawdown(returns: readonly number[]): number {
  let index = 1;
  let peak = 1;
  let worst = 0;
  for (const r of returns) {
    index *= 1 + r;
    peak = Math.max(peak, index);
    worst = Math.max(worst, peak > 0 ? (peak - index) / peak : 0);
  }
  return worst;
}

/** Total PnL: `B + harvested + protected − contributed` (exact). */
export function totalPnl(b: KnownBotState): Money {
  return sub(add(add(b.balance, b.harvested), b.protected), b.contributed);
}

/** A bot's net contribution: what flow-adjusted returns take out of a balance change. */
export function netContributed(b: BotState): Money {
  return sub(sub(b.contributed, b.harvested), b.protected);
}

export interface BotMetrics {
  readonly pnl: Money;
  /** Daily returns the ratios below are computed on. */
  readonly days: number;
  /** Share of positive daily returns (see WIN_RATE_NOTE). */
  readonly winRate: number | undefined;
  /** Annualised (√365) Sharpe of the daily returns, risk-free 0. */
  readonly sharpe: number | undefined;
  /** Largest fall of the flow-adjusted equity, at the samples' own resolution. */
  readonly maxDrawdown: number;
  /** Standard deviation of the daily returns. */
  readonly volatility: number | undefined;
}

/** A bot's metrics from its books and its equity samples (oldest first). */
export function botMetrics(bot: KnownBotState, samples: readonly EquitySample[]): BotMetrics {
  const returns = flowAdjustedReturns(samples);
  const daily = dailyReturns(returns).map((d) => d.r);
  return {
    pnl: totalPnl(bot),
    days: daily.length,
    winRate: winRate(daily),
    sharpe: sharpeRatio(daily, DAYS_PER_YEAR),
    maxDrawdown: maxDrawdown(returns.map((p) => p.r)),
    volatility: stdev(daily),
  };
}

export interface PortfolioMetrics {
  /** Σ bot balances + Σ reserves. */
  readonly equity: Money;
  readonly harvested: Money;
  /** Harvested profit plus the profit still in the bots (per bot, where positive). */
  readonly grossProfit: Money;
  /** harvested ÷ gross profit; undefined while there is no profit. */
  readonly profitRetention: number | undefined;
}

/**
 * Profit retention (the spec's "% of profits successfully harvested"): harvested profit ÷ gross
 * profit, where a bot's gross profit is what it gave back as harvests plus, when positive, what it
 * still holds beyond all that was put into it (B + protected − contributed). A bot that was
 * harvested and then lost the rest retained all it made; a bot sitting on unharvested profit
 * retained none of it yet.
 */
export function portfolioMetrics(state: PortfolioState): PortfolioMetrics {
  const bots = [...state.bots.values()];
  const harvested = sum(bots.map((b) => b.harvested));
  const unharvested = bots.map((b) => sub(totalPnl({ ...b, balance: balanceOf(b) }), b.harvested));
  const grossProfit = add(harvested, sum(unharvested.filter((u) => u > 0n)));
  return {
    equity: add(sum(bots.map(balanceOf)), sum(state.reserves.values())),
    harvested,
    grossProfit,
    profitRetention: grossProfit > 0n ? toFloat(harvested) / toFloat(grossProfit) : undefined,
  };
}

/** Loss recovery rate: of the bots that were refilled, the share that later got back to `C`. */
export function lossRecoveryRate(
  bots: readonly { readonly refilled: boolean; readonly recovered: boolean }[],
): { readonly refilled: number; readonly recovered: number; readonly rate: number | undefined } {
  const refilled = bots.filter((b) => b.refilled).length;
  const recovered = bots.filter((b) => b.refilled && b.recovered).length;
  return { refilled, recovered, rate: refilled === 0 ? undefined : recovered / refilled };
}

// ── Alerts from a bot's own history ────────────────────────────────────────────────────────────

/** Earlier returns `unusual_loss` needs before it judges a loss. */
export const UNUSUAL_LOSS_MIN_SAMPLES = 20;
/** How many standard deviations below its mean a cycle's loss must be to be unusual. */
export const UNUSUAL_LOSS_Z = 3;
/** Cycle returns in each of the two windows `performance_degraded` compares. */
export const DEGRADED_WINDOW = 24;

export interface UnusualLoss {
  readonly r: number;
  readonly mean: number;
  readonly sd: number;
  /** Standard deviations below the mean; -Infinity when the earlier returns never varied. */
  readonly z: number;
}

/**
 * `unusual_loss`: the latest cycle return is a loss more than UNUSUAL_LOSS_Z standard deviations
 * below the mean of the bot's earlier cycle returns (at least UNUSUAL_LOSS_MIN_SAMPLES of them).
 * When the earlier returns never varied, any loss below their mean is unusual.
 */
export function unusualLoss(returns: readonly number[]): UnusualLoss | undefined {
  const r = returns.at(-1);
  const earlier = returns.length - 1;
  if (r === undefined || r >= 0 || earlier < UNUSUAL_LOSS_MIN_SAMPLES) return undefined;
  const m = meanOf(returns, 0, earlier) ?? 0;
  const sd = stdevOf(returns, 0, earlier) ?? 0;
  if (sd === 0) return r < m ? { r, mean: m, sd, z: Number.NEGATIVE_INFINITY } : undefined;
  const z = (r - m) / sd;
  return z < -UNUSUAL_LOSS_Z ? { r, mean: m, sd, z } : undefined;
}

/** Mean returns closer to zero than this are zero (float noise of sums that cancel out). */
export const FLAT = 1e-12;

/** Sign of the Sharpe ratio of a window: the sign of its mean (a flat window counts as zero). */
function sharpeSign(xs: readonly number[], from: number, to: number): number {
  const m = meanOf(xs, from, to) ?? 0;
  return Math.abs(m) < FLAT ? 0 : Math.sign(m);
}

/** The window of DEGRADED_WINDOW returns ending at index `end` (exclusive) turned bad after a good one. */
function degradedAt(returns: readonly number[], end: number): boolean {
  const w = DEGRADED_WINDOW;
  if (end - 2 * w < 0) return false;
  return sharpeSign(returns, end - w, end) < 0 && sharpeSign(returns, end - 2 * w, end - w) > 0;
}

export interface Degradation {
  /** Mean cycle return of the last DEGRADED_WINDOW returns (negative). */
  readonly recentMean: number;
  /** Mean cycle return of the DEGRADED_WINDOW before them (positive). */
  readonly beforeMean: number;
}

/**
 * `performance_degraded`: the rolling Sharpe ratio of the last DEGRADED_WINDOW cycle returns has
 * just turned negative, while that of the DEGRADED_WINDOW returns before them was positive. It
 * fires on the cycle the turn happens, not on every cycle after (needs 2 × window + 1 returns).
 */
export function performanceDegraded(returns: readonly number[]): Degradation | undefined {
  const n = returns.length;
  if (!degradedAt(returns, n) || degradedAt(returns, n - 1)) return undefined;
  const w = DEGRADED_WINDOW;
  return {
    recentMean: meanOf(returns, n - w, n) ?? 0,
    beforeMean: meanOf(returns, n - 2 * w, n - w) ?? 0,
  };
}

/** Samples of history the cycle reads per bot for the alerts above (2 × window + 1 returns). */
export const ALERT_HISTORY_SAMPLES = 2 * DEGRADED_WINDOW + 1;

/**
 * A bot's recent cycle returns, kept from cycle to cycle so that a cycle judges its history
 * alerts without re-reading the series (DESIGN.md §7): the flow-adjusted return of each of its
 * last periods, oldest first (`null` for one that started from a zero balance), and the sample
 * the last period ends on. They are exactly the periods of the last ALERT_HISTORY_SAMPLES
 * samples of its series, which is what the alerts were computed from.
 */
export interface RecentReturns {
  readonly last: EquitySample;
  readonly returns: readonly (number | null)[];
}

/** Periods kept: a plan adds this cycle's to judge ALERT_HISTORY_SAMPLES of them. */
export const RECENT_PERIODS = ALERT_HISTORY_SAMPLES - 1;

/** The recent returns of a series (its last RECENT_PERIODS periods); undefined when it is empty. */
export function recentOf(samples: readonly EquitySample[]): RecentReturns | undefined {
  let recent: RecentReturns | undefined;
  for (const s of samples) recent = withSample(recent, s);
  return recent;
}

/** The periods of `recent` and the one that ends on `sample`, if it is newer (none dropped). */
function periodsTo(recent: RecentReturns, sample: EquitySample): readonly (number | null)[] {
  if (Date.parse(sample.at) <= Date.parse(recent.last.at)) return recent.returns;
  const { balance, netContributed } = recent.last;
  const r = periodReturn(balance, netContributed, sample.balance, sample.netContributed);
  return [...recent.returns, r ?? null];
}

/** The recent returns once `sample` is added to the series (unchanged unless it is newer). */
export function withSample(recent: RecentReturns | undefined, sample: EquitySample): RecentReturns {
  if (!recent) return { last: sample, returns: [] };
  if (Date.parse(sample.at) <= Date.parse(recent.last.at)) return recent;
  return { last: sample, returns: periodsTo(recent, sample).slice(-RECENT_PERIODS) };
}

/**
 * The returns the history alerts judge: the recent ones and this cycle's (when `now`, the
 * bot's sample this cycle, is newer), those periods that have one — ALERT_HISTORY_SAMPLES at
 * most, as from the series.
 */
export const judgedReturns = (recent: RecentReturns, now?: EquitySample): number[] =>
  (now ? periodsTo(recent, now) : recent.returns).filter((r): r is number => r !== null);
