/**
 * A bot's own Freqtrade REST API (DESIGN.md §11): a JWT from `POST /api/v1/token/login` (HTTP
 * basic auth with the API's user and password), then, for its health, `GET /api/v1/health`
 * (`last_process_ts`: when its loop last ran), `GET /api/v1/show_config` (`state`: running,
 * stopped, paused) and `GET /api/v1/status` (its open trades) — all within one short deadline; and
 * for the coordinated stop (core/pause.ts), `POST /api/v1/stopentry` (no new trades; open ones are
 * still managed). Neither ever throws: a bot that does not answer in time is "no answer", which
 * the cycle records — and which makes the bot stale once it lasts.
 */
import { exactDecimal, notionalOf } from '../core/exposure.ts';
import type {
  FreqtradePositions,
  FreqtradePull,
  FreqtradeTarget,
  ReportedStatus,
} from '../core/health.ts';
import { formatMoney, type Money } from '../core/money.ts';
import { type BotPause, PAUSE_TIMEOUT_MS } from '../core/pause.ts';
import type { PasswordOf } from './health-secrets.ts';

/** How long one bot's API may take for all its calls. */
export const FREQTRADE_TIMEOUT_MS = 2_000;

class AnsweredError extends Error {
  constructor(
    message: string,
    readonly status: ReportedStatus | undefined,
    /** The HTTP status it answered. */
    readonly httpStatus?: number,
  ) {
    super(message);
    this.name = 'AnsweredError';
  }
}

/** No password for the API in its secret: the bot was not asked. */
class NoPasswordError extends Error {
  constructor(passwordSecret: string) {
    super(`no password in ${passwordSecret}`);
    this.name = 'NoPasswordError';
  }
}

interface Session {
  /** One call with the bot's JWT (its only header); an HTTP error is an `AnsweredError`. */
  readonly call: (path: string, init?: Pick<RequestInit, 'method'>) => Promise<unknown>;
}

/**
 * Logs in to a bot's API within `signal`: a session whose calls carry its JWT.
 * @throws AnsweredError when the API answers an error, NoPasswordError without a password
 */
async function login(
  target: FreqtradeTarget,
  passwordOf: PasswordOf,
  doFetch: typeof fetch,
  signal: AbortSignal,
): Promise<Session> {
  const base = target.url.replace(/\/+$/, '');
  const call = async (path: string, init: RequestInit): Promise<unknown> => {
    const res = await doFetch(`${base}${path}`, { ...init, signal, redirect: 'error' });
    if (res.status === 401 || res.status === 403) {
      throw new AnsweredError(
        `${path} answered ${res.status}: the API refused Botfolio's credentials`,
        'error',
        res.status,
      );
    }
    if (!res.ok)
      throw new AnsweredError(`${path} answered HTTP ${res.status}`, 'error', res.status);
    return res.json();
  };
  const password = await passwordOf(target.passwordSecret);
  if (password === undefined) throw new NoPasswordError(target.passwordSecret);
  const basic = `Basic ${Buffer.from(`${target.user}:${password}`).toString('base64')}`;
  const answer = (await call('/api/v1/token/login', {
    method: 'POST',
    headers: { authorization: basic },
  })) as { access_token?: unknown };
  if (typeof answer.access_token !== 'string') {
    throw new AnsweredError('/api/v1/token/login gave no access_token', 'error');
  }
  const bearer = `Bearer ${answer.access_token}`;
  return {
    call: (path, init = {}) => call(path, { ...init, headers: { authorization: bearer } }),
  };
}

/** Why a call got no answer: too slow, or not reachable. */
const noAnswerWhy = (error: unknown, timeoutMs: number): string =>
  error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')
    ? `no answer within ${timeoutMs} ms`
    : `unreachable (${error instanceof Error ? error.message : String(error)})`;

/** A puller over `fetch` with the passwords of `passwordOf`. */
export function freqtradePuller(
  passwordOf: PasswordOf,
  opts: { readonly timeoutMs?: number; readonly fetch?: typeof fetch } = {},
): FreqtradePull {
  const doFetch = opts.fetch ?? fetch;
  const timeoutMs = opts.timeoutMs ?? FREQTRADE_TIMEOUT_MS;
  return async (target, now) => {
    const at = now.toISOString();
    try {
      const api = await login(target, passwordOf, doFetch, AbortSignal.timeout(timeoutMs));
      const [health, config, trades] = await Promise.all([
        api.call('/api/v1/health') as Promise<{ last_process_ts?: unknown }>,
        api.call('/api/v1/show_config') as Promise<{ state?: unknown }>,
        api.call('/api/v1/status'),
      ]);
      const ts = health.last_process_ts;
      const lastProcess =
        typeof ts === 'number' && Number.isFinite(ts) && ts > 0
          ? new Date(ts * 1000).toISOString()
          : undefined;
      const state = typeof config.state === 'string' ? config.state.toLowerCase() : undefined;
      const open = Array.isArray(trades) ? trades.length : undefined;
      const positions = openTradePositions(trades, state);
      const status: ReportedStatus = state === 'running' ? 'running' : 'stopped';
      const note = [
        `state ${state ?? 'not given'}`,
        ...(open === undefined ? [] : [`${open} open trade${open === 1 ? '' : 's'}`]),
        ...(lastProcess === undefined ? ['no loop run yet'] : []),
      ].join(', ');
      // A running bot whose loop never ran has not shown it runs.
      return {
        at,
        answer: {
          status: status === 'running' && lastProcess === undefined ? 'stopped' : status,
          ...(lastProcess !== undefined && { lastProcess }),
          note,
          positions,
        },
      };
    } catch (error) {
      if (error instanceof AnsweredError && error.status !== undefined) {
        return { at, answer: { status: error.status, note: error.message } };
      }
      if (error instanceof NoPasswordError) return { at, answer: undefined, error: error.message };
      return { at, answer: undefined, error: noAnswerWhy(error, timeoutMs) };
    }
  };
}

/**
 * The coordinated stop's pauser over `fetch` with the passwords of `passwordOf`: logs in as the
 * health pull does, then `POST /api/v1/stopentry`, all within `timeoutMs`. An answer of 2xx is
 * `paused`; any HTTP error (at login or at the pause: a refused password is 401) is `refused`
 * with its status; a timeout or an unreachable API is `no_answer`, as is a missing password (not
 * asked). Never throws.
 */
export function freqtradePauser(
  passwordOf: PasswordOf,
  opts: { readonly timeoutMs?: number; readonly fetch?: typeof fetch } = {},
): BotPause {
  const doFetch = opts.fetch ?? fetch;
  const timeoutMs = opts.timeoutMs ?? PAUSE_TIMEOUT_MS;
  return async (target) => {
    try {
      const api = await login(target, passwordOf, doFetch, AbortSignal.timeout(timeoutMs));
      const answer = (await api.call('/api/v1/stopentry', { method: 'POST' })) as {
        status?: unknown;
      };
      const said = typeof answer?.status === 'string' ? answer.status : 'no new trades';
      return { outcome: 'paused', detail: `stopentry: ${said}` };
    } catch (error) {
      if (error instanceof AnsweredError) {
        return {
          outcome: 'refused',
          ...(error.httpStatus !== undefined && { status: error.httpStatus }),
          detail: error.message,
        };
      }
      if (error instanceof NoPasswordError) {
        return { outcome: 'no_answer', detail: `not asked: ${error.message}` };
      }
      return { outcome: 'no_answer', detail: noAnswerWhy(error, timeoutMs) };
    }
  };
}

const shown = (v: unknown) => JSON.stringify(v) ?? String(v);

/**
 * The bot's open trades (`GET /api/v1/status`) as notional by quote currency: Σ amount × current
 * rate, exact. Unknown — never zero — when the trader is not running (Freqtrade then answers [],
 * whatever it holds), the answer is not a list, or a trade's amount, rate or leverage is missing,
 * negative or not a number.
 */
export function openTradePositions(trades: unknown, state: string | undefined): FreqtradePositions {
  const refuse = (reason: string): FreqtradePositions => ({ known: false, reason });
  if (state !== 'running') {
    return refuse(
      `its trader is ${state ?? 'in an unknown state'}: /api/v1/status lists no trades then`,
    );
  }
  if (!Array.isArray(trades))
    return refuse(`/api/v1/status answered ${shown(trades).slice(0, 80)}, not a list`);
  const byQuote = new Map<string, Money>();
  for (const [i, t] of trades.entries()) {
    if (typeof t !== 'object' || t === null) return refuse(`trade ${i} is ${shown(t)}`);
    const trade = t as Record<string, unknown>;
    const name = `trade ${shown(trade.trade_id ?? i)}${typeof trade.pair === 'string' ? ` ${trade.pair}` : ''}`;
    const quote =
      typeof trade.quote_currency === 'string' && trade.quote_currency !== ''
        ? trade.quote_currency
        : typeof trade.pair === 'string'
          ? /^[^/]+\/([^/:]+)(?::.*)?$/.exec(trade.pair)?.[1]
          : undefined;
    if (quote === undefined)
      return refuse(`${name}: no quote currency (pair ${shown(trade.pair)})`);
    const amount = exactDecimal(trade.amount);
    if (!amount || amount.digits < 0n) {
      return refuse(`${name}: amount ${shown(trade.amount)} is not an amount ≥ 0`);
    }
    const rate = exactDecimal(trade.current_rate);
    if (!rate || rate.digits <= 0n) {
      return refuse(`${name}: current_rate ${shown(trade.current_rate)} is not a price > 0`);
    }
    if (trade.leverage !== undefined && trade.leverage !== null) {
      const lev = exactDecimal(trade.leverage);
      if (!lev || lev.digits <= 0n) {
        return refuse(`${name}: leverage ${shown(trade.leverage)} is not a number > 0`);
      }
    }
    const notional = notionalOf(trade.amount, trade.current_rate);
    if (notional === undefined) return refuse(`${name}: its notional could not be computed`);
    byQuote.set(quote, ((byQuote.get(quote) ?? 0n) + notional) as Money);
  }
  return {
    known: true,
    trades: trades.length,
    byQuote: Object.fromEntries([...byQuote].map(([q, m]) => [q, formatMoney(m)])),
  };
}
