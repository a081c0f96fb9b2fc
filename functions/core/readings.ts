/**
 * Which balance readings a cycle may act on (DESIGN.md §3, "Unknown is not zero"). A reading is
 * known only when the exchange's answer names the account with a finite, non-negative value
 * (the adapters say so per account), and it is believed only when it is not beyond
 * `max_plausible_jump` × what the bot last had: a value a thousand times the last one is far more
 * likely a broken answer than a trade, and planning on it would latch a false peak or harvest
 * money that is not there.
 */
import type { Config } from './config.ts';
import { compareToRatioOf, type Money, max, showMoney } from './money.ts';
import { showRatio } from './policy-amounts.ts';
import type { BalanceReading } from './ports.ts';
import type { BalanceConfirmation, BotState, PortfolioState } from './state.ts';

export const known = (balance: Money): BalanceReading => ({ known: true, balance });
export const unknown = (reason: string): BalanceReading => ({ known: false, reason });

/** What a reading of one bot is judged against. */
export interface ReadingOf {
  readonly botId: string;
  /** The bot's state as last stored; undefined for a first reading. */
  readonly last: BotState | undefined;
  readonly confirmed?: BalanceConfirmation | undefined;
}

/** What a reading of `botId` is judged against in `state`. */
export const readingOf = (state: PortfolioState, botId: string): ReadingOf => ({
  botId,
  last: state.bots.get(botId),
  confirmed: state.confirmedBalances?.get(botId),
});

/**
 * The reading, or unknown when it is negative or jumps beyond `max_plausible_jump` × the larger of the bot's
 * last known balance and its capital base (the capital base keeps a drained bot from making
 * every later reading implausible) — or of the balance an operator confirmed, so that the
 * confirmed value, and what is plausible from it, is believed. A refusal names the command that
 * confirms it.
 */
export function believed(
  config: Pick<Config, 'maxPlausibleJump'>,
  reading: BalanceReading,
  { botId, last, confirmed }: ReadingOf,
): BalanceReading {
  if (!reading.known) return reading;
  // An adapter should never call a negative value known; if one does, it is not believed either.
  if (reading.balance < 0n)
    return unknown(`${showMoney(reading.balance)} is negative: not believed`);
  if (last === undefined) return reading;
  const lastHad = max(last.balance ?? last.capitalBase, last.capitalBase);
  const reference = max(lastHad, confirmed?.balance ?? lastHad);
  if (reference <= 0n) return reading;
  if (compareToRatioOf(reading.balance, config.maxPlausibleJump, reference) <= 0) return reading;
  const what = reference === lastHad ? 'what it last had' : 'the balance an operator confirmed';
  const shown = showMoney(reading.balance);
  return unknown(
    `${shown} is more than ${showRatio(config.maxPlausibleJump)} × ${showMoney(reference)}, ${what} (max_plausible_jump): not believed; if it is real: botfolio confirm-balance ${botId} --amount ${shown} --reason "…"`,
  );
}
