/**
 * Binance behind the `Exchange` port, through ccxt's Binance class (DESIGN.md §5). Binance names
 * sub-accounts by email: a Binance bot's `account` is its sub-account's email.
 *
 * - Balances: a futures bot's equity is its USDⓈ-M margin balance (wallet plus unrealized PnL)
 *   from `GET /sapi/v2/sub-account/futures/accountSummary`, every sub-account at once in pages of
 *   20: ⌈sub-accounts / 20⌉ calls a cycle (25 for 500 bots). A spot bot's holding needs one
 *   `GET /sapi/v4/sub-account/assets` per spot bot (Binance has no batched per-coin spot read).
 * - Transfers: `POST /sapi/v1/sub-account/universalTransfer` with clientTranId = our transfer id
 *   (32 hex characters), the master's end left out (Binance: "transfer from/to master account by
 *   default if fromEmail/toEmail is not sent").
 * - Positions: `GET /sapi/v2/sub-account/futures/positionRisk` (futuresType 1, USDⓈ-M) once per
 *   futures bot, within its endpoint's limit; a spot bot's positions are unknown (never zero).
 * - Lookup: `GET /sapi/v1/sub-account/universalTransfer?clientTranId=…`. Documented: the history
 *   lists one side at a time (fromEmail or toEmail, default the master as sender) and at most 7
 *   days from startTime (the last 7 days without one). So the lookup asks as the sender of the
 *   transfer (the master, or the bot's email), in windows of 7 days from when it was first sent.
 *   A lookup that cannot be asked that way (no hint of the sender, a transfer sent more than 5
 *   windows ago) throws ExchangeUnavailableError: "no record" would let it be sent again.
 * - A reused clientTranId: the docs say only "must be unique". Assumed either a refusal (then
 *   Binance's record of it is the answer, if it is the same transfer) or the first answer again;
 *   both are handled, and the fake server plays both.
 */
import type { Config } from '../../core/config.ts';
import {
  AuthenticationFailedError,
  ExchangeUnavailableError,
  TransferRejectedError,
} from '../../core/errors.ts';
import { type PositionReading, unknownPosition } from '../../core/exposure.ts';
import { type Money, showMoney } from '../../core/money.ts';
import type {
  BalanceReading,
  Exchange,
  ExchangeAccount,
  ExchangeTransferRecord,
  ExchangeTransferRequest,
  TransferLookupHint,
} from '../../core/ports.ts';
import { unknown } from '../../core/readings.ts';
import type { KeyProvider } from '../secrets.ts';
import {
  type AccountTypeOptions,
  accountTypesFromConfig,
  type CallOptions,
  errorCause,
  subAccountTypeOf,
  type VenueCalls,
  venueCallsOf,
} from '../venue/calls.ts';
import { collectNumberedPages } from '../venue/pagination.ts';
import { answerForUsedId, lookupWindows } from '../venue/transfers.ts';
import { type BinanceClient, createBinanceClient } from './ccxt.ts';
import {
  type BinanceParams,
  ENDPOINTS,
  type EndpointPath,
  HISTORY_WINDOW_MS,
  SUMMARY_PAGE_SIZE,
} from './endpoints.ts';
import { isDuplicateClientTranId, toBotfolioError } from './errors.ts';
import {
  type BinanceTransferRecord,
  parseFuturesAvailable,
  parseFuturesSummaryPage,
  parsePositionRisk,
  parseSpotFree,
  parseSubAccountSpot,
  parseTransferAnswer,
  parseTransferHistory,
} from './responses.ts';

export interface BinanceExchangeOptions extends AccountTypeOptions, CallOptions {
  /** The master key (no passphrase), asked for on the first call. */
  readonly key: KeyProvider;
  /**
   * The master account's email: a record naming it names the master. Without it, a record's end
   * that is not a bot's email is left unsaid (the confirm step then judges the other end only).
   * @default none
   */
  readonly masterEmail?: string;
  /** 7-day windows of history a lookup may ask, back to when the transfer was sent. @default 5 */
  readonly maxHistoryWindows?: number;
  /** @default Date.now */
  readonly now?: () => number;
}

/** The adapter options a config gives (account types per bot and for the master). */
export const binanceOptionsFromConfig = (config: Config) =>
  accountTypesFromConfig(config, 'binance');

/** Binance's account type of a transfer end. */
const ACCOUNT_TYPE = { spot: 'SPOT', futures: 'USDT_FUTURE' } as const;

export class BinanceExchange implements Exchange {
  readonly name = 'binance';
  readonly #options: BinanceExchangeOptions;
  readonly #now: () => number;
  readonly #calls: VenueCalls<BinanceClient, EndpointPath>;

  constructor(options: BinanceExchangeOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#calls = venueCallsOf(
      'binance',
      ENDPOINTS,
      options,
      (key, connection) =>
        createBinanceClient({ apiKey: key.apiKey, secret: key.secret, ...connection }),
      toBotfolioError,
      this.#now,
    );
  }

  /**
   * Futures bots from the batched summary, spot bots one call each. A bot the summary does not
   * list is unknown: it has no futures account, or the answer lost it (DESIGN.md §3). The summary
   * is in USD, summing the USDⓈ-M stablecoins: it is read as the equity of a USDT portfolio only.
   */
  async subAccountBalances(
    uids: readonly string[],
    currency: string,
  ): Promise<Map<string, BalanceReading>> {
    const futuresBots = uids.filter((u) => subAccountTypeOf(this.#options, u) === 'futures');
    const futures =
      futuresBots.length > 0 && currency === 'USDT'
        ? await this.#futuresEquity()
        : new Map<string, BalanceReading>();
    const balances = new Map<string, BalanceReading>();
    for (const uid of uids) {
      if (subAccountTypeOf(this.#options, uid) === 'spot') {
        const answer = await this.#calls.call('sapi/v4/sub-account/assets', { email: uid });
        balances.set(uid, parseSubAccountSpot(answer, currency));
      } else if (currency !== 'USDT') {
        balances.set(uid, unknown(`Binance's futures summary is in USD: not read for ${currency}`));
      } else {
        balances.set(
          uid,
          futures.get(uid.toLowerCase()) ??
            unknown('absent from Binance’s futures account summary'),
        );
      }
    }
    return balances;
  }

  /**
   * Each futures bot's USDⓈ-M positions, one call per bot (Binance has no batched read of them);
   * a read that fails leaves that bot unknown with why, a refused key fails them all.
   */
  async subAccountPositions(
    uids: readonly string[],
    currency: string,
  ): Promise<Map<string, PositionReading>> {
    const out = new Map<string, PositionReading>();
    for (const uid of uids) {
      if (subAccountTypeOf(this.#options, uid) === 'spot') {
        out.set(
          uid,
          unknownPosition('a spot sub-account: Binance’s position risk is futures only'),
        );
        continue;
      }
      if (currency !== 'USDT') {
        out.set(uid, unknownPosition(`Binance positions are read for USDT only, not ${currency}`));
        continue;
      }
      try {
        const answer = await this.#calls.call('sapi/v2/sub-account/futures/positionRisk', {
          email: uid,
          futuresType: '1',
        });
        out.set(uid, parsePositionRisk(answer, currency));
      } catch (error) {
        if (error instanceof AuthenticationFailedError) throw error;
        const why = error instanceof Error ? error.message : String(error);
        out.set(uid, unknownPosition(`Binance position risk read failed: ${why}`));
      }
    }
    return out;
  }

  async masterBalance(currency: string): Promise<Money> {
    if ((this.#options.masterAccountType ?? 'spot') === 'spot') {
      const answer = await this.#calls.call('api/v3/account', { omitZeroBalances: 'true' });
      return parseSpotFree(answer, currency);
    }
    return parseFuturesAvailable(await this.#calls.call('fapi/v2/balance', {}), currency);
  }

  async transfer(req: ExchangeTransferRequest): Promise<ExchangeTransferRecord> {
    const what = `binance transfer ${req.clientOid}`;
    if (req.amount <= 0n) {
      throw new TransferRejectedError(
        `${what}: amount must be positive, got ${showMoney(req.amount)}`,
      );
    }
    const body: BinanceParams = {
      ...(req.from.kind === 'sub' && { fromEmail: req.from.uid }),
      ...(req.to.kind === 'sub' && { toEmail: req.to.uid }),
      fromAccountType: this.#accountType(req.from),
      toAccountType: this.#accountType(req.to),
      asset: req.currency,
      amount: showMoney(req.amount),
      clientTranId: req.clientOid,
    };
    let answer: unknown;
    try {
      answer = await this.#calls.call(
        'sapi/v1/sub-account/universalTransfer#post',
        body,
        'transfer',
        what,
      );
    } catch (error) {
      if (!isDuplicateClientTranId(errorCause(error))) throw error;
      return this.#alreadySubmitted(req, what);
    }
    return {
      clientOid: req.clientOid,
      exchangeTransferId: parseTransferAnswer(answer) ?? req.clientOid,
      // Accepted (or a reused clientTranId answered again): `findTransfer` says what moved.
      status: 'pending',
      amount: req.amount,
    };
  }

  /** Binance's record of the transfer, asked as its sender (see the module's note). */
  async findTransfer(
    clientOid: string,
    hint?: TransferLookupHint,
  ): Promise<ExchangeTransferRecord | undefined> {
    const record = await this.#record(clientOid, hint);
    if (!record) return undefined;
    const end = (email: string | undefined, expected: ExchangeAccount | undefined) =>
      this.#accountOf(email, expected);
    const from = end(record.fromEmail, hint?.from);
    const to = end(record.toEmail, hint?.to);
    return {
      clientOid,
      exchangeTransferId: record.exchangeTransferId,
      status: record.status,
      amount: record.amount,
      currency: record.asset,
      ...(from && { from }),
      ...(to && { to }),
    };
  }

  async #record(
    clientOid: string,
    hint: TransferLookupHint | undefined,
  ): Promise<BinanceTransferRecord | undefined> {
    const what = `binance transfer record ${clientOid}`;
    if (!hint) {
      throw new ExchangeUnavailableError(
        `${what}: Binance lists a transfer by its sender, and the journal does not say who sent it`,
      );
    }
    const sender: BinanceParams = hint.from.kind === 'sub' ? { fromEmail: hint.from.uid } : {};
    const windows = lookupWindows(
      what,
      hint.sentAt,
      this.#now(),
      HISTORY_WINDOW_MS,
      this.#options.maxHistoryWindows ?? 5,
    );
    for (const window of windows) {
      const answer = await this.#calls.call(
        'sapi/v1/sub-account/universalTransfer',
        {
          clientTranId: clientOid,
          ...sender,
          ...(window && { startTime: String(window[0]), endTime: String(window[1]) }),
          limit: '500',
        },
        'read',
        what,
      );
      const found = parseTransferHistory(answer, clientOid)[0];
      if (found) return found;
    }
    return undefined;
  }

  /**
   * Binance refused the clientTranId as used: the transfer was sent before, within Binance's
   * default window of the last 7 days (assumed: a retry comes minutes after, never a week).
   */
  async #alreadySubmitted(req: ExchangeTransferRequest, what: string) {
    const record = await this.#record(req.clientOid, { from: req.from, to: req.to });
    const email = (a: ExchangeAccount) => (a.kind === 'sub' ? a.uid.toLowerCase() : undefined);
    const matches = (a: ExchangeAccount, shown: string | undefined) =>
      email(a) === undefined || shown?.toLowerCase() === email(a);
    return answerForUsedId(what, 'clientTranId', req, {
      record,
      asset: record?.asset,
      sameEnds:
        record !== undefined &&
        matches(req.from, record.fromEmail) &&
        matches(req.to, record.toEmail),
    });
  }

  /** Every listed sub-account's futures equity, by lower-cased email, from all pages. */
  async #futuresEquity(): Promise<Map<string, BalanceReading>> {
    const entries = await collectNumberedPages(
      async (page) =>
        parseFuturesSummaryPage(
          await this.#calls.call('sapi/v2/sub-account/futures/accountSummary', {
            futuresType: '1',
            page: String(page),
            limit: String(SUMMARY_PAGE_SIZE),
          }),
        ),
      { pageSize: SUMMARY_PAGE_SIZE },
    );
    return new Map(entries.map(([email, reading]) => [email.toLowerCase(), reading]));
  }

  /**
   * The account a record's email names: a bot's email is its sub-account, the master's email (when
   * known) the master; an email that is neither is a sub-account of no bot. Without the master's
   * email, an email that is not the expected bot's is left unsaid when the master was expected.
   */
  #accountOf(
    email: string | undefined,
    expected: ExchangeAccount | undefined,
  ): ExchangeAccount | undefined {
    if (email === undefined) return undefined;
    const lower = email.toLowerCase();
    if (expected?.kind === 'sub' && expected.uid.toLowerCase() === lower) return expected;
    if (this.#options.masterEmail?.toLowerCase() === lower) return { kind: 'master' };
    if (expected?.kind === 'master' && this.#options.masterEmail === undefined) return undefined;
    return { kind: 'sub', uid: email };
  }

  #accountType(account: ExchangeAccount): string {
    const type =
      account.kind === 'master'
        ? (this.#options.masterAccountType ?? 'spot')
        : subAccountTypeOf(this.#options, account.uid);
    return ACCOUNT_TYPE[type];
  }
}
