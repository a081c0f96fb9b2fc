/**
 * The paper exchange's saved form (local mode keeps it in its data folder). Money is written as
 * decimal strings and read back exactly; the file is parsed once, here, into typed values.
 */
import * as z from 'zod';
import { formatMoney, type Money, money, type Ratio, ratio } from '../../core/money.ts';
import { showRatio } from '../../core/policy-amounts.ts';
import type { ExchangeAccount } from '../../core/ports.ts';

const AMOUNT = /^\d+(\.\d{1,8})?$/;
const SIGNED_AMOUNT = /^-?\d+(\.\d{1,8})?$/;

const amount = z
  .string()
  .regex(AMOUNT, 'expected a non-negative decimal string with at most 8 decimals')
  .transform((text) => money(text));
const signedAmount = z
  .string()
  .regex(SIGNED_AMOUNT, 'expected a decimal string with at most 8 decimals')
  .transform((text) => money(text));

const account = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('master') }),
  z.object({ kind: z.literal('sub'), uid: z.string().min(1) }),
]);

const accountBook = z.object({ balance: amount, opening: amount, tradingPnl: signedAmount });

const appliedTransfer = z.object({
  clientOid: z.string().min(1),
  exchangeTransferId: z.string().min(1),
  from: account,
  to: account,
  amount,
  asked: amount.optional(),
  currency: z.string().min(1),
  applied: z.number().int().min(1),
});

export const PAPER_EXCHANGE_FORMAT = 'botfolio.paper-exchange/1';

const paperExchangeJson = z.object({
  format: z.literal(PAPER_EXCHANGE_FORMAT),
  name: z.string().min(1),
  currency: z.string().min(1),
  master: accountBook,
  subAccounts: z.record(z.string().min(1), accountBook),
  transfers: z.array(appliedTransfer),
  /** The simulated position of a sub-account: its leverage on its equity (absent: none known). */
  leverage: z
    .record(
      z.string().min(1),
      z
        .string()
        .regex(/^\d+(\.\d{1,8})?$/, 'expected a leverage such as "2.5"')
        .transform((text) => ratio(text)),
    )
    .optional(),
});

/** One account as the exchange books it. `balance = opening + tradingPnl + transfers in − out`. */
export interface PaperAccountBook {
  readonly balance: Money;
  /** The balance the account was opened with. */
  readonly opening: Money;
  /** Net change from the bot's trading (the simulator), apart from transfers. */
  readonly tradingPnl: Money;
}

/** A transfer the exchange applied, and how many times it applied that clientOid (1, unless a test turned deduplication off). */
export interface PaperAppliedTransfer {
  readonly clientOid: string;
  readonly exchangeTransferId: string;
  readonly from: ExchangeAccount;
  readonly to: ExchangeAccount;
  /** What it moved. */
  readonly amount: Money;
  /** What was asked, when it moved another amount (a `short` fault). */
  readonly asked?: Money;
  readonly currency: string;
  readonly applied: number;
}

/** The exchange's whole state, typed. */
export interface PaperExchangeData {
  readonly name: string;
  readonly currency: string;
  readonly master: PaperAccountBook;
  readonly subAccounts: ReadonlyMap<string, PaperAccountBook>;
  readonly transfers: readonly PaperAppliedTransfer[];
  /** Each sub-account's simulated leverage, where it carries a position. */
  readonly leverage?: ReadonlyMap<string, Ratio>;
}

/** The saved form: what `JSON.stringify` writes. */
export type PaperExchangeJson = z.input<typeof paperExchangeJson>;

function bookJson(book: PaperAccountBook): z.input<typeof accountBook> {
  return {
    balance: formatMoney(book.balance),
    opening: formatMoney(book.opening),
    tradingPnl: formatMoney(book.tradingPnl),
  };
}

export function paperExchangeToJson(data: PaperExchangeData): PaperExchangeJson {
  return {
    format: PAPER_EXCHANGE_FORMAT,
    name: data.name,
    currency: data.currency,
    master: bookJson(data.master),
    subAccounts: Object.fromEntries([...data.subAccounts].map(([uid, b]) => [uid, bookJson(b)])),
    transfers: data.transfers.map(({ asked, ...t }) => ({
      ...t,
      amount: formatMoney(t.amount),
      ...(asked !== undefined && { asked: formatMoney(asked) }),
    })),
    ...(data.leverage &&
      data.leverage.size > 0 && {
        leverage: Object.fromEntries([...data.leverage].map(([uid, r]) => [uid, showRatio(r)])),
      }),
  };
}

/** Parses a saved exchange; the error lists every bad path and value. */
export function paperExchangeFromJson(json: unknown): PaperExchangeData {
  const parsed = paperExchangeJson.safeParse(json);
  if (!parsed.success) {
    throw new TypeError(`invalid paper exchange data:\n${z.prettifyError(parsed.error)}`);
  }
  const data = parsed.data;
  return {
    ...data,
    subAccounts: new Map(Object.entries(data.subAccounts)),
    transfers: data.transfers,
    leverage: new Map(Object.entries(data.leverage ?? {})),
  };
}
