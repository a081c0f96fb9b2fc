/**
 * Backtests (DESIGN.md §2, "equity-curve CSVs"): a portfolio replayed through the policy over
 * recorded equity curves, one cycle per curve row. Pure: no store, no exchange. Each cycle the
 * bots' balances move as their curves did (B × E_t ÷ E_{t−1}, exact, rounded down), the policy
 * plans exactly as the cycle would — with the same window of history — and every planned transfer
 * completes (simulate.ts), paying its exchange's `transfer_fee` out of its bot's balance. The
 * result carries per-bot metrics, the portfolio's profit retention and the fees paid.
 */
import type { Alert } from './alerts.ts';
import {
  type BotMetrics,
  botMetrics,
  type EquitySample,
  lossRecoveryRate,
  netContributed,
  type PortfolioMetrics,
  portfolioMetrics,
} from './analytics.ts';
import type { Config } from './config.ts';
import { add, type Money, min, sub, ZERO } from './money.ts';
import { historySamplesToRead, type Mode, plan } from './policy.ts';
import { feeOf } from './policy-amounts.ts';
import { afterPlan } from './simulate.ts';
import { balanceOf, initialState, type PortfolioState } from './state.ts';
import type { WeightsFunction } from './strategies.ts';
import { type PlannedTransfer, TRANSFER_KINDS, type TransferKind } from './transfer.ts';

/** Equity curves on a common clock: `values[bot][i]` at `times[i]`, undefined where a curve has no value. */
export interface EquityCurves {
  /** ISO times, strictly increasing. */
  readonly times: readonly string[];
  readonly values: ReadonlyMap<string, readonly (Money | undefined)[]>;
}

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

export interface BacktestResult {
  readonly cycles: number;
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
  /** Σ the transfers' fees (`transfer_fee` × amount), paid out of the bots' balances. */
  readonly fees: Money;
  /** Mode changes and warnings, with the cycle time they happened at. */
  readonly events: readonly { readonly at: string; readonly alert: Alert }[];
}

/** Curves every enabled bot of `config` must have; a curve for an unknown bot is refused. */
export function curveProblems(config: Config, curves: EquityCurves): string[] {
  const known = new Set(config.bots.map((b) => b.botId));
  const problems: string[] = [];
  for (const id of curves.values.keys()) {
    if (!known.has(id)) problems.push(`curve "${id}": bot not in the config`);
  }
  for (const b of config.bots) {
    if (b.enabled && !curves.values.has(b.botId)) {
      problems.push(`bot "${b.botId}": no equity curve`);
    }
  }
  if (curves.times.length === 0) problems.push('no rows');
  return problems;
}

/** Replays `curves` through the policy; `curveProblems` must be empty. */
export function backtest(
  config: Config,
  curves: EquityCurves,
  opts: { readonly customWeights?: WeightsFunction } = {},
): BacktestResult {
  const { times } = curves;
  const first = times[0] ?? new Date(0).toISOString();
  let state: PortfolioState = initialState(config, first);
  const startEquity = config.totalCapital;
  const samples = new Map<string, EquitySample[]>();
  const last = new Map<string, Money>();
  const refilled = new Map<string, Money>();
  const recovery = new Map<string, { refilled: boolean; recovered: boolean }>();
  const transfers = Object.fromEntries(
    TRANSFER_KINDS.map((k) => [k, { count: 0, amount: ZERO }]),
  ) as Record<TransferKind, { count: number; amount: Money }>;
  const events: { at: string; alert: Alert }[] = [];
  let mode: Mode = 'normal';
  let fees: Money = ZERO;

  times.forEach((at, i) => {
    state = { ...state, asOf: at, bots: moved(state, curves.values, i, last) };
    const window = historySamplesToRead(config, state);
    const history = new Map([...samples].map(([id, xs]) => [id, xs.slice(-window)]));
    const decided = plan(config, state, {
      history,
      ...(opts.customWeights && { customWeights: opts.customWeights }),
    });
    mode = decided.mode;

    for (const [botId, b] of state.bots) {
      const list = samples.get(botId) ?? [];
      list.push({ at, balance: balanceOf(b), netContributed: netContributed(b) });
      samples.set(botId, list);
      const r = recovery.get(botId);
      if (r?.refilled && !r.recovered && balanceOf(b) >= b.capitalBase) r.recovered = true;
    }
    for (const t of decided.transfers) {
      const k = transfers[t.kind];
      transfers[t.kind] = { count: k.count + 1, amount: add(k.amount, t.amount) };
      if (t.kind === 'refill') {
        refilled.set(t.botId, add(refilled.get(t.botId) ?? ZERO, t.amount));
        recovery.set(t.botId, { refilled: true, recovered: false });
      }
    }
    for (const a of decided.alerts) {
      if (a.severity !== 'info' || a.code === 'black_swan_exited') events.push({ at, alert: a });
    }
    const paid = payFees(config, afterPlan(state, decided), decided.transfers);
    state = paid.state;
    fees = add(fees, paid.fees);
  });

  const bots = config.bots.flatMap((b): BotOutcome[] => {
    const s = state.bots.get(b.botId);
    if (!s) return [];
    return [
      {
        botId: b.botId,
        pool: b.pool,
        balance: balanceOf(s),
        capitalBase: s.capitalBase,
        contributed: s.contributed,
        harvested: s.harvested,
        protected: s.protected,
        refilled: refilled.get(b.botId) ?? ZERO,
        refills: s.refills,
        metrics: botMetrics({ ...s, balance: balanceOf(s) }, samples.get(b.botId) ?? []),
      },
    ];
  });
  const metrics = portfolioMetrics(state);
  return {
    cycles: times.length,
    from: first,
    to: times.at(-1) ?? first,
    startEquity,
    endEquity: metrics.equity,
    peakEquity: state.peakEquity,
    mode,
    bots,
    portfolio: { ...metrics, lossRecovery: lossRecoveryRate([...recovery.values()]) },
    transfers,
    fees,
    events,
  };
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

/**
 * Every funded bot's balance after the market of row `i`: B × E_i ÷ E_{i−1} with the bot's last
 * curve value before (carried over gaps), rounded down to 10⁻⁸. A curve that reached zero no
 * longer moves the bot.
 */
function moved(
  state: PortfolioState,
  values: ReadonlyMap<string, readonly (Money | undefined)[]>,
  i: number,
  last: Map<string, Money>,
): PortfolioState['bots'] {
  const bots = new Map(state.bots);
  for (const [botId, curve] of values) {
    const now = curve[i];
    if (now === undefined) continue;
    const before = last.get(botId);
    last.set(botId, now);
    const b = bots.get(botId);
    if (!b || before === undefined) continue;
    const held = balanceOf(b);
    const balance = before > 0n ? (((held * now) / before) as Money) : held;
    bots.set(botId, { ...b, balance });
  }
  return bots;
}
