/**
 * `botfolio transfers`: the journal, newest first, as a table with a header row and short ids
 * (the first 8 characters; `--id` takes any prefix that names one transfer). `--id ID` tells one
 * transfer's whole story — what was planned and why, every status it went through with the note
 * of each change, the calls made to the exchange, its id there, the error, and the reserve's
 * balance before and after.
 */
import { type LedgerAccount, parseAccount, reserveOf } from '../../core/accounts.ts';
import type { Config } from '../../core/config.ts';
import { formatMoney, type Money } from '../../core/money.ts';
import { OUTCOME_WORDS, pauseCounts } from '../../core/pause.ts';
import type { Journal } from '../../core/store-ports.ts';
import { type JournalEntry, TRANSFER_STATUSES } from '../../core/transfer.ts';
import type { LocalRuntime } from '../runtime.ts';
import { renderTable } from '../table.ts';

/** How many characters of a transfer's id the journal shows (and `--id` needs at most). */
export const SHORT_ID_LENGTH = 8;
export const shortId = (id: string): string => id.slice(0, SHORT_ID_LENGTH);

/** An entry as JSON: amounts as decimal strings. */
export function entryToJson(e: JournalEntry): Record<string, unknown> {
  const amount = (m: Money | undefined) => (m === undefined ? undefined : formatMoney(m));
  return {
    ...e,
    amount: amount(e.amount),
    askedAmount: amount(e.askedAmount),
    potBefore: amount(e.potBefore),
    potAfter: amount(e.potAfter),
    reading: e.reading && { ...e.reading, balance: amount(e.reading.balance) },
  };
}

/** An account in words: "reserve low_frequency", "bot 1h_lorentzian_sol". */
export function placeName(account: LedgerAccount): string {
  const a = parseAccount(account);
  if (a === undefined) return account;
  if (a.kind === 'outside') return 'outside the portfolio';
  return a.kind === 'bot' ? `bot ${a.botId}` : `reserve ${a.reserve}`;
}

/** The exchange a transfer ran on: the config's, or the one that stood in for it. */
export const ranOn = (e: Pick<JournalEntry, 'exchange' | 'venue'>): string =>
  e.venue === undefined ? e.exchange : `${e.venue} (standing in for ${e.exchange})`;

/** An ISO time as a person reads it in a table: `2026-12-02 07:39` (UTC). */
export const minuteOf = (iso: string): string => iso.slice(0, 16).replace('T', ' ');

/** A planned transfer on one line: "harvest  30.00 USDT  bot a → reserve low_frequency". */
export function transferLine(
  t: Pick<JournalEntry, 'kind' | 'amount' | 'from' | 'to'>,
  currency: string,
): string {
  return `${t.kind.padEnd(10)} ${formatMoney(t.amount, 2).padStart(10)} ${currency}  ${placeName(t.from)} → ${placeName(t.to)}`;
}

/** The journal as a table: a header row, then one line per transfer. */
export function journalTable(entries: readonly JournalEntry[], currency: string): string {
  const rows = entries.map((e) =>
    // A coordinated stop moves no money: what the bots answered, instead.
    e.kind === 'pause_bots'
      ? [
          shortId(e.id),
          minuteOf(e.createdAt),
          e.kind,
          '—',
          'every bot',
          '—',
          'their APIs',
          `${e.status}: ${pauseCounts(e.operation?.pauses ?? [])}`,
        ]
      : [
          shortId(e.id),
          minuteOf(e.createdAt),
          e.kind,
          formatMoney(e.amount, 2),
          placeName(e.from),
          placeName(e.to),
          ranOn(e),
          `${e.status}${e.error ? `: ${e.error}` : ''}`,
        ],
  );
  return renderTable(
    {
      head: ['id', 'planned (UTC)', 'kind', `amount ${currency}`, 'from', 'to', 'on', 'status'],
      align: ['left', 'left', 'left', 'right'],
      layout: 'columns',
      colour: process.stdout.isTTY,
    },
    rows,
  )
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n');
}

/** A coordinated stop's story: why, then each bot's answer. */
function pauseStory(e: JournalEntry): string {
  return [
    `operation ${e.id}`,
    `  pause_bots by ${e.operation?.by ?? 'an unknown user'} (cycle ${e.cycleId}): ${e.reason}`,
    '  answers',
    ...(e.operation?.pauses ?? []).map(
      (a) =>
        `    ${a.botId.padEnd(24)} ${OUTCOME_WORDS[a.outcome]}${a.status !== undefined ? ` (HTTP ${a.status})` : ''}: ${a.detail}`,
    ),
    '  history',
    ...e.history.map((h) => `    ${h.at}  ${h.status.padEnd(10)} ${h.note ?? ''}`.trimEnd()),
  ].join('\n');
}

/** The whole story of one transfer, for a person. */
export function entryStory(e: JournalEntry, currency: string): string {
  if (e.kind === 'pause_bots') return pauseStory(e);
  const reserve = reserveOf(e.from) ?? reserveOf(e.to);
  const reserveLine =
    reserve !== undefined && e.potBefore !== undefined && e.potAfter !== undefined
      ? `${reserve} ${formatMoney(e.potBefore, 2)} → ${formatMoney(e.potAfter, 2)} ${currency} (before → after this transfer)`
      : '—';
  const lines = [
    `transfer ${e.id}  (clientOid ${e.clientOid})`,
    `  ${e.kind} of ${formatMoney(e.amount)} ${currency}: ${placeName(e.from)} → ${placeName(e.to)}, leg ${e.leg}`,
    ...(e.askedAmount === undefined
      ? []
      : [
          `  asked       ${formatMoney(e.askedAmount)} ${currency}: the exchange recorded the amount above`,
        ]),
    `  planned by cycle ${e.cycleId} on ${ranOn(e)}: ${e.reason}`,
    `  status      ${e.status}${e.status === 'completed' ? (e.ledgerApplied ? ', in the ledger' : ', NOT yet in the ledger') : ''}`,
    `  exchange    ${e.exchangeTransferId ?? '—'}  (${e.submitAttempts} call${e.submitAttempts === 1 ? '' : 's'} made${e.submitLeaseUntil ? `, the last may be in flight until ${e.submitLeaseUntil}` : ''})`,
    `  reserve     ${reserveLine}`,
    ...(e.error ? [`  error       ${e.error}`] : []),
    '  history',
    ...e.history.map((h) => `    ${h.at}  ${h.status.padEnd(10)} ${h.note ?? ''}`.trimEnd()),
  ];
  return lines.join('\n');
}

/** A transfer named on the command line: found, or why not (one line). */
export type Lookup =
  | { readonly entry: JournalEntry; readonly problem?: undefined }
  | { readonly problem: string };

/**
 * The transfer whose id is `given` or starts with it (case-insensitive), in the portfolio's
 * journal; an empty id, none or several matches are a problem, named.
 */
export async function findTransfer(
  journal: Journal,
  portfolioId: string,
  given: string,
): Promise<Lookup> {
  const prefix = given.trim().toLowerCase();
  if (prefix === '')
    return {
      problem:
        '--id is empty: give a transfer id, or its first characters as `botfolio transfers` shows them',
    };
  const exact = await journal.get(prefix);
  if (exact && exact.portfolioId === portfolioId) return { entry: exact };
  const all = await journal.byStatus(portfolioId, TRANSFER_STATUSES);
  const matches = all.filter((e) => e.id.startsWith(prefix));
  const [only] = matches;
  if (matches.length === 1 && only) return { entry: only };
  if (matches.length === 0)
    return { problem: `no transfer ${given} in the journal of portfolio ${portfolioId}` };
  const shown = matches.slice(0, 5).map((e) => e.id.slice(0, prefix.length + 4));
  return {
    problem: `--id ${given} names ${matches.length} transfers (${shown.join(', ')}${matches.length > 5 ? ', …' : ''}): give more characters`,
  };
}

export async function showTransfers(
  rt: Pick<LocalRuntime, 'store'>,
  config: Config,
  opts: { bot?: string; id?: string; json: boolean },
  out: (text: string) => void = (t) => process.stdout.write(t),
): Promise<number> {
  if (opts.id !== undefined) {
    const found = await findTransfer(rt.store.journal, config.portfolioId, opts.id);
    if (found.problem !== undefined) {
      process.stderr.write(`${found.problem}\n`);
      return 1;
    }
    out(
      opts.json
        ? `${JSON.stringify(entryToJson(found.entry), null, 2)}\n`
        : `${entryStory(found.entry, config.currency)}\n`,
    );
    return 0;
  }
  const entries = opts.bot
    ? await rt.store.journal.byBot(config.portfolioId, opts.bot, 1000)
    : (await rt.store.journal.byStatus(config.portfolioId, TRANSFER_STATUSES)).sort((a, b) =>
        b.createdAt.localeCompare(a.createdAt),
      );
  // A bot the config does not name and the journal never saw is a typo, not a quiet bot.
  if (opts.bot && entries.length === 0 && !config.bots.some((b) => b.botId === opts.bot)) {
    process.stderr.write(
      `no bot ${opts.bot} in portfolio ${config.portfolioId}: its bots are ${config.bots.map((b) => b.botId).join(', ')}\n`,
    );
    return 1;
  }
  if (opts.json) {
    out(`${JSON.stringify(entries.map(entryToJson), null, 2)}\n`);
    return 0;
  }
  if (entries.length === 0) {
    out(opts.bot ? `no transfers for bot ${opts.bot} yet\n` : 'no transfers yet\n');
    return 0;
  }
  out(`${journalTable(entries, config.currency)}\n`);
  return 0;
}
