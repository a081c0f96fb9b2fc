/**
 * Where the journal's two indexes hold an entry (tables.ts), and the reads built on them — the
 * same for the store (journal.ts) and for `status` reading the data folder's files (store-file.ts).
 *
 * - An entry still *unsettled* (open, or completed and not yet in the ledger) is under one key of
 *   `by-bot`, `<portfolio>#_unsettled` (no bot id starts with `_`), and not in `by-status`: the
 *   index copies its keys only, so the entry's status writes while it runs cost it nothing, and
 *   the few such entries are one query away; they are then read from the table, consistently.
 * - A *settled* entry (completed and applied, failed, rejected) is under its bot
 *   (`<portfolio>#<bot>` in `by-bot`) and its status (`<portfolio>#<status>` in `by-status`,
 *   which copies it whole: the listings read it there). The write that settles it (the ledger's
 *   J5, or the move to `failed` or `rejected`) moves it from the one to the others.
 *
 * Entries journaled by 0.1, which kept every entry under its status and its bot, are read too: an
 * unsettled one under its status's key (`<portfolio>#<status>`, `<portfolio>#completed#unapplied`),
 * until its next write moves it — those few queries find nothing once none is left.
 */
import {
  isTerminal,
  type JournalEntry,
  OPEN_STATUSES,
  type TransferStatus,
} from '../../core/transfer.ts';
import { botKey } from './codec.ts';

export const statusKey = (portfolioId: string, status: TransferStatus): string =>
  `${portfolioId}#${status}`;
export const unsettledKey = (portfolioId: string): string => `${portfolioId}#_unsettled`;

/** Open, or completed and not in the ledger yet. */
export const isUnsettled = (e: Pick<JournalEntry, 'status' | 'ledgerApplied'>): boolean =>
  !isTerminal(e.status) || (e.status === 'completed' && !e.ledgerApplied);

/** The status index keys of 0.1's unsettled entries. */
const legacyUnsettledKeys = (portfolioId: string): string[] => [
  ...OPEN_STATUSES.map((s) => statusKey(portfolioId, s)),
  `${portfolioId}#completed#unapplied`,
];

/** The index attributes of an entry: `bot_key` always, `status_key` once it is settled. */
export function indexAttributes(
  e: Pick<JournalEntry, 'portfolioId' | 'botId' | 'status' | 'ledgerApplied'>,
): { bot_key: string; status_key?: string } {
  return isUnsettled(e)
    ? { bot_key: unsettledKey(e.portfolioId) }
    : { bot_key: botKey(e.portfolioId, e.botId), status_key: statusKey(e.portfolioId, e.status) };
}

/**
 * Entries found under several index keys, oldest first (then by id), each once: an entry the
 * index shows under two keys while it moves between them is listed once.
 */
export function oldestFirstOnce(found: readonly JournalEntry[]): JournalEntry[] {
  const unique = [...new Map(found.map((e) => [e.id, e])).values()];
  return unique.sort((a, b) =>
    a.createdAt === b.createdAt ? a.id.localeCompare(b.id) : a.createdAt.localeCompare(b.createdAt),
  );
}

/** What a store reads under one index key: every entry, or a bot's newest `limit`. */
export interface IndexReads {
  /** The entries under a `by-bot` key (read from the table by the index's ids), oldest first. */
  underBotKey(
    key: string,
    opts?: { newestFirst?: boolean; limit?: number },
  ): Promise<JournalEntry[]>;
  /** The entries under a `by-status` key, oldest first. */
  underStatusKey(key: string): Promise<JournalEntry[]>;
}

export function journalReads(reads: IndexReads) {
  const unsettled = async (portfolioId: string): Promise<JournalEntry[]> => {
    const found = await Promise.all([
      reads.underBotKey(unsettledKey(portfolioId)),
      ...legacyUnsettledKeys(portfolioId).map((k) => reads.underStatusKey(k)),
    ]);
    return oldestFirstOnce(found.flat()).filter(isUnsettled);
  };
  return {
    unsettled,
    async byStatus(
      portfolioId: string,
      statuses: readonly TransferStatus[],
    ): Promise<JournalEntry[]> {
      const wanted = new Set(statuses);
      const settled = [...wanted].filter((s) => isTerminal(s));
      const found = await Promise.all([
        [...wanted].some((s) => !isTerminal(s) || s === 'completed') ? unsettled(portfolioId) : [],
        ...settled.map((s) => reads.underStatusKey(statusKey(portfolioId, s))),
      ]);
      return oldestFirstOnce(found.flat()).filter((e) => wanted.has(e.status));
    },
    async completedUnapplied(portfolioId: string): Promise<JournalEntry[]> {
      return (await unsettled(portfolioId)).filter((e) => e.status === 'completed');
    },
    /** The bot's entries, newest first: its unsettled ones and its newest settled ones. */
    async byBot(portfolioId: string, botId: string, limit?: number): Promise<JournalEntry[]> {
      const [open, settled] = await Promise.all([
        unsettled(portfolioId),
        reads.underBotKey(botKey(portfolioId, botId), {
          newestFirst: true,
          ...(limit !== undefined && { limit }),
        }),
      ]);
      const all = oldestFirstOnce([...settled, ...open.filter((e) => e.botId === botId)]).reverse();
      return limit === undefined ? all : all.slice(0, limit);
    },
  };
}
