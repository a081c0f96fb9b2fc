/**
 * The books after a plan, as if every one of its transfers completed: each transfer's ledger
 * deltas (ledger.ts — the very deltas the store applies to its projection), then the plan's flags,
 * peak, refill blocks and last rebalance. Backtests replay a portfolio through it, and the
 * property tests re-plan on it to check that a completed decision is not taken again.
 */
import { type LedgerInput, ledgerDeltas, ledgerEffects } from './ledger.ts';
import { type Money, ZERO } from './money.ts';
import type { Plan } from './policy.ts';
import type { BotState, PortfolioState } from './state.ts';

const UNFUNDED: BotState = {
  balance: ZERO,
  capitalBase: ZERO,
  contributed: ZERO,
  harvested: ZERO,
  protected: ZERO,
  refills: 0,
  refillBlocked: false,
  inFlight: false,
};

/**
 * The state with `transfers` completed: reserves, bots' books, the capital layout and the peak
 * moved by their ledger deltas, bots bound or closed by their effects (ledger.ts).
 */
export function withCompleted(
  state: PortfolioState,
  transfers: readonly LedgerInput[],
): PortfolioState {
  const reserves = new Map(state.reserves);
  const bots = new Map(state.bots);
  const capital = state.capital && new Map(state.capital);
  const retired = new Map(state.retired);
  let peakEquity = state.peakEquity;
  const protectedThisEpisode = new Set(state.protectedThisEpisode);
  for (const t of transfers) {
    if (t.kind === 'protect') protectedThisEpisode.add(t.botId);
    const effects = ledgerEffects(t);
    for (const { target, delta } of ledgerDeltas(t)) {
      if (target.kind === 'reserve') {
        reserves.set(target.name, ((reserves.get(target.name) ?? ZERO) + delta) as Money);
        continue;
      }
      if (target.kind === 'capital') {
        capital?.set(target.name, ((capital.get(target.name) ?? ZERO) + delta) as Money);
        continue;
      }
      if (target.kind === 'peak') {
        peakEquity = (peakEquity + delta) as Money;
        continue;
      }
      const b = bots.get(target.botId) ?? UNFUNDED;
      const key = target.field;
      bots.set(
        target.botId,
        key === 'refills'
          ? { ...b, refills: b.refills + Number(delta) }
          : key === 'balance'
            ? { ...b, balance: b.balance === null ? null : ((b.balance + delta) as Money) }
            : { ...b, [key]: (b[key] + delta) as Money },
      );
    }
    if (effects.bind) {
      const b = bots.get(effects.bind.botId) ?? UNFUNDED;
      if (!b.binding) bots.set(effects.bind.botId, { ...b, binding: effects.bind.binding });
    }
    if (effects.close) {
      bots.delete(effects.close.botId);
      if (effects.close.account !== undefined)
        retired.set(effects.close.botId, effects.close.account);
    }
    if (t.kind === 'adoption') retired.delete(t.botId);
  }
  return {
    ...state,
    reserves,
    bots,
    peakEquity,
    ...(capital && { capital }),
    ...(retired.size > 0 && { retired }),
    ...(protectedThisEpisode.size > 0 && { protectedThisEpisode }),
  };
}

/** The state a cycle leaves when every transfer of its plan completed. */
export function afterPlan(state: PortfolioState, plan: Plan): PortfolioState {
  // A new episode starts with nobody protected; none is under way once it ended.
  const newEpisode = !plan.flags.blackSwan || !state.flags.blackSwan;
  const { protectedThisEpisode: _, ...rest } = state;
  const done = withCompleted(newEpisode ? rest : state, plan.transfers);
  const bots = new Map(done.bots);
  for (const change of plan.refillBlocks) {
    const b = bots.get(change.botId);
    if (b) bots.set(change.botId, { ...b, refillBlocked: change.blocked });
  }
  return {
    ...done,
    bots,
    flags: plan.flags,
    peakEquity: plan.peakEquity,
    ...(plan.lastRebalance !== undefined && { lastRebalance: plan.lastRebalance }),
  };
}
