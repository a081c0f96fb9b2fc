/**
 * A fake Bybit v5 API on 127.0.0.1, for the adapter's tests, the bench and the fault campaign
 * (`chaos --exchange bybit`). It is strict where Bybit is: every
 * request carries X-BAPI-API-KEY, X-BAPI-TIMESTAMP (ms, within X-BAPI-RECV-WINDOW and not 1 s
 * ahead) and X-BAPI-SIGN = hex(HMAC-SHA256(secret, timestamp + apiKey + recvWindow + query or
 * body)); each endpoint answers "Too many visits" (10006) past its limit; sub-account reads and
 * transfers need the master key.
 *
 * Accounts are named by UID, each with a FUND (spot) and a UNIFIED (futures) account. Universal
 * transfers need a UUID transferId; a reused one is refused ("Duplicate transferId": Bybit's
 * answer is not documented, this is assumed) or, in `replay` mode, answered as the first. The
 * records answer by transferId within 7 days, as documented. Faults as every fake's, per path
 * below /v5/.
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

export interface FakeBybitKey {
  readonly apiKey: string;
  readonly secret: string;
}

type Spec = { readonly spot?: Holdings; readonly futures?: Holdings };

export interface FakeBybitOptions extends FakeVenueOptions {
  readonly masterUid?: string;
  readonly masterKey?: FakeBybitKey;
  readonly master?: Spec;
  /** Sub-accounts by UID. */
  readonly subAccounts?: Readonly<Record<string, Spec>>;
}

export interface FakeBybitTransfer {
  readonly transferId: string;
  readonly coin: string;
  readonly amount: Money;
  readonly fromMemberId: string;
  readonly toMemberId: string;
  readonly fromAccountType: string;
  readonly toAccountType: string;
  readonly at: number;
}

export const FAKE_BYBIT_KEY: FakeBybitKey = {
  apiKey: 'bybitFakeMasterKey',
  secret: 'bybitFakeMasterSecret0123456789',
};

export const BYBIT_TRANSFER_PATH = 'asset/transfer/universal-transfer';
const BALANCE_PATH = 'asset/transfer/query-account-coin-balance';
const RECORDS_PATH = 'asset/transfer/query-universal-transfer-list';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Bybit's limits as the adapter assumes them (per UID): calls per window in ms. */
const LIMITS: Readonly<Record<string, readonly [number, number]>> = {
  [BALANCE_PATH]: [60, 60_000],
  'user/query-api': [10, 1_000],
  [BYBIT_TRANSFER_PATH]: [5, 1_000],
  [RECORDS_PATH]: [60, 60_000],
};
const WALLET: Readonly<Record<string, 'spot' | 'futures'>> = { FUND: 'spot', UNIFIED: 'futures' };

type Caller = FakeBybitKey & { uid: string };

const ok = (result: unknown) =>
  new Reply(200, '0', { retCode: 0, retMsg: 'OK', result, retExtInfo: {}, time: Date.now() });
const refuse = (code: number, msg: string, status = 200) =>
  new Reply(status, String(code), { retCode: code, retMsg: msg, result: {}, retExtInfo: {} });

export class FakeBybit extends FakeVenue<Caller> {
  readonly masterUid: string;
  readonly masterKey: FakeBybitKey;
  readonly transfers: FakeBybitTransfer[] = [];
  protected readonly venue = 'Bybit';
  protected readonly limits = LIMITS;
  readonly #keys = new Map<string, Caller>();

  constructor(options: FakeBybitOptions = {}) {
    super(options);
    this.masterUid = options.masterUid ?? '100000001';
    this.masterKey = options.masterKey ?? FAKE_BYBIT_KEY;
    this.open(this.masterUid, options.master ?? {});
    this.#keys.set(this.masterKey.apiKey, { ...this.masterKey, uid: this.masterUid });
    for (const [uid, spec] of Object.entries(options.subAccounts ?? {})) this.open(uid, spec);
  }

  protected pathOf(url: URL): string {
    return url.pathname.replace(/^\/v5\//, '');
  }

  protected apiKeyOf(req: IncomingMessage): string | undefined {
    return header(req, 'x-bapi-api-key');
  }

  protected refuse(code: string, msg: string, status = 200): Reply {
    return refuse(Number(code), msg, status);
  }

  protected tooManyRequests(): Reply {
    return refuse(10006, 'Too many visits!');
  }

  protected authenticate({ req, url, rawBody, method }: Incoming): Caller | Reply {
    const apiKey = header(req, 'x-bapi-api-key');
    const sign = header(req, 'x-bapi-sign');
    const timestamp = header(req, 'x-bapi-timestamp') ?? '';
    const recvWindow = header(req, 'x-bapi-recv-window') ?? '5000';
    const key = apiKey === undefined ? undefined : this.#keys.get(apiKey);
    if (!key) return refuse(10003, 'API key is invalid.', 401);
    const now = this.clientNow();
    if (
      !/^\d+$/.test(timestamp) ||
      Number(timestamp) >= now + 1_000 ||
      now - Number(timestamp) > Number(recvWindow)
    ) {
      return refuse(
        10002,
        'invalid request, please check your server timestamp or recv_window param',
      );
    }
    const payload = method === 'GET' ? url.search.slice(1) : rawBody;
    const expected = createHmac('sha256', key.secret)
      .update(`${timestamp}${key.apiKey}${recvWindow}${payload}`)
      .digest();
    const given = Buffer.from(sign ?? '', 'hex');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return refuse(10004, 'error sign! origin_string is not right', 401);
    }
    return key;
  }

  protected route({ method, path, query, body }: Incoming, caller: Caller): Reply {
    const master = caller.uid === this.masterUid;
    const denied = refuse(10005, 'Permission denied, please check your API key permissions.', 401);
    switch (`${method} ${path}`) {
      case `GET ${BALANCE_PATH}`:
        return query.memberId !== undefined && !master ? denied : this.#balance(query, caller);
      case 'GET user/query-api':
        return ok({
          id: '1',
          apiKey: caller.apiKey,
          readOnly: 0,
          userID: Number(caller.uid),
          ips: ['127.0.0.1'],
        });
      case `POST ${BYBIT_TRANSFER_PATH}`:
        return master ? this.#transfer(body ?? {}) : denied;
      case `GET ${RECORDS_PATH}`:
        return master ? this.#records(query) : denied;
      default:
        return refuse(10001, 'Request address does not exist', 404);
    }
  }

  #balance(query: Record<string, string>, caller: Caller): Reply {
    const uid = query.memberId ?? caller.uid;
    const account = this.accounts.get(uid);
    const wallet = WALLET[query.accountType ?? ''];
    if (!account || !wallet) return refuse(131_001, 'Parameter error: memberId or accountType');
    const coin = query.coin ?? 'USDT';
    const held = formatMoney(account[wallet].get(coin) ?? (0n as Money));
    const shown = wallet === 'futures' ? this.futuresEquityShown.get(uid) : undefined;
    const omitted = wallet === 'futures' && this.futuresOmitted.has(uid);
    return ok({
      accountType: query.accountType,
      memberId: uid,
      balance: omitted
        ? null
        : {
            coin,
            walletBalance: shown === undefined ? held : shown,
            transferBalance: held,
            bonus: '0',
          },
    });
  }

  #transfer(b: Record<string, unknown>): Reply {
    const text = (k: string) => (typeof b[k] === 'string' ? (b[k] as string) : undefined);
    const transferId = text('transferId');
    const coin = text('coin');
    const fromMemberId = text('fromMemberId');
    const toMemberId = text('toMemberId');
    const fromAccountType = text('fromAccountType') ?? '';
    const toAccountType = text('toAccountType') ?? '';
    if (!transferId || !UUID.test(transferId))
      return refuse(131_002, 'Parameter error: transferId must be a UUID');
    const fromWallet = WALLET[fromAccountType];
    const toWallet = WALLET[toAccountType];
    const from = fromMemberId === undefined ? undefined : this.accounts.get(fromMemberId);
    const to = toMemberId === undefined ? undefined : this.accounts.get(toMemberId);
    if (!coin || !fromWallet || !toWallet || !from || !to)
      return refuse(131_002, 'Parameter error');
    if (from === to) return refuse(131_002, 'fromMemberId cannot be the same as toMemberId');
    if (from.uid !== this.masterUid && to.uid !== this.masterUid) {
      // Sub ↔ sub exists on Bybit, but Botfolio never asks for it: refuse, to catch a bug.
      return refuse(131_002, 'the fake allows master ↔ sub only');
    }
    let amount: Money;
    try {
      amount = money(text('amount') ?? '');
    } catch {
      return refuse(131_002, 'Parameter error: amount');
    }
    if (amount <= 0n) return refuse(131_002, 'Parameter error: amount');
    const used = this.usedIdAnswer(
      this.transfers.find((t) => t.transferId === transferId),
      () => ok({ transferId, status: 'SUCCESS' }),
      () => refuse(131_214, 'Duplicate transferId'),
    );
    if (used) return used;
    if (!this.move(from as FakeAccount, fromWallet, to as FakeAccount, toWallet, coin, amount)) {
      return refuse(131_228, 'your balance is not enough');
    }
    this.transfers.push({
      transferId,
      coin,
      amount,
      fromMemberId: from.uid,
      toMemberId: to.uid,
      fromAccountType,
      toAccountType,
      at: this.now(),
    });
    return ok({ transferId, status: 'SUCCESS' });
  }

  #records(q: Record<string, string>): Reply {
    const window = this.recordsWindow(q);
    if (!window) return refuse(131_002, 'the time range is at most 7 days');
    const [from, to] = window;
    const visibleBefore = this.recordedBy();
    const rows = this.transfers.filter(
      (t) =>
        (q.transferId === undefined || t.transferId === q.transferId) &&
        t.at >= from &&
        t.at <= to &&
        t.at <= visibleBefore,
    );
    return ok({
      list: rows.map((t) => ({
        transferId: t.transferId,
        coin: t.coin,
        amount: formatMoney(t.amount),
        fromMemberId: t.fromMemberId,
        toMemberId: t.toMemberId,
        fromAccountType: t.fromAccountType,
        toAccountType: t.toAccountType,
        timestamp: String(t.at),
        status: 'SUCCESS',
      })),
      nextPageCursor: '',
    });
  }
}

/** A fake Bybit, started; close it when done. */
export const startFakeBybit = (options: FakeBybitOptions = {}): Promise<FakeBybit> =>
  started(new FakeBybit(options));
