/**
 * What a completed transfer does to the books: which ledger fields move, and by how much. The
 * store applies these deltas exactly once per journal entry; the reserves and every bot's capital
 * base, contributions, harvests and protections are the sum of them (a projection of the journal).
 */
import type { Money } from './money.ts';
import type { JournalEntry, LedgerAccount } from './transfer.ts';

/** A field of the ledger projection. */
export type LedgerField =
  | { readonly kind: 'reserve'; readonly name: string }
  | {
      readonly kind: 'bot';
      readonly botId: string;
      readonly field:
        | 'balance'
        | 'capital_base'
        | 'contributed'
        | 'harvested'
        | 'protected'
        | 'refills';
    };

export interface LedgerDelta {
  readonly target: LedgerField;
  /** Money in 10⁻⁸ units, or a plain count for `refills`. */
  readonly delta: bigint;
}

function side(account: LedgerAccount, delta: bigint): LedgerDelta {
  if (account.startsWith('reserve:')) {
    return { target: { kind: 'reserve', name: account.slice('reserve:'.length) }, delta };
  }
  return { target: { kind: 'bot', botId: account.slice('bot:'.length), field: 'balance' }, delta };
}

/** The deltas of one completed entry: money leaves `from`, arrives at `to`, and the bot's books say why. */
export function ledgerDeltas(
  entry: Pick<JournalEntry, 'kind' | 'botId' | 'from' | 'to' | 'amount' | 'leg'>,
): LedgerDelta[] {
  const a: Money = entry.amount;
  const bot = (
    field: Exclude<LedgerField, { kind: 'reserve' }>['field'],
    delta: bigint,
  ): LedgerDelta => ({
    target: { kind: 'bot', botId: entry.botId, field },
    delta,
  });
  const moves = [side(entry.from, -a), side(entry.to, a)];
  const intoBot = entry.to.startsWith('bot:');
  switch (entry.kind) {
    case 'allocation':
      return [...moves, bot('capital_base', a), bot('contributed', a)];
    case 'refill':
      // One refill decision may take two legs (pool reserve, then emergency): it counts once.
      return [...moves, bot('contributed', a), ...(entry.leg === 0 ? [bot('refills', 1n)] : [])];
    case 'harvest':
      return [...moves, bot('harvested', a)];
    case 'protect':
      return [...moves, bot('protected', a)];
    case 'rebalance':
      return intoBot
        ? [...moves, bot('capital_base', a), bot('contributed', a)]
        : [...moves, bot('capital_base', -a), bot('contributed', -a)];
  }
}
