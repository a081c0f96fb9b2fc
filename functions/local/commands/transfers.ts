/**
 * `botfolio transfers`: the journal, newest first, one line per transfer; `--id ID` tells one
 * transfer's whole story — what was planned and why, every status it went through with the note
 * of each change, the calls made to the exchange, its id there, the error, and the pot before and
 * after.
 */
import type { Config } from '../../core/config.ts';
import { formatMoney, type Money } from '../../core/money.ts';
import { type JournalEntry, TRANSFER_STATUSES } from '../../core/transfer.ts';
import type { LocalRuntime } from '../runtime.ts';

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

/** One line per transfer. */
export function entryLine(e: JournalEntry): string {
  return `${e.createdAt} ${e.id} ${e.kind.padEnd(10)} ${formatMoney(e.amount, 2).padStart(12)} ${e.from} → ${e.to} ${e.status}${e.error ? ` (${e.error})` : ''}`;
}

/** The whole story of one transfer, for a person. */
export function entryStory(e: JournalEntry, currency: string): string {
  const pot =
    e.potBefore !== undefined && e.potAfter !== undefined
      ? `${formatMoney(e.potBefore, 2)} → ${formatMoney(e.potAfter, 2)} ${currency}`
      : '—';
  const lines = [
    `transfer ${e.id}  (clientOid ${e.clientOid})`,
    `  ${e.kind} of ${formatMoney(e.amount)} ${currency}: ${e.from} → ${e.to}, bot ${e.botId}, leg ${e.leg}`,
    ...(e.askedAmount === undefined
      ? []
      : [
          `  asked       ${formatMoney(e.askedAmount)} ${currency}: the exchange recorded the amount above`,
        ]),
    `  planned by cycle ${e.cycleId} on ${e.exchange}: ${e.reason}`,
    `  status      ${e.status}${e.status === 'completed' ? (e.ledgerApplied ? ', in the ledger' : ', NOT yet in the ledger') : ''}`,
    `  exchange    ${e.exchangeTransferId ?? '—'}  (${e.submitAttempts} call${e.submitAttempts === 1 ? '' : 's'} made${e.submitLeaseUntil ? `, the last may be in flight until ${e.submitLeaseUntil}` : ''})`,
    `  pot         ${pot}`,
    ...(e.error ? [`  error       ${e.error}`] : []),
    '  history',
    ...e.history.map((h) => `    ${h.at}  ${h.status.padEnd(10)} ${h.note ?? ''}`.trimEnd()),
  ];
  return lines.join('\n');
}

export async function showTransfers(
  rt: Pick<LocalRuntime, 'store'>,
  config: Config,
  opts: { bot?: string; id?: string; json: boolean },
  out: (text: string) => void = (t) => process.stdout.write(t),
): Promise<number> {
  if (opts.id !== undefined) {
    const entry = await rt.store.journal.get(opts.id);
    if (!entry || entry.portfolioId !== config.portfolioId) {
      process.stderr.write(`no transfer ${opts.id} in the journal of ${config.portfolioId}\n`);
      return 1;
    }
    out(
      opts.json
        ? `${JSON.stringify(entryToJson(entry), null, 2)}\n`
        : `${entryStory(entry, config.currency)}\n`,
    );
    return 0;
  }
  const entries = opts.bot
    ? await rt.store.journal.byBot(config.portfolioId, opts.bot, 1000)
    : (await rt.store.journal.byStatus(config.portfolioId, TRANSFER_STATUSES)).sort((a, b) =>
        b.createdAt.localeCompare(a.createdAt),
      );
  if (opts.json) {
    out(`${JSON.stringify(entries.map(entryToJson), null, 2)}\n`);
    return 0;
  }
  out(entries.length === 0 ? 'no transfers\n' : `${entries.map(entryLine).join('\n')}\n`);
  return 0;
}
