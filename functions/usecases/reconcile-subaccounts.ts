/**
 * Reconciliation of the bots' sub-accounts (DESIGN.md §10; issue 10, "sub-accounts are checked
 * too"). A bot trades in its own sub-account, so a booked bot holding other than its capital base
 * is its PnL — read and shown, never a mismatch. A sub-account without books receiving money is:
 * a configured bot with no books whose sub-account holds `min_transfer` or more raises
 * `unexpected_balance` (the cycle's code for the same finding) naming `botfolio adopt BOT`. Bots
 * with books the config no longer names are read where their books say they sit (the binding).
 *
 * Unknown is not zero: an account missing from the exchange's answer, an exchange that fails or
 * one the config dropped leaves its sub-accounts unknown, and an unknown one is never judged.
 * Nor is a bot a transfer is moving money for (open, or completed but not in the ledger yet,
 * before or after the read): its sub-account may hold money the books get a moment later.
 */
import { alert } from '../core/alerts.ts';
import type { Config } from '../core/config.ts';
import { type Money, showMoney, sub } from '../core/money.ts';
import type { BalanceReading } from '../core/ports.ts';
import { unknown } from '../core/readings.ts';
import type { PortfolioState } from '../core/state.ts';
import { OPEN_STATUSES } from '../core/transfer.ts';
import type { ReconcileDeps } from './reconcile.ts';

/** What the books say of a sub-account read: the bot's books, none, or books the config dropped. */
export type SubAccountBooks = 'booked' | 'unbooked' | 'not_in_config';

/** One bot's sub-account as reconciliation read it. */
export interface SubAccountCheck {
  readonly botId: string;
  readonly exchange: string;
  readonly account: string;
  readonly books: SubAccountBooks;
  /** The balance read, or null: unknown (`unknownWhy` says why) — never zero. */
  readonly balance: Money | null;
  readonly unknownWhy?: string;
  /** A booked bot's capital base, and its PnL (balance − capital base) when the balance is known. */
  readonly capitalBase?: Money;
  readonly pnl?: Money;
  /** An unbooked bot's sub-account that is booked to another bot (a rename): that bot's money. */
  readonly bookedTo?: string;
  /** Not judged: a transfer for this bot is in flight or not yet in the ledger. */
  readonly inFlight: boolean;
  /** An unbooked sub-account holding `min_transfer` or more: money the books do not have. */
  readonly drift: boolean;
}

interface Target {
  readonly botId: string;
  readonly exchange: string;
  readonly account: string;
  readonly books: SubAccountBooks;
}

/** The sub-accounts to read: every configured bot's, and those of booked bots the config dropped. */
function targetsOf(config: Config, state: PortfolioState): Target[] {
  const targets: Target[] = [];
  const configured = new Set<string>();
  for (const bot of config.bots) {
    configured.add(bot.botId);
    const b = state.bots.get(bot.botId);
    // A booked bot sits where its books say, even when the config moved it (drift).
    const at = b?.binding ?? bot;
    targets.push({
      botId: bot.botId,
      exchange: at.exchange,
      account: at.account,
      books: b ? 'booked' : 'unbooked',
    });
  }
  for (const [botId, b] of state.bots) {
    if (configured.has(botId) || !b.binding) continue;
    const { exchange, account } = b.binding;
    targets.push({ botId, exchange, account, books: 'not_in_config' });
  }
  return targets;
}

/** One call per exchange; an account the answer leaves out is unknown, as is a failed call. */
async function readTargets(
  deps: Pick<ReconcileDeps, 'config' | 'exchanges'>,
  targets: readonly Target[],
): Promise<Map<string, BalanceReading>> {
  const readings = new Map<string, BalanceReading>();
  const byExchange = new Map<string, Target[]>();
  for (const t of targets) byExchange.set(t.exchange, [...(byExchange.get(t.exchange) ?? []), t]);
  for (const [name, list] of byExchange) {
    const exchange = deps.exchanges.get(name);
    if (!exchange) {
      for (const t of list) readings.set(t.botId, unknown(`no adapter for exchange ${name}`));
      continue;
    }
    let answer: Map<string, BalanceReading>;
    try {
      answer = await exchange.subAccountBalances(
        list.map((t) => t.account),
        deps.config.currency,
      );
    } catch (error) {
      const why = `${name} did not answer: ${error instanceof Error ? error.message : String(error)}`;
      for (const t of list) readings.set(t.botId, unknown(why));
      continue;
    }
    for (const t of list) {
      readings.set(t.botId, answer.get(t.account) ?? unknown(`${name} did not answer for it`));
    }
  }
  return readings;
}

/** The exchange's `min_transfer`; undefined for an exchange the config no longer has. */
const minTransferOf = (config: Config, exchange: string): Money | undefined =>
  [...config.exchanges].find(([name]) => name === exchange)?.[1].minTransfer;

/** The bots a transfer is moving money for: open entries, and completed ones not yet applied. */
async function botsMoving(deps: Pick<ReconcileDeps, 'config' | 'journal'>): Promise<Set<string>> {
  const pid = deps.config.portfolioId;
  const entries = [
    ...(await deps.journal.byStatus(pid, OPEN_STATUSES)),
    ...(await deps.journal.completedUnapplied(pid)),
  ];
  return new Set(entries.map((e) => e.botId));
}

/**
 * Reads every bot's sub-account and judges it against the books; sends `unexpected_balance` for
 * each unbooked one holding `min_transfer` or more. Empty when the portfolio has no state yet.
 */
export async function checkSubAccounts(deps: ReconcileDeps): Promise<SubAccountCheck[]> {
  const { config } = deps;
  const pid = config.portfolioId;
  const before = await deps.portfolio.load(pid);
  if (!before) return [];
  const movingBefore = await botsMoving(deps);
  const targets = targetsOf(config, before);
  const readings = await readTargets(deps, targets);
  // Books written while the accounts were read (a transfer applied meanwhile) count as books.
  const after = (await deps.portfolio.load(pid)) ?? before;
  const movingAfter = await botsMoving(deps);
  const owners = new Map<string, string>();
  for (const [botId, b] of [...before.bots, ...after.bots]) {
    if (b.binding) owners.set(`${b.binding.exchange}|${b.binding.account}`, botId);
  }
  const checks: SubAccountCheck[] = [];
  for (const t of targets) {
    const reading = readings.get(t.botId) ?? unknown('not read');
    const booked = before.bots.get(t.botId) ?? after.bots.get(t.botId);
    const books: SubAccountBooks = t.books === 'unbooked' && booked ? 'booked' : t.books;
    const inFlight = movingBefore.has(t.botId) || movingAfter.has(t.botId);
    const owner = owners.get(`${t.exchange}|${t.account}`);
    const bookedTo = books === 'unbooked' && owner !== t.botId ? owner : undefined;
    const min = minTransferOf(config, t.exchange);
    const drift =
      books === 'unbooked' &&
      bookedTo === undefined &&
      !inFlight &&
      reading.known &&
      min !== undefined &&
      reading.balance >= min;
    checks.push({
      botId: t.botId,
      exchange: t.exchange,
      account: t.account,
      books,
      balance: reading.known ? reading.balance : null,
      ...(!reading.known && { unknownWhy: reading.reason }),
      ...(bookedTo !== undefined && { bookedTo }),
      ...(booked && { capitalBase: booked.capitalBase }),
      ...(booked && reading.known && { pnl: sub(reading.balance, booked.capitalBase) }),
      inFlight,
      drift,
    });
    if (drift && reading.known) {
      await deps.alerter.send(
        alert(
          'unexpected_balance',
          `${t.botId}: sub-account ${t.account} holds ${showMoney(reading.balance)} ${config.currency} and has no books here: money the books do not have — \`botfolio adopt ${t.botId}\` books what it holds as its capital (add --from-reserve if it came from this portfolio's reserve), or move it out by hand`,
          t.botId,
        ),
        { portfolioId: pid },
      );
    }
  }
  return checks;
}
