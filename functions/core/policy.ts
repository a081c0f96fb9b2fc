/**
 * The policy engine (DESIGN.md §3): from the config and the portfolio's state, the plan of one
 * cycle — the mode, its flags, the peak equity, the transfers to make and the alerts to send.
 * Pure and deterministic: no I/O, no clock, the same input gives the same plan.
 *
 * Bots are decided in config order, and each gets at most one decision: the first rule that
 * applies to it decides, even when what it decides is to do nothing (policy-rules.ts). Every
 * amount goes through `sizeTransfer` (cap, precision, minimum), and every reserve through one
 * `ReserveBook`, so no plan spends a reserve twice or takes the emergency reserve below its
 * minimum (policy-amounts.ts).
 */
import type { Alert } from './alerts.ts';
import type { BotConfig, Config } from './config.ts';
import { add, type Money, max, sum } from './money.ts';
import { limitsOf, ReserveBook } from './policy-amounts.ts';
import {
  allocate,
  type Context,
  type Decision,
  FUNDED_RULES,
  type FundedBot,
  nothing,
  portfolioAlerts,
} from './policy-rules.ts';
import type { BotState, Flags, PortfolioState } from './state.ts';
import type { PlannedTransfer } from './transfer.ts';

export { permits } from './policy-rules.ts';

export type Mode = 'normal' | 'halted' | 'black_swan';

/** What the manager would do now. */
export interface Plan {
  readonly mode: Mode;
  /** The mode flags after this cycle (latched in state). */
  readonly flags: Flags;
  /** max(previous peak, equity now). */
  readonly peakEquity: Money;
  readonly transfers: PlannedTransfer[];
  readonly alerts: Alert[];
}

export interface PlanOptions {
  /** Bots with a transfer still running (besides those the state marks `in_flight`). */
  readonly inFlight?: ReadonlySet<string>;
}

/** `black_swan` if that flag is set, else `halted` if set, else `normal`. */
export function modeOf(flags: Flags): Mode {
  return flags.blackSwan ? 'black_swan' : flags.halted ? 'halted' : 'normal';
}

/**
 * The deployed ratio `R` = Σ B / Σ C over funded, enabled bots, as its two exact sums (the
 * black-swan test compares them exactly); undefined when no capital is deployed.
 */
export function deployedSums(
  config: Config,
  state: PortfolioState,
): { balance: Money; capitalBase: Money } | undefined {
  const bots = config.bots.filter((b) => b.enabled).flatMap((b) => state.bots.get(b.botId) ?? []);
  const capitalBase = sum(bots.map((b) => b.capitalBase));
  return capitalBase > 0n ? { balance: sum(bots.map((b) => b.balance)), capitalBase } : undefined;
}

/** Portfolio equity `E`: Σ bot balances + Σ reserves. */
export function portfolioEquity(state: PortfolioState): Money {
  return add(sum([...state.bots.values()].map((b) => b.balance)), sum(state.reserves.values()));
}

/** The plan of one cycle. */
export function plan(config: Config, state: PortfolioState, opts: PlanOptions = {}): Plan {
  const flags: Flags = { halted: state.flags.halted, blackSwan: state.flags.blackSwan };
  const ctx: Context = { config, flags, book: ReserveBook.of(config, state) };
  const transfers: PlannedTransfer[] = [];
  const alerts: Alert[] = [...portfolioAlerts(ctx)];
  for (const bot of config.bots) {
    const d = decide(ctx, bot, state.bots.get(bot.botId), opts.inFlight);
    transfers.push(...d.transfers);
    alerts.push(...d.alerts);
  }
  return {
    mode: modeOf(flags),
    flags,
    peakEquity: max(state.peakEquity, portfolioEquity(state)),
    transfers,
    alerts,
  };
}

function decide(
  ctx: Context,
  config: BotConfig,
  state: BotState | undefined,
  inFlight: ReadonlySet<string> | undefined,
): Decision {
  if (!config.enabled || inFlight?.has(config.botId) || state?.inFlight) return nothing();
  const pool = ctx.config.pools.get(config.pool);
  const limits = limitsOf(ctx.config, config.exchange);
  if (!pool || !limits) return nothing(); // parseConfig refuses both
  if (!state) return allocate(ctx, { config, pool, limits });
  const bot: FundedBot = { config, pool, limits, state };
  for (const rule of FUNDED_RULES) {
    const decision = rule(ctx, bot);
    if (decision) return decision;
  }
  return nothing();
}
