/**
 * A fake OKX v5 API on 127.0.0.1, for the adapter's tests, the bench and the fault campaign
 * (`chaos --exchange okx`). It is strict where OKX is: every
 * request carries OK-ACCESS-KEY, OK-ACCESS-PASSPHRASE, an ISO 8601 OK-ACCESS-TIMESTAMP within 30 s
 * and OK-ACCESS-SIGN = base64(HMAC-SHA256(secret, timestamp + METHOD + /api/v5/path[?query] +
 * body)); each endpoint answers 429 (50011) past OKX's published limit; sub-account endpoints and
 * transfers need the master key.
 *
 * Sub-accounts are named. Each has a trading account (futures: equity per currency) and a
 * funding account (spot). Transfers keep their clientId; a reused one is refused ("Duplicate
 * clientId": OKX's answer is not documented, this is assumed) or, in `replay` mode, answered with
 * the first transfer. `transfer-state` answers by clientId and type (1 into a sub-account, 2 out).
 * Faults are those of every fake (fake-venue.ts), injected per path below /api/v5/.
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

export interface FakeOkxKey {
  readonly apiKey: string;
  readonly secret: string;
  readonly passphrase: string;
}

export interface FakeOkxOptions extends FakeVenueOptions {
  readonly masterKey?: FakeOkxKey;
  /** `spot`: the funding account; `futures`: the trading account. */
  readonly master?: { readonly spot?: Holdings; readonly futures?: Holdings };
  /** Sub-accounts by name. */
  readonly subAccounts?: Readonly<
    Record<string, { readonly spot?: Holdings; readonly futures?: Holdings }>
  >;
}

export interface FakeOkxTransfer {
  readonly transId: string;
  readonly clientId: string;
  readonly type: '1' | '2';
  readonly ccy: string;
  readonly amount: Money;
  readonly subAcct: string;
  readonly from: string;
  readonly to: string;
  readonly at: number;
}

export const FAKE_OKX_KEY: FakeOkxKey = {
  apiKey: 'okx-fake-master-key',
  secret: 'FAKEOKXSECRET0123456789ABCDEF',
  passphrase: 'fake-okx-passphrase',
};

export const OKX_TRANSFER_PATH = 'asset/transfer';
const MASTER = '(master)';

/** OKX's published limits (per UID): calls per window in ms. */
const LIMITS: Readonly<Record<string, readonly [number, number]>> = {
  'account/subaccount/balances': [6, 2_000],
  'asset/subaccount/balances': [6, 2_000],
  'account/balance': [10, 2_000],
  'asset/balances': [6, 1_000],
  'asset/transfer': [2, 1_000],
  'asset/transfer-state': [10, 2_000],
};
const WALLET: Readonly<Record<string, 'spot' | 'futures'>> = { '6': 'spot', '18': 'futures' };

type Caller = FakeOkxKey & { name: string };

const ok = (data: unknown) => new Reply(200, '0', { code: '0', msg: '', data });
const refuse = (code: string, msg: string, status = 200) =>
  new Reply(status, code, { code, msg, data: [] });

export class FakeOkx extends FakeVenue<Caller> {
  readonly masterKey: FakeOkxKey;
  readonly transfers: FakeOkxTransfer[] = [];
  protected readonly venue = 'OKX';
  protected readonly limits = LIMITS;
  readonly #keys = new Map<string, Caller>();
  #nextTransId = 754_147;

  constructor(options: FakeOkxOptions = {}) {
    super(options);
    this.masterKey = options.masterKey ?? FAKE_OKX_KEY;
    this.open(MASTER, options.master ?? {});
    this.#keys.set(this.masterKey.apiKey, { ...this.masterKey, name: MASTER });
    for (const [name, spec] of Object.entries(options.subAccounts ?? {})) this.open(name, spec);
  }

  /** The master account's name in `balance` and `setBalance`. */
  get master(): string {
    return MASTER;
  }

  protected pathOf(url: URL): string {
    return url.pathname.replace(/^\/api\/v5\//, '');
  }

  protected apiKeyOf(req: IncomingMessage): string | undefined {
    return header(req, 'ok-access-key');
  }

  protected refuse(code: string, msg: string, status = 200): Reply {
    return refuse(code, msg, status);
  }

  protected tooManyRequests(): Reply {
    return refuse('50011', 'Too Many Requests', 429);
  }

  protected override shortened(body: Record<string, unknown>, moves: string): void {
    body.amt = moves;
  }

  protected authenticate({ req, url, rawBody, method }: Incoming): Caller | Reply {
    const apiKey = header(req, 'ok-access-key');
    const sign = header(req, 'ok-access-sign');
    const timestamp = header(req, 'ok-access-timestamp');
    const passphrase = header(req, 'ok-access-passphrase');
    if (!apiKey) return refuse('50103', 'Request header "OK-ACCESS-KEY" cannot be empty.', 401);
    if (!passphrase)
      return refuse('50104', 'Request header "OK-ACCESS-PASSPHRASE" cannot be empty.', 401);
    if (!timestamp)
      return refuse('50107', 'Request header "OK-ACCESS-TIMESTAMP" cannot be empty.', 401);
    if (!sign) return refuse('50106', 'Request header "OK-ACCESS-SIGN" cannot be empty.', 401);
    const key = this.#keys.get(apiKey);
    if (!key) return refuse('50111', 'Invalid OK-ACCESS-KEY.', 401);
    if (passphrase !== key.passphrase) return refuse('50105', 'Invalid OK-ACCESS-PASSPHRASE.', 401);
    const at = Date.parse(timestamp);
    if (Number.isNaN(at) || Math.abs(this.clientNow() - at) > 30_000) {
      return refuse('50102', 'Timestamp request expired.', 401);
    }
    const prehash = `${timestamp}${method}${url.pathname}${url.search}${rawBody}`;
    const expected = createHmac('sha256', key.secret).update(prehash).digest();
    const given = Buffer.from(sign, 'base64');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return refuse('50113', 'Invalid Sign.', 401);
    }
    return key;
  }

  protected route({ method, path, query, body }: Incoming, caller: Caller): Reply {
    const master = caller.name === MASTER;
    const denied = refuse(
      '50120',
      'API key doesn’t have permission: master account API key required.',
      401,
    );
    switch (`${method} ${path}`) {
      case 'GET account/subaccount/balances':
        return master ? this.#subBalances(query, 'futures') : denied;
      case 'GET asset/subaccount/balances':
        return master ? this.#subBalances(query, 'spot') : denied;
      case 'GET account/balance':
        return ok([{ details: this.#details(this.account(caller.name), 'futures', query.ccy) }]);
      case 'GET asset/balances':
        return ok(this.#details(this.account(caller.name), 'spot', query.ccy));
      case 'POST asset/transfer':
        return master ? this.#transfer(body ?? {}) : denied;
      case 'GET asset/transfer-state':
        return master ? this.#state(query) : denied;
      default:
        return refuse('50000', 'Request address does not exist', 404);
    }
  }

  #subBalances(query: Record<string, string>, wallet: 'spot' | 'futures'): Reply {
    const account = query.subAcct === undefined ? undefined : this.accounts.get(query.subAcct);
    if (!account || account.uid === MASTER) return refuse('51000', 'Parameter subAcct error');
    const details = this.#details(account, wallet, query.ccy);
    if (wallet === 'spot') return ok(details);
    return ok([{ totalEq: '0', details: this.#shown(account, details) }]);
  }

  #details(account: FakeAccount, wallet: 'spot' | 'futures', ccy?: string) {
    return [...account[wallet]]
      .filter(([c]) => ccy === undefined || c === ccy)
      .map(([c, v]) => ({
        ccy: c,
        bal: formatMoney(v),
        eq: formatMoney(v),
        cashBal: formatMoney(v),
        availBal: formatMoney(v),
        frozenBal: '0',
        upl: '0',
      }));
  }

  /** The trading equity as `corruptFutures` wants it shown (left out, or another value). */
  #shown(account: FakeAccount, details: readonly Record<string, string>[]) {
    if (this.futuresOmitted.has(account.uid)) return [];
    const shown = this.futuresEquityShown.get(account.uid);
    return shown === undefined ? details : details.map((d) => ({ ...d, eq: shown }));
  }

  #transfer(b: Record<string, unknown>): Reply {
    const text = (k: string) => (typeof b[k] === 'string' ? (b[k] as string) : undefined);
    const [type, ccy, amt, from, to, subAcct, clientId] = [
      'type',
      'ccy',
      'amt',
      'from',
      'to',
      'subAcct',
      'clientId',
    ].map(text);
    if (type !== '1' && type !== '2')
      return refuse('51000', 'Parameter type error (the fake: 1 or 2)');
    if (!ccy || !amt || !from || !to) return refuse('51000', 'Parameter error');
    const fromWallet = WALLET[from];
    const toWallet = WALLET[to];
    if (!fromWallet || !toWallet) return refuse('51000', 'Parameter from/to error');
    const sub = subAcct === undefined ? undefined : this.accounts.get(subAcct);
    if (!sub || sub.uid === MASTER) return refuse('51000', 'Parameter subAcct error');
    if (clientId !== undefined && !/^[A-Za-z0-9]{1,32}$/.test(clientId)) {
      return refuse('51000', 'Parameter clientId error');
    }
    let amount: Money;
    try {
      amount = money(amt);
    } catch {
      return refuse('51000', 'Parameter amt error');
    }
    if (amount <= 0n) return refuse('51000', 'Parameter amt error');
    const used = this.usedIdAnswer(
      clientId === undefined ? undefined : this.transfers.find((t) => t.clientId === clientId),
      (seen) => ok([{ transId: seen.transId, ccy, clientId, from, amt, to }]),
      () => refuse('58129', 'Duplicate clientId'),
    );
    if (used) return used;
    const master = this.account(MASTER);
    const [source, target] = type === '1' ? [master, sub] : [sub, master];
    if (!this.move(source, fromWallet, target, toWallet, ccy, amount)) {
      return refuse('58350', 'Insufficient balance');
    }
    const transId = String(this.#nextTransId++);
    this.transfers.push({
      transId,
      clientId: clientId ?? transId,
      type,
      ccy,
      amount,
      subAcct: sub.uid,
      from,
      to,
      at: this.now(),
    });
    return ok([{ transId, ccy, clientId: clientId ?? '', from, amt, to }]);
  }

  #state(query: Record<string, string>): Reply {
    const type = query.type ?? '0';
    const visibleBefore = this.recordedBy();
    const found = this.transfers.filter(
      (t) =>
        (query.clientId === undefined || t.clientId === query.clientId) &&
        (query.transId === undefined || t.transId === query.transId) &&
        t.type === type &&
        t.at <= visibleBefore,
    );
    return ok(
      found.map((t) => ({
        transId: t.transId,
        clientId: t.clientId,
        ccy: t.ccy,
        amt: formatMoney(t.amount),
        type: t.type,
        from: t.from,
        to: t.to,
        subAcct: t.subAcct,
        state: 'success',
      })),
    );
  }
}

/** A fake OKX, started; close it when done. */
export const startFakeOkx = (options: FakeOkxOptions = {}): Promise<FakeOkx> =>
  started(new FakeOkx(options));
