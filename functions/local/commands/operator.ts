/**
 * `botfolio halt` and `botfolio resume`: an operator's hand on the emergency stop, on the local
 * data folder or a deployed stack (`--stack`). `halt` sets the latched `halted` flag (no allocation, refill or rebalance into a bot
 * is planned, and the transfer workflow refuses any already planned). `resume` clears it — the only
 * way it clears (DESIGN.md §3) — and can lift `no_refill_policy` blocks of named bots.
 *
 * Reading: `resume` also restarts the drawdown count from the equity now (the new peak). The stop
 * compares equity with the peak, so without this the next cycle would halt again at once unless
 * the portfolio had already recovered; resuming means accepting the loss so far.
 */
import type { Config } from '../../core/config.ts';
import { portfolioEquity } from '../../core/policy.ts';
import { showAmount } from '../board.ts';
import { type BooksAt, withStoredState } from '../books.ts';

export function haltCommand(config: Config, at: BooksAt): Promise<number> {
  return withStoredState(config, at, async (store, state) => {
    if (state.flags.halted) {
      process.stdout.write(`portfolio ${config.portfolioId} is already halted\n`);
      return 0;
    }
    await store.portfolio.setHalted(config.portfolioId, true);
    process.stdout.write(
      `portfolio ${config.portfolioId} halted: no allocation, refill or rebalance into a bot until \`botfolio resume\`; harvests and protection go on\n`,
    );
    return 0;
  });
}

export function resumeCommand(
  config: Config,
  at: BooksAt,
  unblock: readonly string[],
): Promise<number> {
  const known = new Set(config.bots.map((b) => b.botId));
  const unknown = unblock.filter((id) => !known.has(id));
  if (unknown.length > 0) {
    for (const id of unknown) {
      process.stderr.write(
        `--unblock ${id}: bot not in the config (bots: ${[...known].join(', ')})\n`,
      );
    }
    return Promise.resolve(1);
  }
  return withStoredState(config, at, async (store, state) => {
    const lines: string[] = [];
    if (state.flags.halted) {
      const equity = portfolioEquity(state);
      await store.portfolio.setHalted(config.portfolioId, false, equity);
      lines.push(
        `portfolio ${config.portfolioId} resumed; the emergency stop now counts its drawdown from ${showAmount(equity)} ${config.currency} (the equity at the last cycle)`,
      );
    } else if (unblock.length === 0) {
      lines.push(`portfolio ${config.portfolioId} is not halted: nothing to resume`);
    }
    if (state.flags.blackSwan) {
      lines.push('black swan is still on: it ends by itself once the deployed ratio recovers');
    }
    for (const botId of unblock) {
      if (!state.bots.get(botId)?.refillBlocked) {
        lines.push(`${botId}: refills were not blocked`);
        continue;
      }
      await store.portfolio.setRefillBlocked(config.portfolioId, botId, false);
      lines.push(`${botId}: refills unblocked`);
    }
    process.stdout.write(`${lines.join('\n')}\n`);
    return 0;
  });
}
