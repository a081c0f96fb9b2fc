/**
 * OKX's answers (`{"code":"0","msg":"","data":[…]}`), parsed once at the edge into exact money
 * (venue/answers.ts). An answer of the wrong shape is a BadResponse in ccxt's terms.
 */
import * as z from 'zod';
import { type Money, ZERO } from '../../core/money.ts';
import type { BalanceReading, ExchangeTransferRecord } from '../../core/ports.ts';
import { unknown } from '../../core/readings.ts';
import { checked, decimal, equityReading, id, optionalDecimal } from '../venue/answers.ts';

function dataOf<T extends z.ZodType>(answer: unknown, schema: T, what: string): z.output<T> {
  const data = (answer as { data?: unknown } | null | undefined)?.data;
  return checked(data, schema, `okx ${what}`);
}

const tradingAccount = z.array(
  z.object({
    details: z
      .array(z.object({ ccy: z.string(), eq: z.unknown().optional(), availBal: optionalDecimal }))
      .nullish(),
  }),
);

/**
 * `account/subaccount/balances`: the sub-account's trading equity in `ccy` (`eq`: cash plus
 * unrealized PnL), or unknown when the answer lists no such currency or a bad value.
 */
export function parseTradingEquity(answer: unknown, ccy: string): BalanceReading {
  const account = dataOf(answer, tradingAccount, 'sub-account trading balances')[0];
  const detail = account?.details?.find((d) => d.ccy === ccy);
  if (!detail) return unknown(`no ${ccy} in OKX's trading account answer`);
  return equityReading(detail.eq, 'trading equity', 'OKX');
}

/** `account/balance`: the master's trading balance of `ccy` that can be moved. */
export function parseTradingAvailable(answer: unknown, ccy: string): Money {
  const account = dataOf(answer, tradingAccount, 'trading balance')[0];
  return account?.details?.find((d) => d.ccy === ccy)?.availBal ?? ZERO;
}

const fundingBalances = z.array(
  z.object({ ccy: z.string(), bal: z.unknown().optional(), availBal: optionalDecimal }),
);

/** `asset/subaccount/balances`: the sub-account's funding balance of `ccy`, or unknown. */
export function parseFundingBalance(answer: unknown, ccy: string): BalanceReading {
  const found = dataOf(answer, fundingBalances, 'sub-account funding balances').find(
    (b) => b.ccy === ccy,
  );
  if (!found) return unknown(`no ${ccy} in OKX's funding account answer`);
  return equityReading(found.bal, 'funding balance', 'OKX');
}

/** `asset/balances`: the master's funding balance of `ccy` that can be moved. */
export function parseFundingAvailable(answer: unknown, ccy: string): Money {
  return (
    dataOf(answer, fundingBalances, 'funding balances').find((b) => b.ccy === ccy)?.availBal ?? ZERO
  );
}

/** `asset/transfer`: the transfer's id. */
export function parseTransferAnswer(answer: unknown): string | undefined {
  return (
    dataOf(answer, z.array(z.object({ transId: id.nullish() })), 'transfer')[0]?.transId ??
    undefined
  );
}

/** OKX's transfer states: success, pending, failed. */
const STATE: Record<string, ExchangeTransferRecord['status']> = {
  success: 'completed',
  failed: 'failed',
};

/** A transfer as OKX's state shows it: its direction (type 1 in, 2 out) and sub-account. */
export interface OkxTransferRecord extends ExchangeTransferRecord {
  readonly ccy: string;
  readonly type: string | undefined;
  readonly subAcct: string | undefined;
}

const transferStates = z.array(
  z.object({
    transId: id,
    clientId: z.string().nullish(),
    ccy: z.string(),
    amt: decimal,
    state: z.string(),
    type: id.nullish(),
    subAcct: z.string().nullish(),
  }),
);

/** The states of `clientId` in an `asset/transfer-state` answer. */
export function parseTransferStates(answer: unknown, clientId: string): OkxTransferRecord[] {
  return dataOf(answer, transferStates, 'transfer state')
    .filter((r) => r.clientId === clientId)
    .map((r) => ({
      clientOid: clientId,
      exchangeTransferId: r.transId,
      status: STATE[r.state.toLowerCase()] ?? 'pending',
      amount: r.amt,
      ccy: r.ccy,
      type: r.type ?? undefined,
      subAcct: r.subAcct || undefined,
    }));
}
