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
 *
 * With `emergency_stop.pause_bots`, `halt` is also the coordinated stop (usecases/pause-bots.ts):
 * the flag is set first — it holds whatever the bots answer — then every bot with a control API is
 * asked to pause, and the answers are journaled. `resume` names the bots that halt's stop paused
 * (and those it could not ask), to restart by hand: Botfolio never restarts a bot.
 */
import { userInfo } from 'node:os';
import type { Config } from '../../core/config.ts';
import { operationCycleId } from '../../core/cycle-id.ts';
import { formatMoney, type Money, money, showMoney, ZERO } from '../../core/money.ts';
import {
  type BotPause,
  controlTargetOf,
  FLEET,
  OUTCOME_WORDS,
  type PauseAnswer,
  pauseSummary,
  pausesBots,
  restartLines,
  toRestart,
} from '../../core/pause.ts';
import { portfolioEquity } from '../../core/policy.ts';
import { showRatio } from '../../core/policy-amounts.ts';
import type { PortfolioState } from '../../core/state.ts';
import type { Journal } from '../../core/store-ports.ts';
import type { JournalEntry } from '../../core/transfer.ts';
import { coordinatedStop } from '../../usecases/pause-bots.ts';
import { showAmount } from '../board.ts';
import { type BooksAt, withStoredState } from '../books.ts';

/**
 * The pauser of the coordinated stop where the books are: the bots' Freqtrade passwords from the
 * env vars their `password_secret` names (and `.env`) locally, from Secrets Manager for a stack —
 * loaded only when the config pauses bots and one has a control API, so a plain `halt` stays quick.
 */
async function pauserFor(config: Config, at: BooksAt): Promise<BotPause | undefined> {
  if (!pausesBots(config) || !config.bots.some((b) => controlTargetOf(b))) return undefined;
  const { freqtradePauser } = await import('../../adapters/freqtrade-api.ts');
  if (at.stack !== undefined) {
    const { SecretsManagerClient } = await import('@aws-sdk/client-secrets-manager');
    const { secretsManagerPasswords } = await import('../../adapters/health-secrets.ts');
    return freqtradePauser(secretsManagerPasswords(new SecretsManagerClient({})));
  }
  const { envPasswords } = await import('../../adapters/health-secrets.ts');
  const { withDotEnv } = await import('../../adapters/secrets.ts');
  return freqtradePauser(envPasswords(withDotEnv(process.env)));
}

/** One line per bot's answer to the pause. */
const answerLines = (answers: readonly PauseAnswer[]): string[] =>
  answers.map(
    (a) =>
      `  ${a.botId}: ${OUTCOME_WORDS[a.outcome]}${a.status !== undefined ? ` (HTTP ${a.status})` : ''} — ${a.detail}`,
  );

export function haltCommand(
  config: Config,
  at: BooksAt,
  opts: {
    /** Asks a bot's control API to pause. @default over fetch, with the passwords where the books are */
    readonly pauseBot?: BotPause;
    readonly now?: () => Date;
  } = {},
): Promise<number> {
  return withStoredState(config, at, async (store, state) => {
    if (state.flags.halted) {
      process.stdout.write(`portfolio ${config.portfolioId} is already halted\n`);
      return 0;
    }
    const now = (opts.now ?? (() => new Date()))();
    // The stop first: it holds from this write on, whatever the bots answer.
    await store.portfolio.setHalted(config.portfolioId, true, undefined, now.toISOString());
    const lines = [
      `portfolio ${config.portfolioId} halted: no allocation, refill or rebalance into a bot until \`botfolio resume\`; harvests and protection go on`,
    ];
    if (pausesBots(config)) {
      const by = operator();
      const pauseBot = opts.pauseBot ?? (await pauserFor(config, at));
      const stop = await coordinatedStop(
        { config, journal: store.journal, ledger: store.ledger, ...(pauseBot && { pauseBot }) },
        {
          // To the millisecond: a halt, a resume and a halt within one second are two stops.
          cycleId: `${operationCycleId(now)}.${String(now.getUTCMilliseconds()).padStart(3, '0')}`,
          now: now.toISOString(),
          why: `an operator's halt (by ${by})`,
          by,
        },
      );
      lines.push(
        `coordinated stop (pause_bots): ${pauseSummary(stop.answers)}`,
        ...answerLines(stop.answers),
        stop.journalError
          ? `the answers could not be journaled: ${stop.journalError}`
          : `${stop.journaled ? 'journaled' : 'already journaled'} as operation ${stop.entry.id.slice(0, 8)} (\`botfolio transfers --bot '${FLEET}'\`)`,
      );
    }
    process.stdout.write(`${lines.join('\n')}\n`);
    return 0;
  });
}

/**
 * The coordinated stop of the halt in force, if it paused bots: the newest `pause_bots` entry
 * journaled since the halt began (none for a halt from before its start was recorded).
 */
export async function stopOfHalt(
  journal: Pick<Journal, 'byBot'>,
  config: Pick<Config, 'portfolioId'>,
  state: Pick<PortfolioState, 'haltedAt'>,
): Promise<JournalEntry | undefined> {
  const since = state.haltedAt;
  if (since === undefined) return undefined;
  const recent = await journal.byBot(config.portfolioId, FLEET, 20);
  return recent.find((e) => e.kind === 'pause_bots' && e.createdAt >= since);
}

export function resumeCommand(
  config: Config,
  at: BooksAt,
  unblock: readonly string[],
  opts: { readonly json?: boolean } = {},
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
    const unblocked: string[] = [];
    const equity = portfolioEquity(state);
    // Read before the resume forgets when the halt began.
    const stop = state.flags.halted ? await stopOfHalt(store.journal, config, state) : undefined;
    const restart = toRestart(stop?.operation?.pauses ?? []);
    if (state.flags.halted) {
      await store.portfolio.setHalted(
        config.portfolioId,
        false,
        equity === undefined ? undefined : { equity, flowsSeen: state.peakFlows ?? ZERO },
      );
      lines.push(
        `portfolio ${config.portfolioId} resumed; the emergency stop now counts its drawdown from ${showAmount(equity)} ${config.currency} (the equity at the last cycle)`,
        ...restartLines(restart),
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
      unblocked.push(botId);
      lines.push(`${botId}: refills unblocked`);
    }
    if (opts.json) {
      process.stdout.write(
        `${JSON.stringify(
          {
            portfolio_id: config.portfolioId,
            resumed: state.flags.halted,
            drawdown_from: state.flags.halted && equity !== undefined ? formatMoney(equity) : null,
            black_swan: state.flags.blackSwan,
            unblocked,
            restart_by_hand: {
              paused: restart.paused,
              no_control_api: restart.byHand,
              no_answer: restart.unsure,
            },
            pause_operation: stop?.id ?? null,
            messages: lines,
          },
          null,
          2,
        )}\n`,
      );
      return 0;
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
