/**
 * A fake Bitget v2 API on 127.0.0.1, for the adapter's tests, the bench and the fault campaign
 * (`chaos --exchange bitget`). It is strict where
 * Bitget is: every request must carry ACCESS-KEY, ACCESS-PASSPHRASE, a fresh ACCESS-TIMESTAMP and
 * ACCESS-SIGN = base64(HMAC-SHA256(secret, timestamp + METHOD + path[?query] + body)), each
 * endpoint has Bitget's rate limit (429 past it), spot sub-account assets come in pages of at most
 * 50 and list only sub-accounts holding something, and transfers need the master key.
 *
 * It keeps exact books (10⁻⁸ units) of a master and its sub-accounts, each with a spot and a
 * futures account per coin, applies transfers with their clientOid and answers a clientOid it
 * has seen as Bitget would — a refusal, "Duplicate clientOid" — or, in `replay` mode, with the
 * first answer again; either way no money moves twice. Records are queryable by clientOid.
 *
 * Faults are injected per endpoint, in order: 429, a 5xx, a Bitget error code, no answer at all
 * (the client times out) or a reset connection — for a transfer, before or after it was applied —
 * or a transfer that moves another amount than asked.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { formatMoney, type Money, money, ZERO } from '../core/money.ts';
import {
  type FakeAccount,
  FakeVenue,
  type FakeVenueOptions,
  type Holdings,
  header,
  type Incoming,
  Reply,
} from './fake-venue.ts';

export type { FakeFault, FakeRequest, Holdings } from './fake-venue.ts';

export interface FakeKey {
  readonly apiKey: string;
  readonly secret: string;
  readonly passphrase: string;
}

export interface FakeAccountSpec {
  readonly spot?: Holdings;
  /** Futures account equity by margin coin. */
  readonly futures?: Holdings;
  /** The sub-account's own key (the per-bot baseline of the bench signs with it). */
  readonly key?: FakeKey;
}

export interface FakeBitgetOptions extends FakeVenueOptions {
  readonly masterUid?: string;
  readonly masterKey?: FakeKey;
  readonly master?: FakeAccountSpec;
  /** Sub-accounts by UID, in creation order (cursor ids grow with it). */
  readonly subAccounts?: Readonly<Record<string, FakeAccountSpec>>;
}

export interface FakeTransfer {
  readonly transferId: string;
  readonly clientOid: string;
  readonly coin: string;
  readonly amount: Money;
  readonly fromUserId: string;
  readonly toUserId: string;
  readonly fromType: string;
  readonly toType: string;
  readonly at: number;
}

/** The master key the fake knows unless told otherwise. */
export const FAKE_MASTER_KEY: FakeKey = {
  apiKey: 'bg_fake_master_key',
  secret: 'fake-master-secret-0123456789abcdef',
  passphrase: 'fake-passphrase',
};

/** Bitget's published limits (per UID): calls per window in ms. */
const LIMITS: Readonly<Record<string, readonly [number, number]>> = {
  'v2/spot/account/subaccount-assets': [10, 1_000],
  'v2/mix/account/sub-account-assets': [1, 10_000],
  'v2/spot/account/assets': [10, 1_000],
  'v2/mix/account/accounts': [10, 1_000],
  'v2/spot/account/info': [1, 1_000],
  'v2/spot/wallet/subaccount-transfer': [10, 1_000],
  'v2/spot/account/sub-main-trans-record': [20, 1_000],
};

const ACCOUNT_TYPES = new Set(['spot', 'usdt_futures', 'usdc_futures', 'coin_futures', 'p2p']);
const PRODUCT_COIN: Readonly<Record<string, string>> = {
  'USDT-FUTURES': 'USDT',
  'USDC-FUTURES': 'USDC',
};

type Account = FakeAccount;
type Caller = FakeKey & { uid: string };

/** Bitget's cursor id of an account: it grows with creation order. */
const cursorId = (a: Account) => 1_000 + a.index;

const ok = (data: unknown) =>
  new Reply(200, '00000', { code: '00000', msg: 'success', requestTime: Date.now(), data });
const refuse = (code: string, msg: string, status = 400) =>
  new Reply(status, code, { code, msg, requestTime: Date.now(), data: null });

export class FakeBitget extends FakeVenue<Caller> {
  readonly masterUid: string;
  readonly masterKey: FakeKey;
  readonly transfers: FakeTransfer[] = [];
  protected readonly venue = 'Bitget';
  protected readonly limits = LIMITS;
  readonly #keys = new Map<string, Caller>();
  #nextTransferId = 7_000_000_001n;

  constructor(options: FakeBitgetOptions = {}) {
    super(options);
    this.masterUid = options.masterUid ?? '1000000001';
    this.masterKey = options.masterKey ?? FAKE_MASTER_KEY;
    this.#open(this.masterUid, options.master ?? {});
    this.#keys.set(this.masterKey.apiKey, { ...this.masterKey, uid: this.masterUid });
    for (const [uid, spec] of Object.entries(options.subAccounts ?? {})) this.#open(uid, spec);
  }

  #open(uid: string, spec: FakeAccountSpec): void {
    this.open(uid, spec);
    if (spec.key) this.#keys.set(spec.key.apiKey, { ...spec.key, uid });
  }

  protected pathOf(url: URL, _method: string): string {
    return url.pathname.replace(/^\/api\//, '');
  }

  protected apiKeyOf(req: IncomingMessage): string | undefined {
    return header(req, 'access-key');
  }

  protected refuse(code: string, msg: string, status = 400): Reply {
    return refuse(code, msg, status);
  }

  protected tooManyRequests(): Reply {
    return refuse('429', 'Too Many Requests', 429);
  }

  /** The caller's key when the request is signed right; else Bitget's refusal. */
  protected authenticate({ req, url, rawBody }: Incoming): Caller | Reply {
    const apiKey = header(req, 'access-key');
    const sign = header(req, 'access-sign');
    const timestamp = header(req, 'access-timestamp');
    const passphrase = header(req, 'access-passphrase');
    if (!apiKey) return refuse('40001', 'ACCESS_KEY cannot be empty');
    if (!sign) return refuse('40003', 'Signature cannot be empty');
    if (!timestamp) return refuse('40005', 'Invalid ACCESS_TIMESTAMP');
    if (!passphrase) return refuse('40011', 'ACCESS_PASSPHRASE cannot be empty');
    const key = this.#keys.get(apiKey);
    if (!key) return refuse('40006', 'Invalid ACCESS_KEY');
    if (passphrase !== key.passphrase) return refuse('40012', 'apikey/password is incorrect');
    if (!/^\d+$/.test(timestamp) || Math.abs(Date.now() - Number(timestamp)) > 30_000) {
      return refuse('40008', 'Request timestamp expired');
    }
    // Bitget signs the decoded query string, as sent, after the path.
    const search = url.search === '' ? '' : `?${decodeURIComponent(url.search.slice(1))}`;
    const prehash = `${timestamp}${req.method}${url.pathname}${search}${rawBody}`;
    const expected = createHmac('sha256', key.secret).update(prehash).digest();
    const given = Buffer.from(sign, 'base64');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return refuse('40009', 'sign signature error');
    }
    return key;
  }

  protected route({ method, path, query, body }: Incoming, caller: Caller): Reply {
    const route = `${method} ${path}`;
    switch (route) {
      case 'GET v2/spot/account/subaccount-assets':
        return this.#spotSubAccountAssets(query, caller);
      case 'GET v2/mix/account/sub-account-assets':
        return this.#futuresSubAccountAssets(query, caller);
      case 'GET v2/spot/account/assets':
        return this.#spotAssets(query, caller);
      case 'GET v2/mix/account/accounts':
        return this.#futuresAccounts(query, caller);
      case 'GET v2/spot/account/info':
        return ok({
          userId: caller.uid,
          inviterId: '0',
          ips: '127.0.0.1',
          authorities: ['readonly', 'wallet_transfer'],
          parentId: Number(this.masterUid),
          traderType: 'trader',
          regisTime: '1700000000000',
        });
      case 'POST v2/spot/wallet/subaccount-transfer':
        return this.#transfer(body, caller);
      case 'GET v2/spot/account/sub-main-trans-record':
        return this.#records(query, caller);
      default:
        return refuse('404', 'Request address does not exist', 404);
    }
  }

  #masterOnly(caller: { uid: string }): Reply | undefined {
    return caller.uid === this.masterUid
      ? undefined
      : refuse('40014', 'Incorrect permissions: master account API key required');
  }

  #spotSubAccountAssets(query: Record<string, string>, caller: { uid: string }): Reply {
    const denied = this.#masterOnly(caller);
    if (denied) return denied;
    const limit = Number(query.limit ?? '10');
    if (!Number.isInteger(limit) || limit < 1 || limit > 50) {
      return refuse('40017', 'Parameter verification failed: limit must be within [1, 50]');
    }
    const below = query.idLessThan === undefined ? Infinity : Number(query.idLessThan);
    const holding = [...this.accounts.values()]
      .filter((a) => a.uid !== this.masterUid && cursorId(a) < below)
      .filter((a) => [...a.spot.values()].some((v) => v > 0n))
      .sort((a, b) => cursorId(b) - cursorId(a))
      .slice(0, limit);
    return ok(
      holding.map((a) => ({
        id: cursorId(a),
        userId: Number(a.uid),
        assetsList: [...a.spot]
          .filter(([, v]) => v > 0n)
          .map(([coin, v]) => ({
            coin,
            available: formatMoney(v),
            limitAvailable: '0',
            frozen: '0',
            locked: '0',
            uTime: String(this.now()),
          })),
      })),
    );
  }

  #futuresSubAccountAssets(query: Record<string, string>, caller: { uid: string }): Reply {
    const denied = this.#masterOnly(caller);
    if (denied) return denied;
    const coin = PRODUCT_COIN[query.productType ?? ''];
    if (!coin) return refuse('40017', 'Parameter verification failed: productType');
    return ok(
      [...this.accounts.values()]
        .filter(
          (a) => a.uid !== this.masterUid && a.futures.has(coin) && !this.futuresOmitted.has(a.uid),
        )
        .map((a) => {
          const account = futuresAccountOf(coin, a.futures.get(coin));
          const shown = this.futuresEquityShown.get(a.uid);
          return {
            userId: a.uid,
            assetList: [shown === undefined ? account : { ...account, accountEquity: shown }],
          };
        }),
    );
  }

  #spotAssets(query: Record<string, string>, caller: { uid: string }): Reply {
    const account = this.account(caller.uid);
    return ok(
      [...account.spot]
        .filter(([coin, v]) => (query.coin === undefined || coin === query.coin) && v > 0n)
        .map(([coin, v]) => ({
          coin,
          available: formatMoney(v),
          frozen: '0',
          locked: '0',
          limitAvailable: '0',
          uTime: String(this.now()),
        })),
    );
  }

  #futuresAccounts(query: Record<string, string>, caller: { uid: string }): Reply {
    const coin = PRODUCT_COIN[query.productType ?? ''];
    if (!coin) return refuse('40017', 'Parameter verification failed: productType');
    const account = this.account(caller.uid);
    return ok(account.futures.has(coin) ? [futuresAccountOf(coin, account.futures.get(coin))] : []);
  }

  #transfer(body: Record<string, unknown> | undefined, caller: { uid: string }): Reply {
    const denied = this.#masterOnly(caller);
    if (denied) return denied;
    const field = (k: string) => (typeof body?.[k] === 'string' ? (body[k] as string) : undefined);
    const [fromType, toType, amountText, coin, fromUserId, toUserId] = [
      'fromType',
      'toType',
      'amount',
      'coin',
      'fromUserId',
      'toUserId',
    ].map(field);
    const clientOid = field('clientOid');
    if (!fromType || !toType || !amountText || !coin || !fromUserId || !toUserId) {
      return refuse('40017', 'Parameter verification failed');
    }
    if (!ACCOUNT_TYPES.has(fromType) || !ACCOUNT_TYPES.has(toType)) {
      return refuse('40017', 'Parameter verification failed: account type');
    }
    if (clientOid !== undefined && (clientOid.length > 50 || !/^[\w-]+$/.test(clientOid))) {
      return refuse(
        '40305',
        'Client_oid length is not greater than 50, and cannot be Martian characters',
      );
    }
    let amount: Money;
    try {
      amount = money(amountText);
    } catch {
      return refuse('40017', 'Parameter verification failed: amount');
    }
    if (amount <= 0n) return refuse('40017', 'Parameter verification failed: amount');
    const from = this.accounts.get(fromUserId);
    const to = this.accounts.get(toUserId);
    if (!from || !to) return refuse('40017', 'Parameter verification failed: user id');
    if (from === to && fromType === toType) return refuse('40017', 'Parameter verification failed');
    if (from.uid !== this.masterUid && to.uid !== this.masterUid && from !== to) {
      // Sub ↔ sub exists on Bitget, but Botfolio never asks for it: refuse, to catch a bug.
      return refuse('40017', 'Parameter verification failed: fake allows master ↔ sub only');
    }
    const used = this.usedIdAnswer(
      clientOid === undefined ? undefined : this.transfers.find((t) => t.clientOid === clientOid),
      (seen) => ok({ transferId: seen.transferId, clientOid }),
      () => refuse('40786', 'Duplicate clientOid'),
    );
    if (used) return used;
    const wallet = (type: string) => (type === 'spot' ? 'spot' : 'futures');
    if (!this.move(from, wallet(fromType), to, wallet(toType), coin, amount)) {
      return refuse('43012', 'Insufficient balance');
    }
    const transferId = String(this.#nextTransferId++);
    this.transfers.push({
      transferId,
      clientOid: clientOid ?? transferId,
      coin,
      amount,
      fromUserId,
      toUserId,
      fromType,
      toType,
      at: this.now(),
    });
    return ok({ transferId, clientOid: clientOid ?? null });
  }

  /**
   * Without `subUid`, the master's records: those it sent (`role` initiator, the default) or
   * received (`role=receiver`); with `subUid`, that sub-account's.
   */
  #records(query: Record<string, string>, caller: { uid: string }): Reply {
    const denied = this.#masterOnly(caller);
    if (denied) return denied;
    const limit = Number(query.limit ?? '100');
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
      return refuse('40017', 'Parameter verification failed: limit must be within [1, 100]');
    }
    const subject = query.subUid ?? this.masterUid;
    const receiver = query.role === 'receiver';
    const visibleBefore = this.recordedBy();
    const rows = this.transfers
      .filter((t) => (receiver ? t.toUserId : t.fromUserId) === subject)
      .filter((t) => query.coin === undefined || t.coin === query.coin)
      .filter((t) => query.clientOid === undefined || t.clientOid === query.clientOid)
      .filter((t) => t.at <= visibleBefore)
      .reverse()
      .slice(0, limit);
    return ok(
      rows.map((t) => ({
        coin: t.coin,
        status: 'Successful',
        toType: t.toType,
        fromType: t.fromType,
        size: formatMoney(t.amount),
        ts: String(t.at),
        clientOid: t.clientOid,
        transferId: t.transferId,
        newTransferId: t.transferId,
        fromUserId: t.fromUserId,
        toUserId: t.toUserId,
      })),
    );
  }
}

function futuresAccountOf(coin: string, equity: Money = ZERO) {
  const text = formatMoney(equity);
  return {
    marginCoin: coin,
    locked: '0',
    available: text,
    maxTransferOut: text,
    accountEquity: text,
    usdtEquity: text,
    btcEquity: '0',
    unrealizedPL: '0',
  };
}

/** A fake Bitget, started; close it when done. */
export async function startFakeBitget(options: FakeBitgetOptions = {}): Promise<FakeBitget> {
  const fake = new FakeBitget(options);
  await fake.start();
  return fake;
}
