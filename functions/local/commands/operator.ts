/**
 * `botfolio halt`, `botfolio resume` and `botfolio confirm-balance`: an operator's hand on the
 * local data folder or a deployed stack (`--stack`). `halt` sets the latched `halted` flag (no
 * allocation, refill or rebalance into a bot is planned, and the transfer workflow refuses any
 * already planned). `resume` clears it — the only way it clears (DESIGN.md §3) — and can lift
 * `no_refill_policy` blocks of named bots. `confirm-balance` records that a bot's balance beyond
 * `max_plausible_jump` is real.
 *
 * Reading: `resume` also restarts the drawdown count from the equity now (the new peak). The stop
 * compares equity with the peak, so without this the next cycle would halt again at once unless
 * the portfolio had already recovered; resuming means accepting the loss so far.
 */
import { userInfo } from 'node:os';
import type { Config } from '../../core/config.ts';
import { type Money, money, showMoney, ZERO } from '../../core/money.ts';
import { portfolioEquity } from '../../core/policy.ts';
import { showRatio } from '../../core/policy-amounts.ts';
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
      await store.portfolio.setHalted(
        config.portfolioId,
        false,
        equity === undefined ? undefined : { equity, flowsSeen: state.peakFlows ?? ZERO },
      );
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

/**
 * `botfolio confirm-balance BOT --amount X --reason TEXT`: an operator's word that the bot's
 * balance, beyond `max_plausible_jump` × what it last had, is real (DESIGN.md §3: unknown "unless
 * an operator confirms it"). Recorded in the state — the amount, when, why and by whom — the bot's
 * next reading is judged against it: that value, or one plausible from it, is believed. That
 * reading ends it, believed or not: a confirmation is for one reading, never a standing bypass.
 */
export function confirmBalanceCommand(
  config: Config,
  at: BooksAt,
  botId: string,
  input: { readonly amount: string; readonly reason: string },
): Promise<number> {
  const problems: string[] = [];
  const bots = config.bots.map((b) => b.botId);
  if (!bots.includes(botId)) {
    problems.push(`${botId}: bot not in the config (bots: ${bots.join(', ')})`);
  }
  const balance = amountOf(input.amount);
  if (balance === undefined) {
    problems.push(
      `--amount ${JSON.stringify(input.amount)}: expected the balance, an amount above 0 such as 5000 or 5000.25`,
    );
  }
  const reason = input.reason.trim();
  if (reason === '') {
    problems.push('--reason: say why the balance is real (e.g. "deposited 5000 by hand")');
  }
  if (problems.length > 0 || balance === undefined) {
    process.stderr.write(problems.map((p) => `${p}\n`).join(''));
    return Promise.resolve(1);
  }
  return withStoredState(config, at, async (store, state) => {
    if (!state.bots.has(botId)) {
      process.stderr.write(
        `${botId} is not funded yet: its balance is not read, there is nothing to confirm\n`,
      );
      return 1;
    }
    const by = operator();
    await store.portfolio.confirmBalance(config.portfolioId, botId, {
      balance,
      at: new Date().toISOString(),
      reason,
      by,
    });
    const shown = showMoney(balance);
    process.stdout.write(
      `${botId}: balance ${shown} ${config.currency} confirmed by ${by} (${reason}); the next cycle believes a reading of it, or of up to ${showRatio(config.maxPlausibleJump)} × ${shown} (max_plausible_jump), and that reading ends the confirmation\n`,
    );
    return 0;
  });
}

/** An amount above 0 from the command line, or undefined. */
function amountOf(text: string): Money | undefined {
  try {
    const m = money(text.trim());
    return m > 0n ? m : undefined;
  } catch {
    return undefined;
  }
}

/** Who runs the command, as the machine knows it. */
function operator(): string {
  try {
    return userInfo().username;
  } catch {
    return 'an unknown user';
  }
}
