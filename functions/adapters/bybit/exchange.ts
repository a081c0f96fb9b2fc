/**
 * Bybit behind the `Exchange` port, through ccxt's Bybit class (DESIGN.md §5). Bybit names
 * sub-accounts by UID (`memberId`).
 *
 * - Balances: Bybit has no batched read of sub-accounts. Each bot's sub-account is read on its
 *   own with the master key (`GET /v5/asset/transfer/query-account-coin-balance?memberId=…`,
 *   accountType UNIFIED for futures bots, FUND for spot ones): the wallet balance — Bybit's
 *   master-key read of a sub-account does not include unrealized PnL (the only equity with it is
 *   the sub-account's own key's wallet-balance). One call per bot, at the assumed 60 per minute.
 *   A call that fails leaves that bot unknown with why; a refused key fails them all.
 * - Transfers: `POST /v5/asset/transfer/universal-transfer` with the required `transferId` UUID
 *   = our transfer id (32 hex characters) written as a UUID, both ends by UID (the master's from
 *   `GET /v5/user/query-api` once), accountType FUND for `spot`, UNIFIED for `futures`.
 * - Lookup: `GET /v5/asset/transfer/query-universal-transfer-list?transferId=…` — documented:
 *   7 days from startTime (the last 7 without one). The lookup asks in 7-day windows from when
 *   the transfer was first sent, and refuses (ExchangeUnavailableError) past 5 windows.
 * - A reused transferId: "unique across the platform"; what a reuse answers is not documented.
 *   A refusal is answered from Bybit's record; an answer naming the first transfer is taken.
 */
import type { Config } from '../../core/config.ts';
import { ExchangeUnavailableError, TransferRejectedError } from '../../core/errors.ts';
import { type Money, showMoney } from '../../core/money.ts';
import type {
  BalanceReading,
  Exchange,
  ExchangeAccount,
  ExchangeTransferRecord,
  ExchangeTransferRequest,
  TransferLookupHint,
} from '../../core/ports.ts';
import {
  type AccountTypeOptions,
  accountTypesFromConfig,
  type CallOptions,
  errorCause,
  onceKept,
  readEach,
  subAccountTypeOf,
  type VenueCalls,
  venueCallsOf,
} from '../venue/calls.ts';
import { answerForUsedId, lookupWindows } from '../venue/transfers.ts';
import { type BybitClient, createBybitClient } from './ccxt.ts';
import { ENDPOINTS, type EndpointPath, RECORDS_WINDOW_MS } from './endpoints.ts';
import { isDuplicateTransferId, toBotfolioError } from './errors.ts';
import {
  type BybitTransferRecord,
  parseTransferable,
  parseTransferRecords,
  parseUserId,
  parseWalletBalance,
} from './responses.ts';

export interface BybitExchangeOptions extends AccountTypeOptions, CallOptions {
  /** The master account's UID. @default asked of Bybit once (`user/query-api`) */
  readonly masterUid?: string;
  /** @default Date.now */
  readonly now?: () => number;
}

export const bybitOptionsFromConfig = (config: Config) => accountTypesFromConfig(config, 'bybit');

/** Bybit's account type of a transfer end. */
const ACCOUNT_TYPE = { spot: 'FUND', futures: 'UNIFIED' } as const;

/**
 * Our transfer id as the UUID Bybit requires: 32 hex characters written 8-4-4-4-12 (the same id
 * read back by removing the dashes). Anything else is not an id of ours.
 */
export function transferUuid(clientOid: string): string {
  const m = /^([0-9a-f]{8})([0-9a-f]{4})([0-9a-f]{4})([0-9a-f]{4})([0-9a-f]{12})$/i.exec(clientOid);
  if (!m)
    throw new TransferRejectedError(
      `bybit transfer ${clientOid}: not a transfer id of 32 hex characters`,
    );
  return m.slice(1).join('-').toLowerCase();
}

export class BybitExchange implements Exchange {
  readonly name = 'bybit';
  readonly #options: BybitExchangeOptions;
  readonly #now: () => number;
  readonly #calls: VenueCalls<BybitClient, EndpointPath>;
  readonly #masterUidOnce: () => Promise<string>;

  constructor(options: BybitExchangeOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#calls = venueCallsOf(
      'bybit',
      ENDPOINTS,
      options,
      (key, connection) =>
        createBybitClient({ apiKey: key.apiKey, secret: key.secret, ...connection }),
      toBotfolioError,
      this.#now,
    );
    const { masterUid } = options;
    this.#masterUidOnce =
      masterUid !== undefined
        ? async () => masterUid
        : onceKept(async () => parseUserId(await this.#calls.call('user/query-api', {})));
  }

  async subAccountBalances(
    uids: readonly string[],
    currency: string,
  ): Promise<Map<string, BalanceReading>> {
    return readEach(uids, async (uid) => {
      const answer = await this.#calls.call('asset/transfer/query-account-coin-balance', {
        memberId: uid,
        accountType: ACCOUNT_TYPE[subAccountTypeOf(this.#options, uid)],
        coin: currency,
      });
      return parseWalletBalance(answer, currency);
    });
  }

  async masterBalance(currency: string): Promise<Money> {
    const answer = await this.#calls.call('asset/transfer/query-account-coin-balance', {
      accountType: ACCOUNT_TYPE[this.#options.masterAccountType ?? 'spot'],
      coin: currency,
    });
    const reading = parseTransferable(answer, currency);
    if (!reading.known)
      throw new ExchangeUnavailableError(`bybit master balance: ${reading.reason}`);
    return reading.balance;
  }

  async transfer(req: ExchangeTransferRequest): Promise<ExchangeTransferRecord> {
    const what = `bybit transfer ${req.clientOid}`;
    if (req.amount <= 0n) {
      throw new TransferRejectedError(
        `${what}: amount must be positive, got ${showMoney(req.amount)}`,
      );
    }
    const transferId = transferUuid(req.clientOid);
    const masterUid = await this.#masterUidOnce();
    const uidOf = (a: ExchangeAccount) => (a.kind === 'master' ? masterUid : a.uid);
    const body = {
      transferId,
      coin: req.currency,
      amount: showMoney(req.amount),
      fromMemberId: uidOf(req.from),
      toMemberId: uidOf(req.to),
      fromAccountType: this.#accountType(req.from),
      toAccountType: this.#accountType(req.to),
    };
    try {
      await this.#calls.call('asset/transfer/universal-transfer', body, 'transfer', what);
    } catch (error) {
      if (!isDuplicateTransferId(errorCause(error))) throw error;
      const record = await this.#record(req.clientOid, { from: req.from, to: req.to });
      return answerForUsedId(what, 'transferId', req, {
        record,
        asset: record?.coin,
        sameEnds:
          (record?.fromMemberId ?? body.fromMemberId) === body.fromMemberId &&
          (record?.toMemberId ?? body.toMemberId) === body.toMemberId,
      });
    }
    return {
      clientOid: req.clientOid,
      exchangeTransferId: transferId,
      status: 'pending',
      amount: req.amount,
    };
  }

  async findTransfer(
    clientOid: string,
    hint?: TransferLookupHint,
  ): Promise<ExchangeTransferRecord | undefined> {
    const record = await this.#record(clientOid, hint);
    if (!record) return undefined;
    const { fromMemberId, toMemberId } = record;
    const masterUid =
      fromMemberId !== undefined || toMemberId !== undefined
        ? await this.#masterUidOnce()
        : undefined;
    const accountOf = (uid: string): ExchangeAccount =>
      uid === masterUid ? { kind: 'master' } : { kind: 'sub', uid };
    return {
      clientOid,
      exchangeTransferId: record.exchangeTransferId,
      status: record.status,
      amount: record.amount,
      currency: record.coin,
      ...(fromMemberId !== undefined && { from: accountOf(fromMemberId) }),
      ...(toMemberId !== undefined && { to: accountOf(toMemberId) }),
    };
  }

  async #record(
    clientOid: string,
    hint: TransferLookupHint | undefined,
  ): Promise<BybitTransferRecord | undefined> {
    const what = `bybit transfer record ${clientOid}`;
    const transferId = transferUuid(clientOid);
    for (const window of lookupWindows(what, hint?.sentAt, this.#now(), RECORDS_WINDOW_MS, 5)) {
      const answer = await this.#calls.call(
        'asset/transfer/query-universal-transfer-list',
        {
          transferId,
          ...(window && { startTime: String(window[0]), endTime: String(window[1]) }),
          limit: '50',
        },
        'read',
        what,
      );
      const found = parseTransferRecords(answer, transferId, clientOid)[0];
      if (found) return found;
    }
    return undefined;
  }

  #accountType(account: ExchangeAccount): string {
    const type =
      account.kind === 'master'
        ? (this.#options.masterAccountType ?? 'spot')
        : subAccountTypeOf(this.#options, account.uid);
    return ACCOUNT_TYPE[type];
  }
}
