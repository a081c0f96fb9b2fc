/**
 * A fake Binance API on 127.0.0.1 (the `/sapi`, `/api` and `/fapi` calls the adapter makes), for
 * the adapter's tests, the fault campaign (`chaos --exchange binance`) and the bench. It is strict where Binance is: every
 * request carries X-MBX-APIKEY and a `timestamp` no older than its `recvWindow` (default 5 000
 * ms, at most 60 000) nor 1 s ahead, and ends in `signature` = hex(HMAC-SHA256(secret, the query
 * string or form body before it)); each endpoint refuses past its published weight budget (HTTP
 * 429, -1003); sub-account endpoints need the master key.
 *
 * Sub-accounts are named by email. The futures summary lists, in pages of at most 20, every
 * sub-account with a USDⓈ-M futures account. Transfers keep their clientTranId; a reused one is
 * refused ("Duplicate clientTranId": Binance's answer is not documented, this is assumed) or, in
 * `replay` mode, answered with the first transfer's tranId — no money moves twice either way. The
 * history lists one side at a time (the master as sender by default) within 7 days, as documented.
 *
 * The futures position risk (V2) lists a sub-account's USDⓈ-M positions as set (`setPositions`).
 *
 * Faults are those of every fake (fake-venue.ts), injected per endpoint: the transfer is
 * `sapi/v1/sub-account/universalTransfer#post`, its history the same path without `#post`.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { formatMoney, type Money, money } from '../core/money.ts';
import {
  type FakeAccount,
  FakeVenue,
  type FakeVenueOptions,
  type Holdings,
  header,
  type Incoming,
  Reply,
  started,
} from './fake-venue.ts';

export interface FakeBinanceKey {
  readonly apiKey: string;
  readonly secret: string;
}

export interface FakeBinanceAccountSpec {
  readonly spot?: Holdings;
  /** USDⓈ-M futures margin balance by coin; a sub-account without one has no futures account. */
  readonly futures?: Holdings;
  /** Its USDⓈ-M positions as the position risk lists them (raw: a test may give nonsense). */
  readonly positions?: readonly FakeBinancePosition[];
}

/** One row of the futures position risk, as Binance sends it (decimal strings). */
export interface FakeBinancePosition {
  readonly symbol: unknown;
  readonly positionAmount: unknown;
  readonly markPrice: unknown;
  readonly leverage?: unknown;
}

export interface FakeBinanceOptions extends FakeVenueOptions {
  readonly masterEmail?: string;
  readonly masterKey?: FakeBinanceKey;
  readonly master?: FakeBinanceAccountSpec;
  /** Sub-accounts by email, in creation order (the summary's order). */
  readonly subAccounts?: Readonly<Record<string, FakeBinanceAccountSpec>>;
}

export interface FakeBinanceTransfer {
  readonly tranId: number;
  readonly clientTranId: string;
  readonly asset: string;
  readonly amount: Money;
  readonly fromEmail: string;
  readonly toEmail: string;
  readonly fromAccountType: string;
  readonly toAccountType: string;
  readonly at: number;
}

export const FAKE_BINANCE_KEY: FakeBinanceKey = {
  apiKey: 'bn_fake_master_key',
  secret: 'fake-binance-secret-0123456789abcdef',
};

export const TRANSFER_PATH = 'sapi/v1/sub-account/universalTransfer#post';
export const HISTORY_PATH = 'sapi/v1/sub-account/universalTransfer';
export const SUMMARY_PATH = 'sapi/v2/sub-account/futures/accountSummary';
export const POSITION_RISK_PATH = 'sapi/v2/sub-account/futures/positionRisk';

const MINUTE = 60_000;
/**
 * Each endpoint alone at Binance's budget (2026-12 docs): weight per minute — 12 000 per IP and
 * 180 000 per UID on /sapi, 6 000 on /api, 2 400 on /fapi — over the endpoint's weight.
 */
const LIMITS: Readonly<Record<string, readonly [number, number]>> = {
  [SUMMARY_PATH]: [1_200, MINUTE], // weight(IP) 10
  'sapi/v4/sub-account/assets': [3_000, MINUTE], // weight(UID) 60
  'api/v3/account': [300, MINUTE], // weight 20
  'fapi/v2/balance': [480, MINUTE], // weight 5
  [TRANSFER_PATH]: [500, MINUTE], // weight(UID) 360
  [HISTORY_PATH]: [12_000, MINUTE], // weight(IP) 1
  [POSITION_RISK_PATH]: [12_000, MINUTE], // weight(IP) 1
};

const ACCOUNT_TYPES = new Set(['SPOT', 'USDT_FUTURE', 'COIN_FUTURE', 'MARGIN', 'ISOLATED_MARGIN']);
const WALLET: Readonly<Record<string, 'spot' | 'futures'>> = {
  SPOT: 'spot',
  USDT_FUTURE: 'futures',
};

type Caller = FakeBinanceKey & { email: string };

const answer = (body: unknown) => new Reply(200, '0', body);
const refuse = (code: number, msg: string, status = 400) =>
  new Reply(status, String(code), { code, msg });

export class FakeBinance extends FakeVenue<Caller> {
  readonly masterEmail: string;
  readonly masterKey: FakeBinanceKey;
  readonly transfers: FakeBinanceTransfer[] = [];
  protected readonly venue = 'Binance';
  protected readonly limits = LIMITS;
  readonly #keys = new Map<string, Caller>();
  /** Each sub-account's positions (the position risk's rows), by email. */
  readonly #positions = new Map<string, readonly FakeBinancePosition[]>();
  #nextTranId = 92_275_823_339;

  constructor(options: FakeBinanceOptions = {}) {
    super(options);
    this.masterEmail = options.masterEmail ?? 'master@botfolio.test';
    this.masterKey = options.masterKey ?? FAKE_BINANCE_KEY;
    this.open(this.masterEmail, options.master ?? {});
    this.#keys.set(this.masterKey.apiKey, { ...this.masterKey, email: this.masterEmail });
    for (const [email, spec] of Object.entries(options.subAccounts ?? {})) {
      this.open(email, spec);
      if (spec.positions) this.#positions.set(email, spec.positions);
    }
  }

  /** The bot traded: its sub-account's positions are now these rows. */
  setPositions(email: string, positions: readonly FakeBinancePosition[]): void {
    this.#positions.set(email, positions);
  }

  /** Makes a transfer `ms` older, as if it had been applied that long ago. */
  age(clientTranId: string, ms: number): void {
    const i = this.transfers.findIndex((t) => t.clientTranId === clientTranId);
    const t = this.transfers[i];
    if (t) this.transfers[i] = { ...t, at: t.at - ms };
  }

  protected pathOf(url: URL, method: string): string {
    const path = url.pathname.replace(/^\//, '');
    return method === 'POST' ? `${path}#post` : path;
  }

  protected override bodyOf(rawBody: string): Record<string, unknown> {
    return Object.fromEntries(new URLSearchParams(rawBody));
  }

  protected apiKeyOf(req: IncomingMessage): string | undefined {
    return header(req, 'x-mbx-apikey');
  }

  protected refuse(code: string, msg: string, status = 400): Reply {
    return refuse(Number(code), msg, status);
  }

  protected tooManyRequests(): Reply {
    return refuse(
      -1003,
      'Too much request weight used; current limit is 12000 request weight per 1 MINUTE.',
      429,
    );
  }

  protected authenticate({ req, url, rawBody, method }: Incoming): Caller | Reply {
    const apiKey = header(req, 'x-mbx-apikey');
    if (!apiKey) return refuse(-2014, 'API-key format invalid.', 401);
    const key = this.#keys.get(apiKey);
    if (!key) return refuse(-2015, 'Invalid API-key, IP, or permissions for action.', 401);
    // The signed text: the query string (GET) or the form body (POST), up to `&signature=`.
    const text = method === 'GET' ? url.search.slice(1) : rawBody;
    const at = text.lastIndexOf('&signature=');
    if (at < 0) return refuse(-1102, "Mandatory parameter 'signature' was not sent.");
    const signed = text.slice(0, at);
    const params = new URLSearchParams(signed);
    const timestamp = params.get('timestamp') ?? '';
    const recvWindow = Number(params.get('recvWindow') ?? '5000');
    if (!/^\d+$/.test(timestamp))
      return refuse(-1102, "Mandatory parameter 'timestamp' was not sent.");
    if (!(recvWindow > 0 && recvWindow <= 60_000)) {
      return refuse(-1131, 'recvWindow must be less than 60000');
    }
    const now = this.clientNow();
    if (Number(timestamp) >= now + 1_000 || now - Number(timestamp) > recvWindow) {
      return refuse(-1021, 'Timestamp for this request is outside of the recvWindow.');
    }
    const expected = createHmac('sha256', key.secret).update(signed).digest();
    const given = Buffer.from(text.slice(at + '&signature='.length), 'hex');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return refuse(-1022, 'Signature for this request is not valid.');
    }
    return key;
  }

  protected route({ path, query, body }: Incoming, caller: Caller): Reply {
    const params = { ...query, ...(body as Record<string, string> | undefined) };
    switch (path) {
      case SUMMARY_PATH:
        return this.#masterOnly(caller) ?? this.#futuresSummary(params);
      case POSITION_RISK_PATH:
        return this.#masterOnly(caller) ?? this.#positionRisk(params);
      case 'sapi/v4/sub-account/assets':
        return this.#masterOnly(caller) ?? this.#subAccountAssets(params);
      case 'api/v3/account':
        return answer({
          accountType: 'SPOT',
          canTrade: true,
          balances: this.#spotBalances(this.account(caller.email)),
        });
      case 'fapi/v2/balance':
        return answer(
          [...this.account(caller.email).futures].map(([asset, v]) => ({
            accountAlias: 'fake',
            asset,
            balance: formatMoney(v),
            crossWalletBalance: formatMoney(v),
            availableBalance: formatMoney(v),
            maxWithdrawAmount: formatMoney(v),
          })),
        );
      case TRANSFER_PATH:
        return this.#masterOnly(caller) ?? this.#transfer(params);
      case HISTORY_PATH:
        return this.#masterOnly(caller) ?? this.#history(params);
      default:
        return refuse(-1000, 'Unknown path', 404);
    }
  }

  #masterOnly(caller: Caller): Reply | undefined {
    return caller.email === this.masterEmail
      ? undefined
      : refuse(-1002, 'You are not authorized to execute this request.', 401);
  }

  #isSub(email: string | undefined): email is string {
    return email !== undefined && email !== this.masterEmail && this.accounts.has(email);
  }

  #futuresSummary(params: Record<string, string>): Reply {
    if (params.futuresType !== '1' && params.futuresType !== '2') {
      return refuse(-1102, "Mandatory parameter 'futuresType' was not sent.");
    }
    const page = Number(params.page ?? '1');
    const limit = Number(params.limit ?? '10');
    if (!Number.isInteger(limit) || limit < 1 || limit > 20) {
      return refuse(-1130, "Data sent for parameter 'limit' is not valid.");
    }
    if (!Number.isInteger(page) || page < 1) {
      return refuse(-1130, "Data sent for parameter 'page' is not valid.");
    }
    const listed = [...this.accounts.values()]
      .filter((a) => this.#isSub(a.uid) && a.futures.size > 0 && !this.futuresOmitted.has(a.uid))
      .slice((page - 1) * limit, page * limit);
    return answer({
      futureAccountSummaryResp: {
        totalMarginBalance: '0',
        asset: 'USD',
        subAccountList: listed.map((a) => {
          const shown = this.futuresEquityShown.get(a.uid);
          const equity = formatMoney(a.futures.get('USDT') ?? (0n as Money));
          return {
            email: a.uid,
            totalInitialMargin: '0.00000000',
            totalMaintenanceMargin: '0.00000000',
            totalMarginBalance: shown === undefined ? equity : shown,
            totalUnrealizedProfit: '0.00000000',
            totalWalletBalance: equity,
            asset: 'USD',
          };
        }),
      },
    });
  }

  /** Documented: email and futuresType (1 USDⓈ-M, 2 COIN-M) both mandatory. */
  #positionRisk(params: Record<string, string>): Reply {
    if (!params.email) return refuse(-1102, "Mandatory parameter 'email' was not sent.");
    if (params.futuresType !== '1' && params.futuresType !== '2') {
      return refuse(-1102, "Mandatory parameter 'futuresType' was not sent.");
    }
    if (!this.#isSub(params.email)) return refuse(-12_022, 'Sub-account not found.');
    if (this.account(params.email).futures.size === 0) {
      return refuse(-12_024, 'Sub-account futures not enabled.'); // assumed: not documented
    }
    const rows = (this.#positions.get(params.email) ?? []).map((p) => ({
      entryPrice: p.markPrice,
      leverage: p.leverage ?? '10',
      maxNotional: '1000000',
      liquidationPrice: '0',
      unrealizedProfit: '0.00000000',
      ...p,
    }));
    return answer(
      params.futuresType === '1'
        ? { futurePositionRiskVos: rows }
        : { deliveryPositionRiskVos: [] },
    );
  }

  #subAccountAssets(params: Record<string, string>): Reply {
    if (!params.email) return refuse(-1102, "Mandatory parameter 'email' was not sent.");
    if (!this.#isSub(params.email)) return refuse(-12_022, 'Sub-account not found.');
    return answer({ balances: this.#spotBalances(this.account(params.email)) });
  }

  #spotBalances(account: FakeAccount) {
    return [...account.spot]
      .filter(([, v]) => v > 0n)
      .map(([asset, v]) => ({
        asset,
        free: formatMoney(v),
        locked: '0.00000000',
        freeze: '0.00000000',
        withdrawing: '0.00000000',
      }));
  }

  #transfer(p: Record<string, string>): Reply {
    const { fromAccountType, toAccountType, asset, clientTranId } = p;
    if (!fromAccountType || !toAccountType || !asset || !p.amount) {
      return refuse(-1102, 'Mandatory parameter was not sent.');
    }
    if (!ACCOUNT_TYPES.has(fromAccountType) || !ACCOUNT_TYPES.has(toAccountType)) {
      return refuse(-1100, "Illegal characters found in parameter 'accountType'.");
    }
    const fromWallet = WALLET[fromAccountType];
    const toWallet = WALLET[toAccountType];
    if (!fromWallet || !toWallet) {
      return refuse(-1100, 'the fake moves between SPOT and USDT_FUTURE only');
    }
    const fromEmail = p.fromEmail ?? this.masterEmail;
    const toEmail = p.toEmail ?? this.masterEmail;
    for (const email of [p.fromEmail, p.toEmail]) {
      if (email !== undefined && !this.#isSub(email)) {
        return refuse(-12_022, 'Sub-account not found.');
      }
    }
    if (fromEmail !== this.masterEmail && toEmail !== this.masterEmail) {
      // Sub ↔ sub exists on Binance, but Botfolio never asks for it: refuse, to catch a bug.
      return refuse(-1100, 'the fake allows master ↔ sub only');
    }
    if (fromEmail === toEmail) {
      return refuse(-1128, 'At least either fromEmail or toEmail need to be sent.');
    }
    let amount: Money;
    try {
      amount = money(p.amount);
    } catch {
      return refuse(-1100, "Illegal characters found in parameter 'amount'.");
    }
    if (amount <= 0n) return refuse(-1100, "Illegal characters found in parameter 'amount'.");
    const used = this.usedIdAnswer(
      clientTranId === undefined
        ? undefined
        : this.transfers.find((t) => t.clientTranId === clientTranId),
      (seen) => answer({ tranId: seen.tranId, clientTranId }),
      () => refuse(-1150, 'Duplicate clientTranId.'),
    );
    if (used) return used;
    const from = this.account(fromEmail);
    const to = this.account(toEmail);
    if (!this.move(from, fromWallet, to, toWallet, asset, amount)) {
      return refuse(-5013, 'Asset transfer failed: insufficient balance');
    }
    const tranId = this.#nextTranId++;
    this.transfers.push({
      tranId,
      clientTranId: clientTranId ?? String(tranId),
      asset,
      amount,
      fromEmail,
      toEmail,
      fromAccountType,
      toAccountType,
      at: this.now(),
    });
    return answer({ tranId, clientTranId: clientTranId ?? null });
  }

  /** One side at a time, the master as sender by default; at most 7 days, the last 7 by default. */
  #history(p: Record<string, string>): Reply {
    if (p.fromEmail !== undefined && p.toEmail !== undefined) {
      return refuse(-1128, 'Combination of optional parameters invalid.');
    }
    const limit = Number(p.limit ?? '500');
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) {
      return refuse(-1130, "Data sent for parameter 'limit' is not valid.");
    }
    const window = this.recordsWindow(p);
    if (!window) return refuse(-1128, 'Time interval must be within 0-7 days');
    const [from, to] = window;
    const visibleBefore = this.recordedBy();
    const rows = this.transfers
      .filter((t) =>
        p.toEmail !== undefined
          ? t.toEmail === p.toEmail
          : t.fromEmail === (p.fromEmail ?? this.masterEmail),
      )
      .filter((t) => p.clientTranId === undefined || t.clientTranId === p.clientTranId)
      .filter((t) => t.at >= from && t.at <= to && t.at <= visibleBefore)
      .reverse();
    const page = Number(p.page ?? '1');
    return answer({
      result: rows.slice((page - 1) * limit, page * limit).map((t) => ({
        tranId: t.tranId,
        fromEmail: t.fromEmail,
        toEmail: t.toEmail,
        asset: t.asset,
        amount: formatMoney(t.amount),
        createTimeStamp: t.at,
        fromAccountType: t.fromAccountType,
        toAccountType: t.toAccountType,
        status: 'SUCCESS',
        clientTranId: t.clientTranId,
      })),
      totalCount: rows.length,
    });
  }
}

/** A fake Binance, started; close it when done. */
export const startFakeBinance = (options: FakeBinanceOptions = {}): Promise<FakeBinance> =>
  started(new FakeBinance(options));
