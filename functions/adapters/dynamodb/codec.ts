/**
 * How our values sit in DynamoDB items. Money is an integer count of 10⁻⁸ units in an N attribute:
 * written from a bigint, read back (the client unmarshals with `wrapNumbers`) from the exact digit
 * string, so no amount ever passes through a JS number. Attribute names such as `reserve:<name>`
 * contain `:`, `.` and `-`, so every expression names them through placeholders (`Expr`).
 */
import type { NumberValue } from '@aws-sdk/lib-dynamodb';
import { isLedgerAccount, type LedgerAccount } from '../../core/accounts.ts';
import type { LedgerField } from '../../core/ledger.ts';
import { type Money, moneyFromUnits } from '../../core/money.ts';
import { PAUSE_OUTCOMES, type PauseAnswer } from '../../core/pause.ts';
import {
  ENTRY_KINDS,
  type EntryKind,
  type JournalEntry,
  type OperationFacts,
  type StatusChange,
  TRANSFER_STATUSES,
} from '../../core/transfer.ts';
import { MalformedItemError } from './errors.ts';

export type Item = Record<string, unknown>;

/** Placeholders for one expression: `expr.name('reserve:a.b')` → `#n0`, `expr.value(5n)` → `:v0`. */
export class Expr {
  readonly names: Record<string, string> = {};
  readonly values: Record<string, unknown> = {};
  private readonly byName = new Map<string, string>();
  private valueCount = 0;

  name(attribute: string): string {
    let placeholder = this.byName.get(attribute);
    if (placeholder === undefined) {
      placeholder = `#n${this.byName.size}`;
      this.byName.set(attribute, placeholder);
      this.names[placeholder] = attribute;
    }
    return placeholder;
  }

  value(v: unknown): string {
    const placeholder = `:v${this.valueCount++}`;
    this.values[placeholder] = v;
    return placeholder;
  }

  /** The request fields, leaving out empty maps (DynamoDB refuses them). */
  attributes(): {
    ExpressionAttributeNames?: Record<string, string>;
    ExpressionAttributeValues?: Record<string, unknown>;
  } {
    return {
      ...(this.byName.size > 0 && { ExpressionAttributeNames: this.names }),
      ...(this.valueCount > 0 && { ExpressionAttributeValues: this.values }),
    };
  }
}

// ── numbers ────────────────────────────────────────────────────────────────────────────────────

/**
 * lib-dynamodb's wrapped number (`wrapNumbers`: its exact digit string in `value`), known by its
 * shape rather than its class so the decoders load no SDK (`status` reads the store's own files,
 * functions/local/store-file.ts): an instance of a class, not a plain map, Set or list.
 */
const isWrappedNumber = (v: unknown): v is NumberValue =>
  typeof v === 'object' &&
  v !== null &&
  Object.getPrototypeOf(v) !== Object.prototype &&
  typeof (v as { value?: unknown }).value === 'string';

/** An integer N attribute as a bigint; refuses a JS number (it may already have lost digits). */
export function readInteger(where: string, item: Item, attribute: string): bigint {
  const v = item[attribute];
  const text = isWrappedNumber(v) ? v.value : typeof v === 'string' ? v : undefined;
  if (text === undefined || !/^-?\d+$/.test(text)) {
    throw new MalformedItemError(where, attribute, v, 'an integer number (N)');
  }
  return BigInt(text);
}

export function readOptionalInteger(
  where: string,
  item: Item,
  attribute: string,
): bigint | undefined {
  return item[attribute] === undefined ? undefined : readInteger(where, item, attribute);
}

export const readMoney = (where: string, item: Item, attribute: string): Money =>
  moneyFromUnits(readInteger(where, item, attribute));

export function readOptionalMoney(where: string, item: Item, attribute: string): Money | undefined {
  return item[attribute] === undefined ? undefined : readMoney(where, item, attribute);
}

/** A small count (leg, refills) as a JS number, refusing anything beyond the safe range. */
export function readCount(where: string, item: Item, attribute: string): number {
  const n = readInteger(where, item, attribute);
  if (n < 0n || n > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new MalformedItemError(where, attribute, n, 'a count ≥ 0');
  }
  return Number(n);
}

export function readString(where: string, item: Item, attribute: string): string {
  const v = item[attribute];
  if (typeof v !== 'string') throw new MalformedItemError(where, attribute, v, 'a string');
  return v;
}

export function readOptionalString(
  where: string,
  item: Item,
  attribute: string,
): string | undefined {
  return item[attribute] === undefined ? undefined : readString(where, item, attribute);
}

export function readBoolean(
  where: string,
  item: Item,
  attribute: string,
  fallback: boolean,
): boolean {
  const v = item[attribute];
  if (v === undefined) return fallback;
  if (typeof v !== 'boolean') throw new MalformedItemError(where, attribute, v, 'a boolean');
  return v;
}

/** A string set (SS) as a Set; a missing attribute is the empty set. */
export function readStringSet(where: string, item: Item, attribute: string): ReadonlySet<string> {
  const v = item[attribute];
  if (v === undefined) return new Set();
  if (!(v instanceof Set) || [...v].some((x) => typeof x !== 'string')) {
    throw new MalformedItemError(where, attribute, v, 'a string set');
  }
  return v as Set<string>;
}

// ── alerts (state table) ──────────────────────────────────────────────────────────────────────

/**
 * The alerts sent at or after `sinceMs`, newest first, from cooldown claims (`alert#`) and sent
 * transfer alerts (`digest#`) — keys without their prefix. A held alert not sent yet has none.
 */
export function sentOf(
  items: readonly { readonly key: string; readonly item: Record<string, unknown> }[],
  sinceMs: number,
): { key: string; sentAt: number }[] {
  return items
    .filter(({ item }) => item.sent_at !== undefined)
    .map(({ key, item }) => ({ key, sentAt: Number(item.sent_at) }))
    .filter((a) => a.sentAt >= sinceMs)
    .sort((a, b) => b.sentAt - a.sentAt);
}

// ── journal entries (transactions table) ───────────────────────────────────────────────────────

/** A bot's key under its portfolio: `<portfolio>#<bot>` (its snapshots' partition, its journal index key). */
export const botKey = (portfolioId: string, botId: string): string => `${portfolioId}#${botId}`;

/** A history element as stored: `{ status, at, note? }`. */
export const historyItem = (c: StatusChange): Item => ({
  status: c.status,
  at: c.at,
  ...(c.note !== undefined && { note: c.note }),
});

/** The entry's item, without its index attributes (journal-index.ts adds them). */
export function journalItem(e: JournalEntry): Item {
  return {
    id: e.id,
    portfolio_id: e.portfolioId,
    cycle_id: e.cycleId,
    kind: e.kind,
    bot_id: e.botId,
    from: e.from,
    to: e.to,
    amount: e.amount as bigint,
    asked_amount: e.askedAmount,
    reason: e.reason,
    leg: BigInt(e.leg),
    exchange: e.exchange,
    venue: e.venue,
    status: e.status,
    history: e.history.map(historyItem),
    client_oid: e.clientOid,
    exchange_transfer_id: e.exchangeTransferId,
    pot_before: e.potBefore,
    pot_after: e.potAfter,
    reading_balance: e.reading?.balance,
    reading_at: e.reading?.at,
    from_end: e.ends?.from,
    to_end: e.ends?.to,
    error: e.error,
    submit_attempts: BigInt(e.submitAttempts),
    submit_lease_until: e.submitLeaseUntil,
    ledger_applied: e.ledgerApplied,
    operation: e.operation && operationItem(e.operation),
    created_at: e.createdAt,
    updated_at: e.updatedAt,
  };
}

/**
 * An operation's facts as stored: `{ by, account?, pool?, exchange?, capital_base?, pauses? }`,
 * `pauses` a list of `{ bot_id, outcome, status?, detail }`.
 */
const operationItem = (o: OperationFacts): Item => ({
  by: o.by,
  ...(o.binding && {
    account: o.binding.account,
    pool: o.binding.pool,
    exchange: o.binding.exchange,
  }),
  ...(o.capitalBase !== undefined && { capital_base: o.capitalBase }),
  ...(o.pauses && {
    pauses: o.pauses.map((p) => ({
      bot_id: p.botId,
      outcome: p.outcome,
      ...(p.status !== undefined && { status: BigInt(p.status) }),
      detail: p.detail,
    })),
  }),
});

function pausesOf(where: string, map: Item): PauseAnswer[] | undefined {
  const v = map.pauses;
  if (v === undefined) return undefined;
  if (!Array.isArray(v)) throw new MalformedItemError(where, 'pauses', v, 'a list');
  return v.map((p: unknown, i) => {
    const at = `${where} pauses[${i}]`;
    if (typeof p !== 'object' || p === null) {
      throw new MalformedItemError(at, 'element', p, 'a map');
    }
    const answer = p as Item;
    const status = answer.status === undefined ? undefined : readCount(at, answer, 'status');
    return {
      botId: readString(at, answer, 'bot_id'),
      outcome: oneOf(at, answer, 'outcome', PAUSE_OUTCOMES),
      ...(status !== undefined && { status }),
      detail: readString(at, answer, 'detail'),
    };
  });
}

function operationOf(where: string, item: Item): OperationFacts | undefined {
  const v = item.operation;
  if (v === undefined) return undefined;
  if (typeof v !== 'object' || v === null) {
    throw new MalformedItemError(where, 'operation', v, 'a map');
  }
  const map = v as Item;
  const at = `${where} operation`;
  const account = readOptionalString(at, map, 'account');
  const capitalBase = readOptionalMoney(at, map, 'capital_base');
  const pauses = pausesOf(at, map);
  return {
    by: readString(at, map, 'by'),
    ...(account !== undefined && {
      binding: {
        account,
        pool: readString(at, map, 'pool'),
        exchange: readString(at, map, 'exchange'),
      },
    }),
    ...(capitalBase !== undefined && { capitalBase }),
    ...(pauses !== undefined && { pauses }),
  };
}

function oneOf<T extends string>(
  where: string,
  item: Item,
  attribute: string,
  allowed: readonly T[],
): T {
  const v = readString(where, item, attribute);
  if (!(allowed as readonly string[]).includes(v)) {
    throw new MalformedItemError(where, attribute, v, `one of ${allowed.join(', ')}`);
  }
  return v as T;
}

function account(where: string, item: Item, attribute: string): LedgerAccount {
  const v = readString(where, item, attribute);
  if (!isLedgerAccount(v)) {
    throw new MalformedItemError(
      where,
      attribute,
      v,
      'a ledger account (bot:…, reserve:… or outside)',
    );
  }
  return v;
}

function history(where: string, item: Item): StatusChange[] {
  const v = item.history;
  if (!Array.isArray(v)) throw new MalformedItemError(where, 'history', v, 'a list');
  return v.map((h: unknown, i) => {
    const at = `${where} history[${i}]`;
    if (typeof h !== 'object' || h === null) {
      throw new MalformedItemError(at, 'element', h, 'a map');
    }
    const change = h as Item;
    const note = readOptionalString(at, change, 'note');
    return {
      status: oneOf(at, change, 'status', TRANSFER_STATUSES),
      at: readString(at, change, 'at'),
      ...(note !== undefined && { note }),
    };
  });
}

/** A journal item back to an entry; optional fields are left out when absent, never `undefined`. */
export function journalEntryFromItem(item: Item): JournalEntry {
  const where = `transfer ${String(item.id)}`;
  const exchangeTransferId = readOptionalString(where, item, 'exchange_transfer_id');
  const askedAmount = readOptionalMoney(where, item, 'asked_amount');
  const potBefore = readOptionalMoney(where, item, 'pot_before');
  const potAfter = readOptionalMoney(where, item, 'pot_after');
  const readingBalance = readOptionalMoney(where, item, 'reading_balance');
  const readingAt = readOptionalString(where, item, 'reading_at');
  const fromEnd = readOptionalString(where, item, 'from_end');
  const toEnd = readOptionalString(where, item, 'to_end');
  const error = readOptionalString(where, item, 'error');
  const venue = readOptionalString(where, item, 'venue');
  const submitLeaseUntil = readOptionalString(where, item, 'submit_lease_until');
  const operation = operationOf(where, item);
  return {
    id: readString(where, item, 'id'),
    portfolioId: readString(where, item, 'portfolio_id'),
    cycleId: readString(where, item, 'cycle_id'),
    kind: oneOf<EntryKind>(where, item, 'kind', ENTRY_KINDS),
    botId: readString(where, item, 'bot_id'),
    from: account(where, item, 'from'),
    to: account(where, item, 'to'),
    amount: readMoney(where, item, 'amount'),
    reason: readString(where, item, 'reason'),
    leg: readCount(where, item, 'leg'),
    exchange: readString(where, item, 'exchange'),
    status: oneOf(where, item, 'status', TRANSFER_STATUSES),
    history: history(where, item),
    clientOid: readString(where, item, 'client_oid'),
    submitAttempts:
      item.submit_attempts === undefined ? 0 : readCount(where, item, 'submit_attempts'),
    ledgerApplied: readBoolean(where, item, 'ledger_applied', false),
    createdAt: readString(where, item, 'created_at'),
    updatedAt: readString(where, item, 'updated_at'),
    ...(exchangeTransferId !== undefined && { exchangeTransferId }),
    ...(askedAmount !== undefined && { askedAmount }),
    ...(potBefore !== undefined && { potBefore }),
    ...(potAfter !== undefined && { potAfter }),
    ...(readingBalance !== undefined &&
      readingAt !== undefined && { reading: { balance: readingBalance, at: readingAt } }),
    ...(fromEnd !== undefined && toEnd !== undefined && { ends: { from: fromEnd, to: toEnd } }),
    ...(error !== undefined && { error }),
    ...(venue !== undefined && { venue }),
    ...(submitLeaseUntil !== undefined && { submitLeaseUntil }),
    ...(operation !== undefined && { operation }),
  };
}

// ── the state's items: the portfolio's header and one item per bot ─────────────────────────────

/** A bot's fields on its own item, by the core's name (BotState), as the attribute names them. */
const BOT_ATTRIBUTE_NAMES = {
  balance: 'balance',
  capitalBase: 'capital_base',
  contributed: 'contributed',
  harvested: 'harvested',
  protected: 'protected',
  refills: 'refills',
  refillBlocked: 'refill_blocked',
} as const;

export type BotField = keyof typeof BOT_ATTRIBUTE_NAMES;

/** Every ledger and reading field of a bot's item. */
export const BOT_FIELDS = Object.keys(BOT_ATTRIBUTE_NAMES) as BotField[];

/** The bot item's attribute of a field (`capital_base`, …); a bot is funded when it exists. */
export const botAttribute = (field: BotField): string => BOT_ATTRIBUTE_NAMES[field];

/** The parts of a bot's binding, each an attribute of its item. */
export const BINDING_PARTS = ['account', 'pool', 'exchange'] as const;

/** The bot item's map of an operator-confirmed balance. */
export const CONFIRMED = 'confirmed';
/** A retired bot's item keeps only this: the account it sat in. */
export const RETIRED = 'retired';

export const reserveAttribute = (name: string): string => `reserve:${name}`;

/** The reserve a `reserve:<name>` attribute holds. */
export const reserveOfAttribute = (attribute: string): string | undefined =>
  attribute.startsWith('reserve:') ? attribute.slice('reserve:'.length) : undefined;

/** The attribute a ledger delta adds to: on the header, or on the bot's own item for a bot field. */
export const ledgerAttribute = (target: LedgerField): string => {
  switch (target.kind) {
    case 'reserve':
      return reserveAttribute(target.name);
    case 'capital':
      return capitalAttribute(target.name);
    case 'peak':
      return PEAK_FLOWS;
    case 'bot':
      return botAttribute(target.field);
  }
};

/**
 * The operators' flows in and out of the portfolio, all time (deposits, adoptions less
 * withdrawals, retirements): ADDed by the ledger. A cycle writes `peak_equity` with the flows it
 * saw (`peak_flows_seen`), so a flow booked while a cycle runs is never lost from the peak: the
 * peak is `peak_equity + peak_flows − peak_flows_seen`.
 */
export const PEAK_FLOWS = 'peak_flows';
export const PEAK_FLOWS_SEEN = 'peak_flows_seen';

/** A reserve's booked capital (the layout config drift is judged on). */
export const capitalAttribute = (name: string): string => `capital:${name}`;

/** The reserve a `capital:<name>` attribute books the capital of. */
export const capitalOfAttribute = (attribute: string): string | undefined =>
  attribute.startsWith('capital:') ? attribute.slice('capital:'.length) : undefined;
