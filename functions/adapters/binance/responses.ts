/**
 * Binance's answers, parsed once at the edge into exact money (venue/answers.ts). Binance sends
 * amounts as decimal strings; JSON numbers are read too (older endpoints), never through a float
 * sum. An answer of the wrong shape is a BadResponse in ccxt's terms.
 */
import * as z from 'zod';
import { exactDecimal, notionalOf, type PositionReading } from '../../core/exposure.ts';
import { type Money, ZERO } from '../../core/money.ts';
import type { BalanceReading, ExchangeTransferRecord } from '../../core/ports.ts';
import { checked, decimal, equityReading, id, optionalDecimal } from '../venue/answers.ts';

/**
 * `sapi/v2/sub-account/futures/accountSummary` (futuresType 1): a page of sub-accounts, each with
 * its USDⓈ-M margin balance (wallet balance plus unrealized PnL: the bot's equity). The balance
 * is read per sub-account, so one bad value makes that account unknown, not the answer unreadable.
 */
const futuresSummary = z.object({
  futureAccountSummaryResp: z.object({
    subAccountList: z
      .array(
        z.object({
          email: z.string(),
          totalMarginBalance: z.unknown().optional(),
          asset: z.string().nullish(),
        }),
      )
      .nullish(),
  }),
});

/** One page of the futures summary: each listed sub-account's equity, by email as listed. */
export function parseFuturesSummaryPage(answer: unknown): [string, BalanceReading][] {
  const page = checked(answer, futuresSummary, 'binance futures account summary');
  return (page.futureAccountSummaryResp.subAccountList ?? []).map((s) => [
    s.email,
    equityReading(s.totalMarginBalance, 'futures margin balance', 'Binance'),
  ]);
}

const spotBalance = z.object({
  asset: z.string(),
  free: optionalDecimal,
  locked: optionalDecimal,
  freeze: optionalDecimal,
});

/**
 * `sapi/v4/sub-account/assets`: one sub-account's spot holding of `coin` (free + locked + frozen),
 * or unknown when the answer lists no such asset (it lists only what the account holds, and an
 * absent entry cannot be told from a lost one: DESIGN.md §3).
 */
export function parseSubAccountSpot(answer: unknown, coin: string): BalanceReading {
  const { balances } = checked(
    answer,
    z.object({ balances: z.array(spotBalance) }),
    'binance sub-account assets',
  );
  const held = balances.filter((b) => b.asset === coin);
  if (held.length === 0) return { known: false, reason: `no ${coin} in Binance's spot assets` };
  let total = 0n;
  for (const b of held) total += b.free + b.locked + b.freeze;
  return { known: true, balance: total as Money };
}

/** `api/v3/account`: the master's spot balance of `coin` that can be moved (free). */
export function parseSpotFree(answer: unknown, coin: string): Money {
  const { balances } = checked(
    answer,
    z.object({ balances: z.array(spotBalance) }),
    'binance spot account',
  );
  return balances.find((b) => b.asset === coin)?.free ?? ZERO;
}

/** `fapi/v2/balance`: the master's USDⓈ-M futures balance of `coin` that can be moved. */
export function parseFuturesAvailable(answer: unknown, coin: string): Money {
  const balances = checked(
    answer,
    z.array(z.object({ asset: z.string(), availableBalance: optionalDecimal })),
    'binance futures balance',
  );
  return balances.find((b) => b.asset === coin)?.availableBalance ?? ZERO;
}

/** `POST sapi/v1/sub-account/universalTransfer`: `{tranId, clientTranId}`. */
export function parseTransferAnswer(answer: unknown): string | undefined {
  const parsed = checked(
    answer,
    z.object({ tranId: id.nullish(), clientTranId: z.string().nullish() }),
    'binance universal transfer',
  );
  return parsed.tranId ?? undefined;
}

/** Binance's transfer statuses: SUCCESS, PROCESS (assumed for one in progress), FAILURE. */
const STATUS: Record<string, ExchangeTransferRecord['status']> = {
  success: 'completed',
  failure: 'failed',
  failed: 'failed',
  fail: 'failed',
};

/** A transfer as Binance's history shows it, with the emails of its ends. */
export interface BinanceTransferRecord extends ExchangeTransferRecord {
  readonly asset: string;
  readonly fromEmail: string | undefined;
  readonly toEmail: string | undefined;
}

const history = z.object({
  result: z
    .array(
      z.object({
        tranId: id,
        clientTranId: z.string().nullish(),
        fromEmail: z.string().nullish(),
        toEmail: z.string().nullish(),
        asset: z.string(),
        amount: decimal,
        status: z.string(),
      }),
    )
    .nullish(),
});

/** The records of `clientTranId` in a `GET sapi/v1/sub-account/universalTransfer` answer. */
export function parseTransferHistory(
  answer: unknown,
  clientTranId: string,
): BinanceTransferRecord[] {
  return (checked(answer, history, 'binance universal transfer history').result ?? [])
    .filter((r) => r.clientTranId === clientTranId)
    .map((r) => ({
      clientOid: clientTranId,
      exchangeTransferId: r.tranId,
      status: STATUS[r.status.toLowerCase()] ?? 'pending',
      amount: r.amount,
      asset: r.asset,
      fromEmail: r.fromEmail ?? undefined,
      toEmail: r.toEmail ?? undefined,
    }));
}

const positionRisk = z.object({
  futurePositionRiskVos: z
    .array(
      z.object({
        symbol: z.unknown(),
        positionAmount: z.unknown(),
        markPrice: z.unknown(),
      }),
    )
    .nullish(),
});

const shown = (v: unknown) => JSON.stringify(v) ?? String(v);

/**
 * `sapi/v2/sub-account/futures/positionRisk` (futuresType 1): one sub-account's USDⓈ-M positions,
 * their notional Σ |positionAmount| × markPrice (a short's amount is negative). Unknown — never
 * zero — when a position's amount or price is not a number, its price is negative, or its symbol
 * is not quoted in `currency`. A list that is not there at all is a BadResponse.
 */
export function parsePositionRisk(answer: unknown, currency: string): PositionReading {
  const { futurePositionRiskVos: list } = checked(
    answer,
    positionRisk,
    'binance sub-account futures position risk',
  );
  if (!list) return { known: false, reason: 'Binance’s position risk listed no positions field' };
  let notional = 0n;
  let open = 0;
  for (const p of list) {
    const symbol = typeof p.symbol === 'string' ? p.symbol : undefined;
    const amount = exactDecimal(p.positionAmount);
    const value = notionalOf(p.positionAmount, p.markPrice);
    if (amount === undefined || value === undefined) {
      return {
        known: false,
        reason: `position ${shown(p.symbol)}: positionAmount ${shown(p.positionAmount)} × markPrice ${shown(p.markPrice)} is not a notional`,
      };
    }
    if (amount.digits === 0n) continue;
    if (symbol === undefined || !symbol.endsWith(currency)) {
      return {
        known: false,
        reason: `position ${shown(p.symbol)} is not quoted in ${currency}`,
      };
    }
    notional += value;
    open++;
  }
  return {
    known: true,
    notional: notional as Money,
    source: `Binance position risk (${open} open position${open === 1 ? '' : 's'})`,
  };
}
