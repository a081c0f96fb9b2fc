/**
 * OKX behind the `Exchange` port, through ccxt's OKX class (DESIGN.md §5). OKX names
 * sub-accounts by name: an OKX bot's `account` is its sub-account's name.
 *
 * - Balances: OKX has no batched read of sub-accounts' balances. Each bot's sub-account is read
 *   on its own — a futures bot's trading account equity (`GET /api/v5/account/subaccount/
 *   balances`, `eq`: cash plus unrealized PnL), a spot bot's funding balance — within the
 *   endpoint's limit (5 of OKX's 6 calls per 2 s): one call per bot, ~0.4 s each. A call that
 *   fails leaves that bot unknown with why (the others are read); a refused key fails them all.
 * - Transfers: `POST /api/v5/asset/transfer`, type 1 (master → sub) or 2 (sub → master), with
 *   clientId = our transfer id (OKX: 1–32 letters and digits; ours are 32 hex characters). The
 *   master's account is funding (6) for `spot`, trading (18) for `futures`; the bot's likewise.
 * - Lookup: `GET /api/v5/asset/transfer-state?clientId=…&type=…`; the type (the direction) is
 *   the hint's, or both are asked. How long OKX keeps a state is not documented: assumed 14 days;
 *   a transfer sent longer ago than that cannot be asked and throws ExchangeUnavailableError.
 * - A reused clientId: not documented. A refusal is answered from OKX's record; an answer naming
 *   the first transfer is taken as it. Either way the workflow's confirm step verifies.
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
import type { KeyProvider } from '../secrets.ts';
import {
  type AccountTypeOptions,
  accountTypesFromConfig,
  type CallOptions,
  errorCause,
  readEach,
  subAccountTypeOf,
  type VenueCalls,
  venueCallsOf,
} from '../venue/calls.ts';
import { answerForUsedId } from '../venue/transfers.ts';
import { createOkxClient, type OkxClient } from './ccxt.ts';
import { ENDPOINTS, type EndpointPath, TRANSFER_STATE_KEPT_MS } from './endpoints.ts';
import { isDuplicateClientId, toBotfolioError } from './errors.ts';
import {
  type OkxTransferRecord,
  parseFundingAvailable,
  parseFundingBalance,
  parseTradingAvailable,
  parseTradingEquity,
  parseTransferAnswer,
  parseTransferStates,
} from './responses.ts';

export interface OkxExchangeOptions extends AccountTypeOptions, CallOptions {
  /** The master key (with its passphrase), asked for on the first call. */
  readonly key: KeyProvider;
  /** @default Date.now */
  readonly now?: () => number;
}

export const okxOptionsFromConfig = (config: Config) => accountTypesFromConfig(config, 'okx');

/** OKX's account of a transfer end: 6 funding, 18 trading. */
const ACCOUNT = { spot: '6', futures: '18' } as const;
/** Transfer types: 1 master → sub, 2 sub → master (both with the master's key). */
const INTO_SUB = '1';
const OUT_OF_SUB = '2';
const MASTER: ExchangeAccount = { kind: 'master' };

export class OkxExchange implements Exchange {
  readonly name = 'okx';
  readonly #options: OkxExchangeOptions;
  readonly #now: () => number;
  readonly #calls: VenueCalls<OkxClient, EndpointPath>;

  constructor(options: OkxExchangeOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#calls = venueCallsOf(
      'okx',
      ENDPOINTS,
      options,
      (key, connection) =>
        createOkxClient({
          apiKey: key.apiKey,
          secret: key.secret,
          passphrase: key.passphrase,
          ...connection,
        }),
      toBotfolioError,
      this.#now,
    );
  }

  /** One call per bot, one after the other within the endpoint's limit (see the module's note). */
  async subAccountBalances(
    uids: readonly string[],
    currency: string,
  ): Promise<Map<string, BalanceReading>> {
    return readEach(uids, async (uid) => {
      const spot = subAccountTypeOf(this.#options, uid) === 'spot';
      const answer = await this.#calls.call(
        spot ? 'asset/subaccount/balances' : 'account/subaccount/balances',
        { subAcct: uid, ccy: currency },
      );
      return spot ? parseFundingBalance(answer, currency) : parseTradingEquity(answer, currency);
    });
  }

  async masterBalance(currency: string): Promise<Money> {
    if ((this.#options.masterAccountType ?? 'spot') === 'spot') {
      return parseFundingAvailable(
        await this.#calls.call('asset/balances', { ccy: currency }),
        currency,
      );
    }
    return parseTradingAvailable(
      await this.#calls.call('account/balance', { ccy: currency }),
      currency,
    );
  }

  async transfer(req: ExchangeTransferRequest): Promise<ExchangeTransferRecord> {
    const what = `okx transfer ${req.clientOid}`;
    if (req.amount <= 0n) {
      throw new TransferRejectedError(
        `${what}: amount must be positive, got ${showMoney(req.amount)}`,
      );
    }
    const sub = this.#subOf(req.from, req.to, what);
    const body = {
      type: req.to.kind === 'sub' ? INTO_SUB : OUT_OF_SUB,
      ccy: req.currency,
      amt: showMoney(req.amount),
      from: this.#account(req.from),
      to: this.#account(req.to),
      subAcct: sub,
      clientId: req.clientOid,
    };
    let answer: unknown;
    try {
      answer = await this.#calls.call('asset/transfer', body, 'transfer', what);
    } catch (error) {
      if (!isDuplicateClientId(errorCause(error))) throw error;
      const record = await this.#record(req.clientOid, { from: req.from, to: req.to });
      return answerForUsedId(what, 'clientId', req, {
        record,
        asset: record?.ccy,
        sameEnds: record?.type === body.type && (record?.subAcct ?? sub) === sub,
      });
    }
    return {
      clientOid: req.clientOid,
      exchangeTransferId: parseTransferAnswer(answer) ?? req.clientOid,
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
    // Type 1 moved master → sub, type 2 sub → master; another type names no end we know.
    const sub =
      record.subAcct === undefined ? undefined : ({ kind: 'sub', uid: record.subAcct } as const);
    const ends =
      record.type === INTO_SUB
        ? { from: MASTER, ...(sub && { to: sub }) }
        : record.type === OUT_OF_SUB
          ? { ...(sub && { from: sub }), to: MASTER }
          : {};
    return {
      clientOid,
      exchangeTransferId: record.exchangeTransferId,
      status: record.status,
      amount: record.amount,
      currency: record.ccy,
      ...ends,
    };
  }

  async #record(
    clientOid: string,
    hint: TransferLookupHint | undefined,
  ): Promise<OkxTransferRecord | undefined> {
    const what = `okx transfer record ${clientOid}`;
    if (
      hint?.sentAt !== undefined &&
      this.#now() - Date.parse(hint.sentAt) > TRANSFER_STATE_KEPT_MS
    ) {
      throw new ExchangeUnavailableError(
        `${what}: sent ${hint.sentAt}, longer ago than OKX is known to keep a transfer's state: look it up by hand`,
      );
    }
    const types =
      hint === undefined
        ? [INTO_SUB, OUT_OF_SUB]
        : [hint.to.kind === 'sub' ? INTO_SUB : OUT_OF_SUB];
    for (const type of types) {
      const answer = await this.#calls.call(
        'asset/transfer-state',
        { clientId: clientOid, type },
        'read',
        what,
      );
      const found = parseTransferStates(answer, clientOid)[0];
      if (found) return found;
    }
    return undefined;
  }

  #subOf(from: ExchangeAccount, to: ExchangeAccount, what: string): string {
    if (from.kind === 'master' && to.kind === 'sub') return to.uid;
    if (from.kind === 'sub' && to.kind === 'master') return from.uid;
    throw new TransferRejectedError(`${what}: only master ↔ sub-account transfers are made`);
  }

  #account(account: ExchangeAccount): string {
    const type =
      account.kind === 'master'
        ? (this.#options.masterAccountType ?? 'spot')
        : subAccountTypeOf(this.#options, account.uid);
    return ACCOUNT[type];
  }
}
