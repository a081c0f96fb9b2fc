/**
 * What every exchange adapter does around one call: wait for the endpoint's rate limit, build the
 * ccxt client with the key on first use (a failed build is not kept), call, and turn what ccxt
 * threw into our errors. And the adapter options a config gives, the same for every exchange.
 */
import type { AccountType, Config, ExchangeName } from '../../core/config.ts';
import { AuthenticationFailedError, BotfolioError } from '../../core/errors.ts';
import type { BalanceReading } from '../../core/ports.ts';
import { unknown } from '../../core/readings.ts';
import type { ExchangeKey, KeyProvider } from '../secrets.ts';
import type { CallKind } from './errors.ts';
import { EndpointRateLimiter, type RateLimit } from './rate-limiter.ts';

export interface VenueEndpoint<C> {
  readonly limit: RateLimit;
  readonly call: (client: C, params: Record<string, string>) => Promise<unknown>;
}

export interface VenueCallsOptions<C, E extends string> {
  readonly venue: string;
  readonly endpoints: Readonly<Record<E, VenueEndpoint<C>>>;
  readonly key: KeyProvider;
  readonly createClient: (key: ExchangeKey) => C;
  readonly toError: (error: unknown, kind: CallKind, what: string) => unknown;
  readonly maxRateWaitMs: number;
  readonly now: () => number;
}

/** What every adapter's options say of its calls. */
export interface CallOptions {
  readonly key: KeyProvider;
  /** Replaces the exchange's API URL (a fake server in tests, a proxy). */
  readonly apiUrl?: string;
  /** Per request. @default 8 000 ms: a transfer step Lambda has 30 s */
  readonly timeoutMs?: number;
  /** The longest a call waits for its endpoint's rate limit. @default 10 000 ms */
  readonly maxRateWaitMs?: number;
}

/** How an adapter builds its ccxt client: the key, the timeout and the URL it is given. */
export type ClientFactory<C> = (
  key: ExchangeKey,
  connection: { readonly timeoutMs: number; readonly apiUrl?: string },
) => C;

/** The calls of an adapter with `options`, their defaults filled in. */
export function venueCallsOf<C, E extends string>(
  venue: string,
  endpoints: Readonly<Record<E, VenueEndpoint<C>>>,
  options: CallOptions,
  createClient: ClientFactory<C>,
  toError: VenueCallsOptions<C, E>['toError'],
  now: () => number,
): VenueCalls<C, E> {
  const connection = {
    timeoutMs: options.timeoutMs ?? 8_000,
    ...(options.apiUrl !== undefined && { apiUrl: options.apiUrl }),
  };
  return new VenueCalls({
    venue,
    endpoints,
    key: options.key,
    createClient: (key) => createClient(key, connection),
    toError,
    maxRateWaitMs: options.maxRateWaitMs ?? 10_000,
    now,
  });
}

/**
 * `make`, called on first use and its promise kept — unless it fails, so that the next use tries
 * again (a key, a client, the master's UID: asked once per container).
 */
export function onceKept<T>(make: () => Promise<T>): () => Promise<T> {
  let kept: Promise<T> | undefined;
  return () => {
    kept ??= make().catch((error: unknown) => {
      kept = undefined;
      throw error;
    });
    return kept;
  };
}

/** `calls` per second, bursts of as many. */
export const perSecond = (calls: number): RateLimit => ({ calls, perMs: 1_000 });

/** Rate-limited, signed calls of one exchange's endpoints, their errors ours. */
export class VenueCalls<C, E extends string> {
  readonly #options: VenueCallsOptions<C, E>;
  readonly #limiter: EndpointRateLimiter<E>;
  readonly #clientOnce: () => Promise<C>;

  constructor(options: VenueCallsOptions<C, E>) {
    this.#options = options;
    const limits = Object.fromEntries(
      Object.entries<VenueEndpoint<C>>(options.endpoints).map(([path, e]) => [path, e.limit]),
    ) as Record<E, RateLimit>;
    this.#limiter = new EndpointRateLimiter(limits, {
      maxWaitMs: options.maxRateWaitMs,
      now: options.now,
    });
    this.#clientOnce = onceKept(async () => options.createClient(await options.key()));
  }

  /** One call of `path`; `what` names it in error messages. */
  async call(
    path: E,
    params: Record<string, string>,
    kind: CallKind = 'read',
    what = `${this.#options.venue} ${path}`,
  ): Promise<unknown> {
    await this.#limiter.acquire(path);
    const client = await this.#clientOnce();
    try {
      return await this.#options.endpoints[path].call(client, params);
    } catch (error) {
      throw this.#options.toError(error, kind, what);
    }
  }
}

/** Where each bot's and the master's money sits on an exchange, as the config says. */
export interface AccountTypeOptions {
  /** Each bot sub-account's account type, by its account; others get `botAccountType`. */
  readonly accountTypes?: ReadonlyMap<string, AccountType>;
  /** @default 'futures' */
  readonly botAccountType?: AccountType;
  /** Where the reserves sit in the master account. @default 'spot' */
  readonly masterAccountType?: AccountType;
}

/** The account types a config gives the adapter of `exchange`. */
export function accountTypesFromConfig(
  config: Config,
  exchange: ExchangeName,
): Required<AccountTypeOptions> {
  const settings = config.exchanges.get(exchange);
  return {
    accountTypes: new Map(
      config.bots.filter((b) => b.exchange === exchange).map((b) => [b.account, b.accountType]),
    ),
    botAccountType: settings?.botAccountType ?? 'futures',
    masterAccountType: settings?.masterAccountType ?? 'spot',
  };
}

/** The account a bot's transfers use in its sub-account. */
export const subAccountTypeOf = (options: AccountTypeOptions, account: string): AccountType =>
  options.accountTypes?.get(account) ?? options.botAccountType ?? 'futures';

/** The error under one of ours (our mappings keep ccxt's as `cause`). */
export function errorCause(error: unknown): unknown {
  return error instanceof Error && error.cause !== undefined ? error.cause : error;
}

/**
 * Each account read on its own, one after the other (within the endpoint's limit), where an
 * exchange has no batched read (OKX, Bybit): a read that fails leaves that account unknown with
 * why, and the others are read; a refused key (or a bug) fails them all.
 */
export async function readEach(
  uids: readonly string[],
  read: (uid: string) => Promise<BalanceReading>,
): Promise<Map<string, BalanceReading>> {
  const balances = new Map<string, BalanceReading>();
  for (const uid of uids) {
    try {
      balances.set(uid, await read(uid));
    } catch (error) {
      if (error instanceof AuthenticationFailedError || !(error instanceof BotfolioError)) {
        throw error;
      }
      balances.set(uid, unknown(`read failed: ${error.message}`));
    }
  }
  return balances;
}
