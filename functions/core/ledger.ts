/**
 * What a completed transfer does to the books: which ledger fields move, and by how much. The
 * store applies these deltas exactly once per journal entry; the reserves and every bot's capital
 * base, contributions, harvests and protections are the sum of them (a projection of the journal).
 */
import { type LedgerAccount, parseAccount, reserveOf } from './accounts.ts';
import type { Money } from './money.ts';
import type { BotState } from './state.ts';
import type { BotBinding, JournalEntry } from './transfer.ts';

/** A bot's ledger field: named as in BotState. */
export type BotLedgerField = keyof Pick<
  BotState,
  'balance' | 'capitalBase' | 'contributed' | 'harvested' | 'protected' | 'refills'
>;

/**
 * A field of the ledger projection: a reserve's money, a bot's books, a reserve's booked capital
 * (the layout: the opening's capital plus the operator's operations, compared with the config's
 * each cycle — DESIGN.md §10), or the peak equity (a deposit or a withdrawal moves it with the
 * equity, so the emergency stop never reads a flow as a gain or a loss).
 */
export type LedgerField =
  | { readonly kind: 'reserve'; readonly name: string }
  | { readonly kind: 'bot'; readonly botId: string; readonly field: BotLedgerField }
  | { readonly kind: 'capital'; readonly name: string }
  | { readonly kind: 'peak' };

export interface LedgerDelta {
  readonly target: LedgerField;
  /** Money in 10⁻⁸ units, or a plain count for `refills`. */
  readonly delta: bigint;
}

/** What an entry does to the books besides its deltas: binds a bot, or closes its books. */
export interface LedgerEffects {
  /** The bot's binding to set (an allocation of an unbooked bot, an adoption). */
  readonly bind?: { readonly botId: string; readonly binding: BotBinding };
  /** The bot whose books close (a retirement), and the account it leaves, remembered. */
  readonly close?: { readonly botId: string; readonly account: string | undefined };
}

/** Unparseable accounts never reach here: the journal's codec and the guards refuse them. */
function side(account: LedgerAccount, delta: bigint): LedgerDelta[] {
  const a = parseAccount(account);
  if (a === undefined) throw new RangeError(`not a ledger account: ${account}`);
  if (a.kind === 'outside') return [];
  return [
    a.kind === 'reserve'
      ? { target: { kind: 'reserve', name: a.reserve }, delta }
      : { target: { kind: 'bot', botId: a.botId, field: 'balance' }, delta },
  ];
}

/** What of an entry its books follow from (a planned transfer of a backtest is one too). */
export type LedgerInput = Pick<JournalEntry, 'kind' | 'botId' | 'from' | 'to' | 'amount' | 'leg'> &
  Partial<Pick<JournalEntry, 'operation' | 'exchange' | 'ends'>>;

/** The deltas of one completed entry: money leaves `from`, arrives at `to`, and the bot's books say why. */
export function ledgerDeltas(entry: LedgerInput): LedgerDelta[] {
  const a: Money = entry.amount;
  const bot = (field: BotLedgerField, delta: bigint): LedgerDelta => ({
    target: { kind: 'bot', botId: entry.botId, field },
    delta,
  });
  const capital = (name: string | undefined, delta: bigint): LedgerDelta[] =>
    name === undefined ? [] : [{ target: { kind: 'capital', name }, delta }];
  const peak = (delta: bigint): LedgerDelta => ({ target: { kind: 'peak' }, delta });
  const moves = [...side(entry.from, -a), ...side(entry.to, a)];
  const intoBot = parseAccount(entry.to)?.kind === 'bot';
  switch (entry.kind) {
    case 'allocation':
      return [...moves, bot('capitalBase', a), bot('contributed', a)];
    case 'refill':
      // One refill decision may take two legs (pool reserve, then emergency): it counts once.
      return [...moves, bot('contributed', a), ...(entry.leg === 0 ? [bot('refills', 1n)] : [])];
    case 'harvest':
      return [...moves, bot('harvested', a)];
    case 'protect':
      return [...moves, bot('protected', a)];
    case 'rebalance':
      return intoBot
        ? [...moves, bot('capitalBase', a), bot('contributed', a)]
        : [...moves, bot('capitalBase', -a), bot('contributed', -a)];
    case 'adoption': {
      // The money is in the sub-account already: its balance is the exchange's, not moved here.
      const books = [bot('capitalBase', a), bot('contributed', a)];
      const reserve = reserveOf(entry.from);
      if (reserve !== undefined) return [...side(entry.from, -a), ...books];
      // New money in the portfolio: its pool's capital and the peak grow with it.
      return [...books, ...capital(entry.operation?.binding?.pool, a), peak(a)];
    }
    case 'deposit':
      return [...moves, ...capital(reserveOf(entry.to), a), peak(a)];
    case 'withdrawal':
      return [...moves, ...capital(reserveOf(entry.from), -a), peak(-a)];
    case 'move':
      return [...moves, ...capital(reserveOf(entry.from), -a), ...capital(reserveOf(entry.to), a)];
    case 'pause_bots':
      // The coordinated stop asked the bots to pause: no money, no books.
      return [];
    case 'retirement': {
      // The bot's own books close (ledgerEffects); only the reserve side moves.
      const reserve = reserveOf(entry.to);
      if (reserve !== undefined) return side(entry.to, a);
      // Its money leaves the portfolio where it is: its capital leaves its pool's layout.
      return [
        ...capital(entry.operation?.binding?.pool, -(entry.operation?.capitalBase ?? 0n)),
        peak(-a),
      ];
    }
  }
}

/** What an entry does besides its deltas (`LedgerEffects`). */
export function ledgerEffects(entry: LedgerInput): LedgerEffects {
  switch (entry.kind) {
    case 'allocation': {
      const pool = reserveOf(entry.from);
      const account = entry.ends?.to;
      return pool !== undefined && account !== undefined && entry.exchange !== undefined
        ? { bind: { botId: entry.botId, binding: { account, pool, exchange: entry.exchange } } }
        : {};
    }
    case 'adoption':
      return entry.operation?.binding
        ? { bind: { botId: entry.botId, binding: entry.operation.binding } }
        : {};
    case 'retirement':
      return { close: { botId: entry.botId, account: entry.operation?.binding?.account } };
    default:
      return {};
  }
}
