/**
 * What a completed transfer does to the books: which ledger fields move, and by how much. The
 * store applies these deltas exactly once per journal entry; the reserves and every bot's capital
 * base, contributions, harvests and protections are the sum of them (a projection of the journal).
 */
import { type LedgerAccount, parseAccount } from './accounts.ts';
import type { Money } from './money.ts';
import type { BotState } from './state.ts';
import type { JournalEntry } from './transfer.ts';

/** A bot's ledger field: named as in BotState. */
export type BotLedgerField = keyof Pick<
  BotState,
  'balance' | 'capitalBase' | 'contributed' | 'harvested' | 'protected' | 'refills'
>;

/** A field of the ledger projection. */
export type LedgerField =
  | { readonly kind: 'reserve'; readonly name: string }
  | { readonly kind: 'bot'; readonly botId: string; readonly field: BotLedgerField };

export interface LedgerDelta {
  readonly target: LedgerField;
  /** Money in 10⁻⁸ units, or a plain count for `refills`. */
  readonly delta: bigint;
}

/** Unparseable accounts never reach here: the journal's codec and the guards refuse them. */
function side(account: LedgerAccount, delta: bigint): LedgerDelta {
  const a = parseAccount(account);
  if (a === undefined) throw new RangeError(`not a ledger account: ${account}`);
  return a.kind === 'reserve'
    ? { target: { kind: 'reserve', name: a.reserve }, delta }
    : { target: { kind: 'bot', botId: a.botId, field: 'balance' }, delta };
}

/** The deltas of one completed entry: money leaves `from`, arrives at `to`, and the bot's books say why. */
export function ledgerDeltas(
  entry: Pick<JournalEntry, 'kind' | 'botId' | 'from' | 'to' | 'amount' | 'leg'>,
): LedgerDelta[] {
  const a: Money = entry.amount;
  const bot = (field: BotLedgerField, delta: bigint): LedgerDelta => ({
    target: { kind: 'bot', botId: entry.botId, field },
    delta,
  });
  const moves = [side(entry.from, -a), side(entry.to, a)];
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
  }
}
