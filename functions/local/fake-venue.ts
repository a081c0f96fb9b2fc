/**
 * What every fake exchange server shares (fake-bitget.ts, fake-binance.ts, fake-okx.ts,
 * fake-bybit.ts): an HTTP server on
 * 127.0.0.1, the request log, faults injected per endpoint in order, a token bucket per key and
 * endpoint answering the exchange's own "too many requests" past its published limit, exact books
 * (10⁻⁸ units) of a master and its sub-accounts with a spot and a futures account per coin, and
 * how a transfer is applied. Each exchange's fake says how it signs, routes and answers.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Money, money, ZERO } from '../core/money.ts';

/** Holdings by coin, e.g. `{ USDT: '150' }`. */
export type Holdings = Readonly<Record<string, string | number>>;

export type FakeFault =
  /** The exchange's "too many requests" (HTTP 429 and its body). */
  | { readonly kind: 'rate_limit' }
  /** An HTTP status with a gateway's plain-text body (502, 503…). */
  | { readonly kind: 'status'; readonly status: number }
  /** An error answer of the exchange: `code` and `msg` in its own envelope. */
  | {
      readonly kind: 'error';
      readonly code: string;
      readonly msg: string;
      readonly status?: number;
    }
  /** No answer until the client gives up; a transfer is applied first when `applied`. */
  | { readonly kind: 'hang'; readonly applied?: boolean }
  /** The connection is reset; a transfer is applied first when `applied`. */
  | { readonly kind: 'reset'; readonly applied?: boolean }
  /** A transfer moves `moves` instead of the amount asked, and its record says so. */
  | { readonly kind: 'short'; readonly moves: string };

export interface FakeRequest {
  readonly method: string;
  /** The endpoint's path as the fake names it (below /api/ for Bitget, e.g. `v2/spot/account/assets`). */
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly body: Readonly<Record<string, unknown>> | undefined;
  readonly apiKey: string | undefined;
  /** The signature was present and right. */
  readonly signed: boolean;
  readonly status: number;
  readonly code: string;
}

export class Reply {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly body: unknown,
  ) {}
}

/** A request as a fake's routes see it. */
export interface Incoming {
  readonly req: IncomingMessage;
  readonly url: URL;
  readonly rawBody: string;
  readonly method: string;
  readonly path: string;
  readonly query: Record<string, string>;
  body: Record<string, unknown> | undefined;
}

export interface FakeAccount {
  readonly uid: string;
  /** Its place in creation order (Bitget's cursor ids grow with it). */
  readonly index: number;
  readonly spot: Map<string, Money>;
  readonly futures: Map<string, Money>;
}

export interface FakeVenueOptions {
  /** Added to every answer. @default 0 */
  readonly latencyMs?: number;
  /** Answer "too many requests" past each endpoint's limit, per key. @default true */
  readonly enforceRateLimits?: boolean;
  /**
   * The server's clock (timestamps, rate limits, record times); the fake Bitget checks signed
   * timestamps against the wall clock, the one its client signs with. @default Date.now
   */
  readonly now?: () => number;
  /**
   * The clock the fakes of Binance, OKX and Bybit check signed timestamps against (recvWindow,
   * OKX's 30 s): the client's. ccxt signs with the wall clock, so a fake on a clock of its own
   * (the fault campaign's run clock) is given Date.now here. @default now
   */
  readonly clientClock?: () => number;
  /** Decides a fault for each signed call that has none queued (a fault campaign). @default none */
  readonly faults?: (call: {
    readonly path: string;
    readonly query: Readonly<Record<string, string>>;
    readonly body: Readonly<Record<string, unknown>> | undefined;
  }) => FakeFault | undefined;
  /** How a client id (clientOid, clientTranId…) seen before is answered. @default 'reject' */
  readonly duplicateClientOid?: 'reject' | 'replay';
  /** Transfers show in the records only this long after they were applied. @default 0 */
  readonly recordDelayMs?: number;
}

export abstract class FakeVenue<Caller extends { readonly apiKey: string }> {
  readonly requests: FakeRequest[] = [];
  protected readonly accounts = new Map<string, FakeAccount>();
  /** Sub-accounts the futures answer leaves out (a partial answer), and the equity shown for others. */
  protected readonly futuresOmitted = new Set<string>();
  protected readonly futuresEquityShown = new Map<string, unknown>();
  protected readonly now: () => number;
  /** What signed timestamps are checked against (`clientClock`). */
  protected readonly clientNow: () => number;
  readonly #faults = new Map<string, FakeFault[]>();
  readonly #buckets = new Map<string, { tokens: number; at: number }>();
  protected readonly venueOptions: FakeVenueOptions;
  readonly #server = createServer((req, res) => {
    this.#handle(req, res).catch((error: unknown) => {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(String(error));
    });
  });
  #url: string | undefined;

  constructor(options: FakeVenueOptions) {
    this.venueOptions = options;
    this.now = options.now ?? Date.now;
    this.clientNow = options.clientClock ?? this.now;
  }

  /** The fake's name in messages. */
  protected abstract readonly venue: string;
  /** Each endpoint's published limit: calls per window in ms. */
  protected abstract readonly limits: Readonly<Record<string, readonly [number, number]>>;
  /** The endpoint's name for a URL path and method (what `inject` and `calls` take). */
  protected abstract pathOf(url: URL, method: string): string;
  /** The request's parameters besides the query: a JSON body (Binance's is a form). */
  protected bodyOf(rawBody: string): Record<string, unknown> | undefined {
    try {
      return JSON.parse(rawBody) as Record<string, unknown>;
    } catch {
      return undefined;
    }
  }
  /** The caller's key when the request is signed right; else the exchange's refusal. */
  protected abstract authenticate(incoming: Incoming): Caller | Reply;
  protected abstract route(incoming: Incoming, caller: Caller): Reply;
  /** The exchange's error envelope. */
  protected abstract refuse(code: string, msg: string, status?: number): Reply;
  /** The exchange's answer past a rate limit. */
  protected abstract tooManyRequests(): Reply;
  /** The API key header of a request, for the log. */
  protected abstract apiKeyOf(req: IncomingMessage): string | undefined;
  /** What a `short` fault changes in a transfer's parameters: its `amount` (OKX's is `amt`). */
  protected shortened(body: Record<string, unknown>, moves: string): void {
    body.amount = moves;
  }

  /** Starts listening on 127.0.0.1 (an ephemeral port); resolves to the base URL. */
  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    const { port } = this.#server.address() as AddressInfo;
    this.#url = `http://127.0.0.1:${port}`;
    return this.#url;
  }

  get url(): string {
    if (!this.#url) throw new Error(`the fake ${this.venue} is not started`);
    return this.#url;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /** Queues faults for the next calls of an endpoint, in order. */
  inject(path: string, ...faults: FakeFault[]): void {
    this.#faults.set(path, [...(this.#faults.get(path) ?? []), ...faults]);
  }

  /** Calls of an endpoint received so far (all of them without a path). */
  calls(path?: string): number {
    return this.requests.filter((r) => path === undefined || r.path === path).length;
  }

  /**
   * Makes the futures answer leave `uid` out (a partial answer, as a real one can be) until
   * `restore`; or, with `equity`, show that value (null, "abc", "-5", "1e20") as its equity.
   */
  corruptFutures(uid: string, equity?: unknown): void {
    if (equity === undefined) this.futuresOmitted.add(uid);
    else this.futuresEquityShown.set(uid, equity);
  }

  /** Answers for `uid` truthfully again. */
  restore(uid: string): void {
    this.futuresOmitted.delete(uid);
    this.futuresEquityShown.delete(uid);
  }

  /** Sets a sub-account's (or the master's) holding; trading moved its equity. */
  setBalance(uid: string, account: 'spot' | 'futures', coin: string, amount: string | number) {
    this.account(uid)[account].set(coin, money(amount));
  }

  balance(uid: string, account: 'spot' | 'futures', coin: string): Money {
    return this.account(uid)[account].get(coin) ?? ZERO;
  }

  protected open(uid: string, spec: { spot?: Holdings; futures?: Holdings }): FakeAccount {
    const holdings = (h: Holdings = {}) =>
      new Map(Object.entries(h).map(([coin, amount]) => [coin, money(amount)]));
    const account = {
      uid,
      index: this.accounts.size,
      spot: holdings(spec.spot),
      futures: holdings(spec.futures),
    };
    this.accounts.set(uid, account);
    return account;
  }

  protected account(uid: string): FakeAccount {
    const account = this.accounts.get(uid);
    if (!account) throw new Error(`the fake ${this.venue} has no account ${uid}`);
    return account;
  }

  /**
   * The span a records query asks for, as Binance and Bybit read `startTime`/`endTime`: both,
   * or 7 days from the one given, or the last 7 days; more than 7 days is refused (undefined).
   */
  protected recordsWindow(q: Record<string, string>): readonly [number, number] | undefined {
    const week = 7 * 24 * 3_600_000;
    const now = this.now();
    const start = q.startTime === undefined ? undefined : Number(q.startTime);
    const end = q.endTime === undefined ? undefined : Number(q.endTime);
    const [from, to] =
      start !== undefined && end !== undefined
        ? [start, end]
        : start !== undefined
          ? [start, start + week]
          : end !== undefined
            ? [end - week, end]
            : [now - week, now];
    return to - from > week ? undefined : [from, to];
  }

  /**
   * The answer to a transfer whose client id was `seen` before: the first answer again in
   * `replay` mode, else the exchange's refusal (no money moves twice either way); undefined for a
   * new id.
   */
  protected usedIdAnswer<T>(
    seen: T | undefined,
    replay: (seen: T) => Reply,
    refusal: () => Reply,
  ): Reply | undefined {
    if (seen === undefined) return undefined;
    return this.venueOptions.duplicateClientOid === 'replay' ? replay(seen) : refusal();
  }

  /** Transfers applied up to this time show in the records (`recordDelayMs` after). */
  protected recordedBy(): number {
    return this.now() - (this.venueOptions.recordDelayMs ?? 0);
  }

  /** Moves `amount` of `coin` between two accounts' wallets; false when the source lacks it. */
  protected move(
    from: FakeAccount,
    fromWallet: 'spot' | 'futures',
    to: FakeAccount,
    toWallet: 'spot' | 'futures',
    coin: string,
    amount: Money,
  ): boolean {
    const source = from[fromWallet];
    const target = to[toWallet];
    const held = source.get(coin) ?? ZERO;
    if (held < amount) return false;
    source.set(coin, (held - amount) as Money);
    target.set(coin, ((target.get(coin) ?? ZERO) + amount) as Money);
    return true;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const rawBody = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const incoming: Incoming = {
      req,
      url,
      rawBody,
      method: req.method ?? '',
      path: this.pathOf(url, req.method ?? ''),
      query: Object.fromEntries(url.searchParams),
      body: rawBody === '' ? undefined : this.bodyOf(rawBody),
    };
    const apiKey = this.apiKeyOf(req);
    const log = (status: number, code: string, signed: boolean) =>
      this.requests.push({
        method: incoming.method,
        path: incoming.path,
        query: incoming.query,
        body: incoming.body,
        apiKey,
        signed,
        status,
        code,
      });

    if (this.venueOptions.latencyMs) await sleep(this.venueOptions.latencyMs);

    const caller = this.authenticate(incoming);
    if (caller instanceof Reply) {
      log(caller.status, caller.code, false);
      return send(res, caller);
    }
    const fault =
      this.#faults.get(incoming.path)?.shift() ??
      this.venueOptions.faults?.({
        path: incoming.path,
        query: incoming.query,
        body: incoming.body,
      });
    if (fault?.kind === 'short') {
      incoming.body = { ...incoming.body };
      this.shortened(incoming.body, fault.moves);
    }
    if (fault?.kind === 'hang' || fault?.kind === 'reset') {
      if (fault.applied) this.route(incoming, caller);
      log(0, fault.kind, true);
      if (fault.kind === 'reset') req.socket.destroy();
      return; // hang: never answered; the client times out (closeAllConnections ends it)
    }
    const reply =
      fault?.kind === 'rate_limit'
        ? this.tooManyRequests()
        : fault?.kind === 'status'
          ? new Reply(
              fault.status,
              String(fault.status),
              `<html>${fault.status} Bad Gateway</html>`,
            )
          : fault?.kind === 'error'
            ? this.refuse(fault.code, fault.msg, fault.status)
            : (this.#rateLimited(caller.apiKey, incoming.path) ?? this.route(incoming, caller));
    log(reply.status, reply.code, true);
    send(res, reply);
  }

  #rateLimited(apiKey: string, path: string): Reply | undefined {
    const limit = this.limits[path];
    if (!limit || this.venueOptions.enforceRateLimits === false) return undefined;
    const [calls, perMs] = limit;
    const id = `${apiKey} ${path}`;
    const now = this.now();
    const bucket = this.#buckets.get(id) ?? { tokens: calls, at: now };
    bucket.tokens = Math.min(calls, bucket.tokens + ((now - bucket.at) * calls) / perMs);
    bucket.at = now;
    this.#buckets.set(id, bucket);
    if (bucket.tokens < 1) return this.tooManyRequests();
    bucket.tokens -= 1;
    return undefined;
  }
}

export function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function send(res: ServerResponse, reply: Reply): void {
  const text = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
  res
    .writeHead(reply.status, {
      'content-type': typeof reply.body === 'string' ? 'text/html' : 'application/json',
    })
    .end(text);
}

/** `fake`, started; close it when done. */
export async function started<F extends FakeVenue<{ readonly apiKey: string }>>(
  fake: F,
): Promise<F> {
  await fake.start();
  return fake;
}
