/**
 * Bitget's answers, parsed once at the edge into exact money (zod, venue/answers.ts). Amounts
 * arrive as decimal strings, sometimes with more decimals than our 10⁻⁸ unit (futures equity).
 * An answer of the wrong shape is a BadResponse in ccxt's terms.
 */
import * as z from 'zod';
import { type Money, ZERO } from '../../core/money.ts';
import type { BalanceReading, ExchangeTransferRecord } from '../../core/ports.ts';
import { checked, decimal, equityReading, id, optionalDecimal } from '../venue/answers.ts';

export { exchangeDecimal } from '../venue/answers.ts';

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
  return checked(data, schema, `bitget ${what}`);
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
    if (account)
      equity.set(
        entry.userId,
        equityReading(account.accountEquity ?? account.equity, 'futures equity', 'Bitget'),
      );
  }
  return equity;
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
