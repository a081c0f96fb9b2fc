/**
 * An entry's ledger deltas and effects split by the item they fall on (state-item.ts): the
 * header's (reserves, booked capital, the peak's flows) and its bot's item's (the bot's books,
 * binding, retirement, protect mark). ledger.ts applies each part once; layout.ts needs to know
 * which entries have a bot part.
 */
import {
  type LedgerDelta,
  type LedgerEffects,
  ledgerDeltas,
  ledgerEffects,
} from '../../core/ledger.ts';
import type { JournalEntry } from '../../core/transfer.ts';
import { ledgerAttribute } from './codec.ts';

/** An entry's deltas, split by the item they fall on. */
export interface Split {
  readonly header: Map<string, bigint>;
  /** Absent when the entry changes nothing of its bot's item. */
  readonly bot?: { readonly botId: string; readonly adds: Map<string, bigint> };
  readonly effects: LedgerEffects;
}

export function split(entry: JournalEntry): Split {
  const effects = ledgerEffects(entry);
  const closed = effects.close?.botId;
  const header: LedgerDelta[] = [];
  const bot: LedgerDelta[] = [];
  for (const d of ledgerDeltas(entry)) {
    if (d.target.kind !== 'bot') header.push(d);
    // A bot whose books close loses every field: no delta is added to what is removed.
    else if (d.target.botId !== closed) bot.push(d);
  }
  const touchesBot =
    bot.length > 0 ||
    effects.bind !== undefined ||
    effects.close !== undefined ||
    entry.kind === 'adoption' ||
    entry.kind === 'protect';
  return {
    header: sumByAttribute(header),
    ...(touchesBot && { bot: { botId: entry.botId, adds: sumByAttribute(bot) } }),
    effects,
  };
}

/** True when the entry's deltas or effects change its bot's item (layout.ts needs to know). */
export const touchesBotItem = (entry: JournalEntry): boolean => split(entry).bot !== undefined;

/** One ADD per attribute (DynamoDB refuses two paths that overlap in one expression). */
function sumByAttribute(deltas: readonly LedgerDelta[]): Map<string, bigint> {
  const totals = new Map<string, bigint>();
  for (const d of deltas) {
    const attribute = ledgerAttribute(d.target);
    totals.set(attribute, (totals.get(attribute) ?? 0n) + d.delta);
  }
  return totals;
}
