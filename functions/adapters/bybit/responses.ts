/**
 * Bybit's answers (`{"retCode":0,"retMsg":"OK","result":{…}}`), parsed once at the edge into
 * exact money (venue/answers.ts). An answer of the wrong shape is a BadResponse in ccxt's terms.
 */
import * as z from 'zod';
import type { BalanceReading, ExchangeTransferRecord } from '../../core/ports.ts';
import { unknown } from '../../core/readings.ts';
import { checked, decimal, equityReading, id } from '../venue/answers.ts';

function resultOf<T extends z.ZodType>(answer: unknown, schema: T, what: string): z.output<T> {
  const result = (answer as { result?: unknown } | null | undefined)?.result;
  return checked(result, schema, `bybit ${what}`);
}

const coinBalance = z.object({
  balance: z
    .object({
      coin: z.string(),
      walletBalance: z.unknown().optional(),
      transferBalance: z.unknown().optional(),
    })
    .nullish(),
});

/**
 * `asset/transfer/query-account-coin-balance`: the account's wallet balance of `coin` (Bybit's
 * master-key read of a sub-account gives its wallet balance, not its unrealized PnL), or unknown.
 */
export function parseWalletBalance(answer: unknown, coin: string): BalanceReading {
  const { balance } = resultOf(answer, coinBalance, 'coin balance');
  if (!balance || balance.coin !== coin) return unknown(`no ${coin} in Bybit's balance answer`);
  return equityReading(balance.walletBalance, 'wallet balance', 'Bybit');
}

/** The same answer's balance that can be moved (transferBalance), unknown when it is bad. */
export function parseTransferable(answer: unknown, coin: string): BalanceReading {
  const { balance } = resultOf(answer, coinBalance, 'coin balance');
  if (!balance || balance.coin !== coin) return unknown(`no ${coin} in Bybit's balance answer`);
  return equityReading(balance.transferBalance, 'transferable balance', 'Bybit');
}

export function parseUserId(answer: unknown): string {
  return resultOf(answer, z.object({ userID: id }), 'api key info').userID;
}

/** Bybit's transfer statuses: SUCCESS, PENDING, FAILED. */
const STATUS: Record<string, ExchangeTransferRecord['status']> = {
  success: 'completed',
  failed: 'failed',
};

/** A transfer as Bybit's records show it, with the UIDs of its ends. */
export interface BybitTransferRecord extends ExchangeTransferRecord {
  readonly coin: string;
  readonly fromMemberId: string | undefined;
  readonly toMemberId: string | undefined;
}

const records = z.object({
  list: z
    .array(
      z.object({
        transferId: z.string(),
        coin: z.string(),
        amount: decimal,
        status: z.string(),
        fromMemberId: id.nullish(),
        toMemberId: id.nullish(),
      }),
    )
    .nullish(),
});

/** The records of `transferId` (a UUID) in a universal transfer list. */
export function parseTransferRecords(
  answer: unknown,
  transferId: string,
  clientOid: string,
): BybitTransferRecord[] {
  return (resultOf(answer, records, 'universal transfer records').list ?? [])
    .filter((r) => r.transferId === transferId)
    .map((r) => ({
      clientOid,
      exchangeTransferId: r.transferId,
      status: STATUS[r.status.toLowerCase()] ?? 'pending',
      amount: r.amount,
      coin: r.coin,
      fromMemberId: r.fromMemberId ?? undefined,
      toMemberId: r.toMemberId ?? undefined,
    }));
}
