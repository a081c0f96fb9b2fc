/**
 * Bitget behind the `Exchange` port, through ccxt's Bitget class (DESIGN.md §5).
 *
 * - Balances: every sub-account's equity from the batched sub-account endpoints — spot assets in
 *   pages of 50 (only sub-accounts holding something are listed), plus the futures accounts of the
 *   portfolio currency's product (USDT-FUTURES: where perpetual bots keep their margin), one call
 *   for all. A bot's balance is its spot holding of the currency plus its futures equity. The
 *   call count depends on how many sub-accounts hold spot assets, never on how many bots are read.
 * - Transfers: `v2/spot/wallet/subaccount-transfer` with clientOid = our transfer id, between the
 *   master's account (spot by default) and the bot's (futures by default). A clientOid Bitget has
 *   seen before is answered from Bitget's own record of it, never submitted as new money.
 * - Verification: `v2/spot/account/sub-main-trans-record` filtered by clientOid.
 * - Every call is rate limited per endpoint, and its errors mapped to ours (errors.ts).
 *
 * The master key comes from a KeyProvider on first use; the ccxt client holding it stays private.
 */
import type { Config, ExchangeName } from '../../core/config.ts';
import { AmbiguousOutcomeError, TransferRejectedError } from '../../core/errors.ts';
import { type Money, showMoney, ZERO } from '../../core/money.ts';
import type {
  BalanceReading,
  Exchange,
  ExchangeAccount,
  ExchangeTransferRecord,
  ExchangeTransferRequest,
} from '../../core/ports.ts';
import { known, unknown } from '../../core/readings.ts';
import type { KeyProvider } from '../secrets.ts';
import {
  type AccountTypeOptions,
  accountTypesFromConfig,
  type CallOptions,
  errorCause,
  onceKept,
  subAccountTypeOf,
  type VenueCalls,
  venueCallsOf,
} from '../venue/calls.ts';
import type { CallKind } from '../venue/errors.ts';
import { collectPages } from '../venue/pagination.ts';
import { type BitgetClient, createBitgetClient } from './ccxt.ts';
import {
  type BitgetParams,
  ENDPOINTS,
  type EndpointPath,
  SUB_ACCOUNT_PAGE_SIZE,
} from './endpoints.ts';
import { isDuplicateClientOid, toBotfolioError } from './errors.ts';
import {
  type BitgetTransferRecord,
  parseAccountUid,
  parseFuturesAvailable,
  parseFuturesSubAccounts,
  parseSpotAvailable,
  parseSpotSubAccountPage,
  parseTransferId,
  parseTransferRecords,
} from './responses.ts';

export interface BitgetExchangeOptions extends AccountTypeOptions, CallOptions {
  /** The master key, asked for on the first call. */
  readonly key: KeyProvider;
  /** The master account's UID. @default asked of Bitget once (`v2/spot/account/info`) */
  readonly masterUid?: string;
  /**
   * How long a futures snapshot (all sub-accounts, one call per 10 s) may be reused by a later
   * balance read in the same container instead of waiting for the endpoint. @default 10 000 ms
   */
  readonly futuresSnapshotMaxAgeMs?: number;
  /** @default Date.now */
  readonly now?: () => number;
}

/** The adapter options a config gives (account types per bot and for the master). */
export const bitgetOptionsFromConfig = (
  config: Config,
  exchange: ExchangeName = 'bitget',
): Required<AccountTypeOptions> => accountTypesFromConfig(config, exchange);

/** Bitget's futures product of a margin coin; undefined when it has none. */
const FUTURES_PRODUCTS: Readonly<Record<string, { productType: string; accountType: string }>> = {
  USDT: { productType: 'USDT-FUTURES', accountType: 'usdt_futures' },
  USDC: { productType: 'USDC-FUTURES', accountType: 'usdc_futures' },
};

interface FuturesSnapshot {
  readonly coin: string;
  readonly at: number;
  readonly equity: ReadonlyMap<string, BalanceReading>;
}

export class BitgetExchange implements Exchange {
  readonly name = 'bitget';
  readonly #options: BitgetExchangeOptions;
  readonly #calls: VenueCalls<BitgetClient, EndpointPath>;
  readonly #now: () => number;
  readonly #masterUidOnce: () => Promise<string>;
  #futures: FuturesSnapshot | undefined;

  constructor(options: BitgetExchangeOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#calls = venueCallsOf(
      'bitget',
      ENDPOINTS,
      options,
      (key, connection) =>
        createBitgetClient({
          apiKey: key.apiKey,
          secret: key.secret,
          passphrase: key.passphrase,
          ...connection,
        }),
      toBotfolioError,
      this.#now,
    );
    const { masterUid } = options;
    this.#masterUidOnce =
      masterUid !== undefined
        ? async () => masterUid
        : onceKept(async () => parseAccountUid(await this.#call('v2/spot/account/info', {})));
  }

  /**
   * Spot holdings plus futures equity. Bitget lists only the sub-accounts that hold something in
   * spot, so a futures bot absent from the spot pages holds nothing there; but a bot absent from
   * the answer of the account its transfers use (futures, or spot) is unknown — it holds nothing
   * there, or the answer lost it, and the two cannot be told apart (DESIGN.md §3).
   */
  async subAccountBalances(
    uids: readonly string[],
    currency: string,
  ): Promise<Map<string, BalanceReading>> {
    // Independent endpoints, each with its own rate limit: read both at once.
    const hasFutures = FUTURES_PRODUCTS[currency] !== undefined;
    const [spot, futures] = await Promise.all([
      this.#spotHoldings(currency),
      hasFutures ? this.#futuresEquity(currency) : new Map<string, BalanceReading>(),
    ]);
    const balances = new Map<string, BalanceReading>();
    for (const uid of uids) {
      const trades = this.#subAccountType(uid);
      const held = spot.get(uid);
      const equity = futures.get(uid);
      if (trades === 'spot' && held === undefined) {
        balances.set(uid, unknown('absent from Bitget’s spot sub-account assets'));
      } else if (trades !== 'spot' && hasFutures && equity === undefined) {
        balances.set(uid, unknown('absent from Bitget’s futures sub-account assets'));
      } else if (equity !== undefined && !equity.known) {
        balances.set(uid, equity);
      } else {
        const total = (held ?? ZERO) + (equity?.known ? equity.balance : ZERO);
        balances.set(uid, known(total as Money));
      }
    }
    return balances;
  }

  async masterBalance(currency: string): Promise<Money> {
    if ((this.#options.masterAccountType ?? 'spot') === 'spot') {
      const answer = await this.#call('v2/spot/account/assets', { coin: currency });
      return parseSpotAvailable(answer, currency);
    }
    const answer = await this.#call('v2/mix/account/accounts', {
      productType: this.#futuresProduct(currency).productType,
    });
    return parseFuturesAvailable(answer, currency);
  }

  async transfer(req: ExchangeTransferRequest): Promise<ExchangeTransferRecord> {
    const what = `bitget transfer ${req.clientOid}`;
    // A snapshot from before a transfer (even one that fails or is lost) is not reused after it.
    this.#futures = undefined;
    if (req.amount <= 0n) {
      throw new TransferRejectedError(
        `${what}: amount must be positive, got ${showMoney(req.amount)}`,
      );
    }
    const masterUid = await this.#masterUidOnce();
    const end = (a: ExchangeAccount) => ({
      userId: a.kind === 'master' ? masterUid : a.uid,
      type: this.#accountType(a, req.currency),
    });
    const from = end(req.from);
    const to = end(req.to);
    const body: BitgetParams = {
      fromType: from.type,
      toType: to.type,
      amount: showMoney(req.amount),
      coin: req.currency,
      clientOid: req.clientOid,
      fromUserId: from.userId,
      toUserId: to.userId,
    };
    let answer: unknown;
    try {
      answer = await this.#call('v2/spot/wallet/subaccount-transfer', body, 'transfer', what);
    } catch (error) {
      if (!isDuplicateClientOid(errorCause(error))) throw error;
      return this.#alreadySubmitted(req, from.userId, to.userId);
    }
    return {
      clientOid: req.clientOid,
      exchangeTransferId: parseTransferId(answer) ?? req.clientOid,
      // Accepted; `findTransfer` (the workflow's verify step) says when it is done.
      status: 'pending',
      amount: req.amount,
    };
  }

  /**
   * Bitget's record of the transfer: what it moved, in which coin, between which accounts (its
   * user ids: the master's UID is the master account) — the confirm step judges it against what
   * was asked.
   */
  async findTransfer(clientOid: string): Promise<ExchangeTransferRecord | undefined> {
    const record = await this.#record(clientOid);
    if (!record) return undefined;
    const { fromUserId, toUserId } = record;
    const masterUid =
      fromUserId !== undefined || toUserId !== undefined ? await this.#masterUidOnce() : undefined;
    const accountOf = (userId: string): ExchangeAccount =>
      userId === masterUid ? { kind: 'master' } : { kind: 'sub', uid: userId };
    return {
      clientOid: record.clientOid,
      exchangeTransferId: record.exchangeTransferId,
      status: record.status,
      amount: record.amount,
      currency: record.coin,
      ...(fromUserId !== undefined && { from: accountOf(fromUserId) }),
      ...(toUserId !== undefined && { to: accountOf(toUserId) }),
    };
  }

  /**
   * Bitget's record of a clientOid. The records endpoint lists, without `subUid`, the master's
   * transfers: those it initiated by default, those it received with `role=receiver`. Our
   * transfers all have the master at one end, so the two queries find any of them.
   */
  async #record(clientOid: string): Promise<BitgetTransferRecord | undefined> {
    const what = `bitget transfer record ${clientOid}`;
    for (const role of ['initiator', 'receiver']) {
      const answer = await this.#call(
        'v2/spot/account/sub-main-trans-record',
        { clientOid, role, limit: '100' },
        'read',
        what,
      );
      const found = parseTransferRecords(answer, clientOid)[0];
      if (found) return found;
    }
    return undefined;
  }

  /**
   * Bitget refused the clientOid as used: the transfer was submitted before (a retry after a
   * lost answer). Its record is the answer — if it is the same transfer.
   */
  async #alreadySubmitted(
    req: ExchangeTransferRequest,
    fromUserId: string,
    toUserId: string,
  ): Promise<ExchangeTransferRecord> {
    const record = await this.#record(req.clientOid);
    if (!record) {
      throw new AmbiguousOutcomeError(
        `bitget transfer ${req.clientOid}: Bitget says the clientOid was used but shows no record of it yet`,
      );
    }
    const same =
      record.amount === req.amount &&
      record.coin === req.currency &&
      (record.fromUserId ?? fromUserId) === fromUserId &&
      (record.toUserId ?? toUserId) === toUserId;
    if (!same) {
      throw new TransferRejectedError(
        `bitget transfer ${req.clientOid}: clientOid already used by a different transfer (${showMoney(record.amount)} ${record.coin}); nothing moved`,
      );
    }
    return {
      clientOid: record.clientOid,
      exchangeTransferId: record.exchangeTransferId,
      status: record.status,
      amount: record.amount,
    };
  }

  /** Every sub-account's spot holding of `coin`, by UID, from all pages. */
  async #spotHoldings(coin: string): Promise<Map<string, Money>> {
    const entries = await collectPages(
      async (cursor) =>
        parseSpotSubAccountPage(
          await this.#call('v2/spot/account/subaccount-assets', {
            limit: String(SUB_ACCOUNT_PAGE_SIZE),
            ...(cursor !== undefined && { idLessThan: cursor }),
          }),
          coin,
        ),
      (entry) => entry.id,
      { pageSize: SUB_ACCOUNT_PAGE_SIZE },
    );
    return new Map(entries.map((e) => [e.uid, e.held]));
  }

  /**
   * Every sub-account's futures equity in `coin`. The endpoint allows one call per 10 s: a
   * snapshot younger than that is reused rather than waited for (a transfer guard reading one
   * bot right after a cycle read them all), unless this adapter has sent a transfer since.
   */
  async #futuresEquity(coin: string): Promise<ReadonlyMap<string, BalanceReading>> {
    const maxAge = this.#options.futuresSnapshotMaxAgeMs ?? 10_000;
    const recent = this.#futures;
    if (recent && recent.coin === coin && this.#now() - recent.at < maxAge) return recent.equity;
    const answer = await this.#call('v2/mix/account/sub-account-assets', {
      productType: this.#futuresProduct(coin).productType,
    });
    const equity = parseFuturesSubAccounts(answer, coin);
    this.#futures = { coin, at: this.#now(), equity };
    return equity;
  }

  /** Bitget's account type name for a transfer end: `spot`, `usdt_futures`, … */
  #accountType(account: ExchangeAccount, currency: string): string {
    const type =
      account.kind === 'master'
        ? (this.#options.masterAccountType ?? 'spot')
        : this.#subAccountType(account.uid);
    return type === 'spot' ? 'spot' : this.#futuresProduct(currency).accountType;
  }

  /** The account a bot's transfers use in its sub-account. */
  #subAccountType(uid: string) {
    return subAccountTypeOf(this.#options, uid);
  }

  #futuresProduct(currency: string) {
    const product = FUTURES_PRODUCTS[currency];
    if (!product) {
      throw new TransferRejectedError(
        `bitget has no futures account for ${currency}: use account type "spot"`,
      );
    }
    return product;
  }

  /** One rate-limited, signed call; its errors become ours. */
  #call(
    path: EndpointPath,
    params: BitgetParams,
    ...how: [kind?: CallKind, what?: string]
  ): Promise<unknown> {
    return this.#calls.call(path, params, ...how);
  }
}
