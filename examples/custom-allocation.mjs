/**
 * An example `custom` allocation strategy (examples/custom-portfolio.json names it in
 * `allocation.module`). Botfolio calls `weights` once per pool when a rebalance is due, with the
 * pool's enabled bots, and sets each bot's target capital base to its share of the pool's budget.
 * It must be synchronous and deterministic. Here: weight by daily win rate, never below 0.25, so
 * a bot without history (win rate null) counts as a coin flip.
 *
 * @param {{ pool: string, budget: number, bots: { bot_id: string, capital_base: number,
 *   balance: number, weight: number | null, daily_returns: number[], sharpe: number | null,
 *   win_rate: number | null, max_drawdown: number }[] }} input
 * @returns {Record<string, number>} a weight ≥ 0 per bot id (relative: they need not sum to 1)
 */
export function weights(input) {
  return Object.fromEntries(input.bots.map((b) => [b.bot_id, Math.max(0.25, b.win_rate ?? 0.5)]));
}
