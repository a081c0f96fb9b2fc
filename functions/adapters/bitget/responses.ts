/**
 * Bitget's answers, parsed once at the edge into exact money (zod). Amounts arrive as decimal
 * strings, sometimes with more decimals than our 10⁻⁸ unit (futures equity): they are cut down
 * toward minus infinity, so money never rounds up into existence. An answer of the wrong shape is
 * a BadResponse in ccxt's terms: the caller maps it like any unreadable answer.
 */
import { z } from 'zod';
import { MONEY_DECIMALS, type Money, money, ZERO } from '../../core/money.ts';
import type { BalanceReading, ExchangeTransferRecord } from '../../core/ports.ts';
import { known, unknown } from '../../core/readings.ts';
import { ccxtErrors } from './ccxt.ts';

/** Exact money from Bitget's decimal text (or a JSON number), floored to 10⁻⁸. */
export function exchangeDecimal(value: string | number): Money {
  const text = typeof value === 'number' ? numberText(value) : value.trim();
  const m = /^(-?)(\d+)(?:\.(\d*))?$/.exec(text);
  if (!m) throw new RangeError(`not a decimal amount: ${JSON.stringify(value)}`);
  const [, sign = '', int = '0', frac = ''] = m;
  const kept = money(`${sign}${int}.${frac.slice(0, MONEY_DECIMALS) || '0'}`);
  // Truncation rounded a negative amount up: take one more unit off.
  const cut = /[1-9]/.test(frac.slice(MONEY_DECIMALS));
  return (sign === '-' && cut ? kept - 1n : kept) as Money;
}

function numberText(n: number): string {
  if (!Number.isFinite(n)) throw new RangeError(`not a finite amount: ${n}`);
  const text = String(n);
  return text.includes('e') ? n.toFixed(20) : text;
}

const decimal = z.union([z.string(), z.number()]).transform((v, ctx) => {
  try {
    return exchangeDecimal(v);
  } catch (e) {
    ctx.issues.push({ code: 'custom', input: v, message: (e as Error).message });
    return z.NEVER;
  }
});
const optionalDecimal = decimal.nullish().transform((m) => m ?? ZERO);
const id = z.union([z.string(), z.number()]).transform(String);

const spotAsset = z.object({
  coin: z.string(),
  available: optionalDecimal,
  frozen: optionalDecimal,
  locked: optionalDecimal,
});

/** A page of `v2/spot/account/subaccount-assets`: one entry per sub-account holding assets. */
const spotSubAccountPage = z.array(
  z.object({ id, userId: id, assetsList: z.array(spotAsset).nullish() }),
);

const futuresAccount = z.object({
  marginCoin: z.string(),
  available: optionalDecimal,
  // The docs name the equity `equity` in the table and `accountEquity` in the example.
  accountEquity: decimal.nullish(),
  equity: decimal.nullish(),
  usdtEquity: decimal.nullish(),
});

/**
 * `v2/mix/account/sub-account-assets`: every sub-account's futures accounts of one product type.
 * The equity fields are read per account (futuresEquity), so one bad value makes that account
 * unknown, not the whole answer unreadable.
 */
const futuresSubAccounts = z.array(
  z.object({
    userId: id,
    assetList: z
      .array(
        z.object({
          marginCoin: z.string(),
          accountEquity: z.unknown().optional(),
          equity: z.unknown().optional(),
        }),
      )
      .nullish(),
  }),
);

const transferAnswer = z.object({ transferId: id.nullish(), clientOid: z.string().nullish() });

const accountInfo = z.object({ userId: id });

/** Bitget's transfer statuses: Successful, Failed, Processing. */
const STATUS: Record<string, ExchangeTransferRecord['status']> = {
  successful: 'completed',
  success: 'completed',
  failed: 'failed',
  fail: 'failed',
  processing: 'pending',
};

const transferRecords = z.array(
  z.object({
    coin: z.string(),
    status: z.string(),
    size: decimal,
    clientOid: z.string().nullish(),
    transferId: id.nullish(),
    newTransferId: id.nullish(),
    fromUserId: id.nullish(),
    toUserId: id.nullish(),
    fromType: z.string().nullish(),
    toType: z.string().nullish(),
  }),
);

/** A transfer as Bitget's record shows it, with the ends it moved between. */
export interface BitgetTransferRecord extends ExchangeTransferRecord {
  readonly coin: string;
  readonly fromUserId: string | undefined;
  readonly toUserId: string | undefined;
}

/** The `data` of an answer, checked against `schema`; BadResponse when it does not fit. */
function dataOf<T extends z.ZodType>(answer: unknown, schema: T, what: string): z.output<T> {
  const data = (answer as { data?: unknown } | null | undefined)?.data;
  const parsed = schema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ccxtErrors.BadResponse(
      `bitget ${what}: unexpected answer at ${issue?.path.join('.') || 'data'}: ${issue?.message ?? ''}`,
    );
  }
  return parsed.data;
}

/** One spot page: each sub-account's holding of `coin` (available + frozen + locked), and the page's ids. */
export function parseSpotSubAccountPage(answer: unknown, coin: string) {
  return dataOf(answer, spotSubAccountPage, 'spot sub-account assets').map((entry) => ({
    id: entry.id,
    uid: entry.userId,
    held: sumOf((entry.assetsList ?? []).filter((a) => a.coin === coin)),
  }));
}

/**
 * Every listed sub-account's futures equity in `coin` (unrealized PnL included): known when the
 * answer gives a finite, non-negative amount, else unknown with what it gave. A sub-account the
 * answer does not list is not in the map (the caller decides what its absence means).
 */
export function parseFuturesSubAccounts(
  answer: unknown,
  coin: string,
): Map<string, BalanceReading> {
  const equity = new Map<string, BalanceReading>();
  for (const entry of dataOf(answer, futuresSubAccounts, 'futures sub-account assets')) {
    const account = (entry.assetList ?? []).find((a) => a.marginCoin === coin);
    if (account) equity.set(entry.userId, futuresEquity(account.accountEquity ?? account.equity));
  }
  return equity;
}

function futuresEquity(value: unknown): BalanceReading {
  const shown = JSON.stringify(value) ?? String(value);
  if (typeof value !== 'string' && typeof value !== 'number') {
    return unknown(`futures equity is ${shown} in Bitget's answer`);
  }
  let amount: Money;
  try {
    amount = exchangeDecimal(value);
  } catch {
    return unknown(`futures equity ${shown} is not an amount`);
  }
  return amount < 0n ? unknown(`futures equity ${shown} is negative`) : known(amount);
}

/** The master's spot balance of `coin` that can be moved (available). */
export function parseSpotAvailable(answer: unknown, coin: string): Money {
  const assets = dataOf(answer, z.array(spotAsset), 'spot assets');
  return assets.find((a) => a.coin === coin)?.available ?? ZERO;
}

/** The master's futures balance of `coin` that can be moved (available). */
export function parseFuturesAvailable(answer: unknown, coin: string): Money {
  const accounts = dataOf(answer, z.array(futuresAccount), 'futures accounts');
  return accounts.find((a) => a.marginCoin === coin)?.available ?? ZERO;
}

export function parseAccountUid(answer: unknown): string {
  return dataOf(answer, accountInfo, 'account info').userId;
}

export function parseTransferId(answer: unknown): string | undefined {
  return dataOf(answer, transferAnswer, 'transfer').transferId ?? undefined;
}

/** The records of `clientOid` in a `v2/spot/account/sub-main-trans-record` answer. */
export function parseTransferRecords(answer: unknown, clientOid: string): BitgetTransferRecord[] {
  return dataOf(answer, transferRecords, 'transfer records')
    .filter((r) => r.clientOid === clientOid)
    .map((r) => ({
      clientOid,
      exchangeTransferId: r.newTransferId ?? r.transferId ?? clientOid,
      status: STATUS[r.status.toLowerCase()] ?? 'pending',
      amount: r.size,
      coin: r.coin,
      fromUserId: r.fromUserId ?? undefined,
      toUserId: r.toUserId ?? undefined,
    }));
}

function sumOf(assets: readonly z.output<typeof spotAsset>[]): Money {
  let total = 0n;
  for (const a of assets) total += a.available + a.frozen + a.locked;
  return total as Money;
}
