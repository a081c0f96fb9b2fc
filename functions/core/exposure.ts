/**
 * Exposure and leverage (DESIGN.md §11, the launcher's risk limits): what the bots' open
 * positions add up to against the money under management. A bot's position is read where it can
 * be — the exchange with the master key (Binance's sub-account position risk), the bot's own
 * Freqtrade API, the paper exchange's simulated bots — and is otherwise unknown, never zero.
 *
 * - A bot's leverage is its position notional ÷ its equity (the balance the same cycle read).
 * - Total exposure is Σ notional ÷ portfolio equity over the bots whose position is known. With
 *   any bot unknown it is a lower bound ("partial"), and says which bots are missing.
 * - Above `risk.max_total_exposure` → `exposure_high`; a bot above `risk.max_bot_leverage` →
 *   `bot_leverage_high` (warnings, cooled down as usual). Nothing here moves money.
 *
 * Exact: notional is money (10⁻⁸ units, rounded down), ratios are exact fractions.
 */
import { type Alert, alert } from './alerts.ts';
import type { Config } from './config.ts';
import type { PulledHealth } from './health.ts';
import {
  compareRatios,
  formatMoney,
  MONEY_DECIMALS,
  type Money,
  money,
  type Ratio,
  showMoney,
  sum,
} from './money.ts';
import { showRatio } from './policy-amounts.ts';
import { type PortfolioState, portfolioEquity } from './state.ts';

/** One bot's open positions as read: their notional in the portfolio currency, or why unknown. */
export type PositionReading =
  | { readonly known: true; readonly notional: Money; readonly source: string }
  | { readonly known: false; readonly reason: string };

export const unknownPosition = (reason: string): PositionReading => ({ known: false, reason });

/** One bot's risk: its notional and leverage, or unknown with why. */
export type BotRisk =
  | {
      readonly known: true;
      readonly notional: Money;
      /** notional ÷ equity; undefined when its equity is unknown or zero (`leverageWhy`). */
      readonly leverage: Ratio | undefined;
      readonly leverageWhy?: string;
      /** Equity zero under an open position: above any limit. */
      readonly unbounded: boolean;
      readonly source: string;
    }
  | { readonly known: false; readonly reason: string };

export interface Exposure {
  /** Σ notional over the bots whose position is known. */
  readonly notional: Money;
  readonly equity: Money | undefined;
  /** Σ notional ÷ portfolio equity; undefined when the equity is unknown or zero. */
  readonly ratio: Ratio | undefined;
  readonly knownBots: readonly string[];
  /** Bots whose position is unknown: the ratio is then a lower bound. */
  readonly unknownBots: readonly string[];
}

export interface RiskView {
  readonly bots: ReadonlyMap<string, BotRisk>;
  readonly exposure: Exposure;
}

/**
 * The risk of every booked bot from its position reading and the state's balances; a booked bot
 * with no reading is unknown ("not read").
 */
export function riskOf(
  state: PortfolioState,
  positions: ReadonlyMap<string, PositionReading>,
): RiskView {
  const bots = new Map<string, BotRisk>();
  for (const [botId, b] of state.bots) {
    const p = positions.get(botId) ?? unknownPosition('its positions were not read');
    if (!p.known) {
      bots.set(botId, p);
      continue;
    }
    const base = { known: true as const, notional: p.notional, source: p.source };
    if (b.balance === null) {
      bots.set(botId, {
        ...base,
        leverage: undefined,
        leverageWhy: 'its equity is unknown',
        unbounded: false,
      });
    } else if (b.balance <= 0n) {
      bots.set(botId, {
        ...base,
        leverage: p.notional === 0n ? { num: 0n, den: 1n } : undefined,
        ...(p.notional > 0n && { leverageWhy: 'an open position on zero equity' }),
        unbounded: p.notional > 0n,
      });
    } else {
      bots.set(botId, {
        ...base,
        leverage: { num: p.notional, den: b.balance },
        unbounded: false,
      });
    }
  }
  const known = [...bots].filter(([, r]) => r.known).map(([id]) => id);
  const unknown = [...bots].filter(([, r]) => !r.known).map(([id]) => id);
  const notional = sum([...bots.values()].flatMap((r) => (r.known ? [r.notional] : [])));
  const equity = portfolioEquity(state);
  return {
    bots,
    exposure: {
      notional,
      equity,
      ratio: equity !== undefined && equity > 0n ? { num: notional, den: equity } : undefined,
      knownBots: known,
      unknownBots: unknown,
    },
  };
}

/** A ratio as fixed decimal text, rounded down: `1.850000`. */
export function ratioFixed(r: Ratio, decimals = 6): string {
  const scaled = (r.num * 10n ** BigInt(decimals)) / r.den;
  const text = scaled.toString().padStart(decimals + 1, '0');
  return decimals === 0
    ? text
    : `${text.slice(0, text.length - decimals)}.${text.slice(text.length - decimals)}`;
}

/** A ratio for a person: `1.85×`. */
export const showTimes = (r: Ratio): string => `${ratioFixed(r, 2)}×`;

const unknownList = (e: Exposure) =>
  e.unknownBots.length === 0
    ? ''
    : `; a lower bound: ${e.unknownBots.length} bot(s) of unknown position (${e.unknownBots.join(', ')}) not counted`;

/**
 * `exposure_high` when Σ notional ÷ portfolio equity is above `risk.max_total_exposure`, and
 * `bot_leverage_high` for each enabled or booked bot above `risk.max_bot_leverage`.
 */
export function riskAlerts(config: Pick<Config, 'risk' | 'currency'>, risk: RiskView): Alert[] {
  const alerts: Alert[] = [];
  const { maxTotalExposure, maxBotLeverage } = config.risk;
  const e = risk.exposure;
  if (
    maxTotalExposure !== undefined &&
    e.ratio !== undefined &&
    compareRatios(e.ratio, maxTotalExposure) > 0
  ) {
    alerts.push(
      alert(
        'exposure_high',
        `total exposure ${showTimes(e.ratio)} portfolio equity is above risk.max_total_exposure ${showRatio(maxTotalExposure)} (Σ notional ${showMoney(e.notional)} ${config.currency} over equity ${e.equity === undefined ? 'unknown' : showMoney(e.equity)}, ${e.knownBots.length} bot(s) known${unknownList(e)}); nothing moves because of it`,
      ),
    );
  }
  if (maxBotLeverage === undefined) return alerts;
  for (const [botId, r] of risk.bots) {
    if (!r.known) continue;
    const over =
      r.unbounded || (r.leverage !== undefined && compareRatios(r.leverage, maxBotLeverage) > 0);
    if (!over) continue;
    const lev = r.leverage === undefined ? (r.leverageWhy ?? 'unbounded') : showTimes(r.leverage);
    alerts.push(
      alert(
        'bot_leverage_high',
        `${botId} carries leverage ${lev} (notional ${showMoney(r.notional)} ${config.currency}, from ${r.source}), above risk.max_bot_leverage ${showRatio(maxBotLeverage)}; nothing moves because of it`,
        botId,
      ),
    );
  }
  return alerts;
}

/**
 * `status --json`'s additive `risk`: `exposure` {ratio, known_bots, unknown_bots, limit, …} and
 * each booked bot's {notional, leverage} or "unknown" — decimal strings, null where unknown.
 */
export function riskJson(
  config: Pick<Config, 'risk'>,
  risk: RiskView,
  asOf?: string,
): Record<string, unknown> {
  const e = risk.exposure;
  const limit = (r: Ratio | undefined) => (r === undefined ? null : showRatio(r));
  return {
    ...(asOf !== undefined && { as_of: asOf }),
    exposure: {
      ratio: e.ratio === undefined ? null : ratioFixed(e.ratio),
      known_bots: e.knownBots.length,
      unknown_bots: e.unknownBots.length,
      limit: limit(config.risk.maxTotalExposure),
      partial: e.unknownBots.length > 0,
      notional: formatMoney(e.notional),
      equity: e.equity === undefined ? null : formatMoney(e.equity),
      unknown: Object.fromEntries(
        [...risk.bots].flatMap(([id, r]) => (r.known ? [] : [[id, r.reason]])),
      ),
    },
    bot_leverage_limit: limit(config.risk.maxBotLeverage),
    bots: Object.fromEntries(
      [...risk.bots].map(([id, r]) => [
        id,
        r.known
          ? {
              notional: formatMoney(r.notional),
              leverage: r.leverage === undefined ? null : ratioFixed(r.leverage),
              source: r.source,
            }
          : 'unknown',
      ]),
    ),
  };
}

/** Decimal text of a JSON number or string, or undefined when it is not a plain decimal. */
function decimalText(value: unknown): string | undefined {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return undefined;
    const text = String(value);
    return text.includes('e') ? value.toFixed(20) : text;
  }
  if (typeof value === 'string') return value.trim();
  return undefined;
}

const PLAIN = /^(-?)(\d+)(?:\.(\d+))?$/;

/** A decimal as an exact fraction digits ÷ 10^scale (negative allowed), or undefined. */
export function exactDecimal(value: unknown): { digits: bigint; scale: number } | undefined {
  const text = decimalText(value);
  if (text === undefined) return undefined;
  const m = PLAIN.exec(text);
  if (!m) return undefined;
  const [, sign = '', int = '0', frac = ''] = m;
  const digits = BigInt(`${int}${frac}`);
  return { digits: sign === '-' ? -digits : digits, scale: frac.length };
}

/**
 * |amount| × price as money, exact then rounded down to 10⁻⁸; undefined when either is not a
 * plain decimal, or the price is negative.
 */
export function notionalOf(amount: unknown, price: unknown): Money | undefined {
  const a = exactDecimal(amount);
  const p = exactDecimal(price);
  if (!a || !p || p.digits < 0n) return undefined;
  const digits = (a.digits < 0n ? -a.digits : a.digits) * p.digits;
  const scale = a.scale + p.scale;
  return (
    scale >= MONEY_DECIMALS
      ? digits / 10n ** BigInt(scale - MONEY_DECIMALS)
      : digits * 10n ** BigInt(MONEY_DECIMALS - scale)
  ) as Money;
}

/**
 * A Freqtrade bot's position from its API's last answer (`/api/v1/status`): known only when that
 * answer listed its trades, all in the portfolio currency, and is no older than
 * `maxAgeMs` at `nowMs`.
 */
export function freqtradePosition(
  pull: PulledHealth | undefined,
  currency: string,
  nowMs: number,
  maxAgeMs: number,
): PositionReading {
  if (!pull) return unknownPosition('its Freqtrade API was not asked yet');
  if (!pull.answer) {
    return unknownPosition(`its Freqtrade API did not answer (${pull.error ?? 'no answer'})`);
  }
  const asked = Date.parse(pull.at);
  if (!(nowMs - asked <= maxAgeMs)) {
    return unknownPosition(`its Freqtrade API was last asked at ${pull.at}`);
  }
  const p = pull.answer.positions;
  if (!p)
    return unknownPosition(`its Freqtrade API did not list its trades (${pull.answer.note ?? ''})`);
  if (!p.known) return unknownPosition(`its Freqtrade API: ${p.reason}`);
  const others = Object.keys(p.byQuote).filter((q) => q !== currency);
  if (others.length > 0) {
    return unknownPosition(
      `its open trades are in ${others.join(', ')}, not the portfolio currency ${currency}`,
    );
  }
  let notional: Money;
  try {
    notional = money(p.byQuote[currency] ?? '0');
  } catch {
    return unknownPosition(
      `its stored notional ${JSON.stringify(p.byQuote[currency])} is not an amount`,
    );
  }
  if (notional < 0n) return unknownPosition('its stored notional is negative');
  return {
    known: true,
    notional,
    source: `its Freqtrade API (${p.trades} open trade${p.trades === 1 ? '' : 's'})`,
  };
}

/** A bot's position as the cycle stores it (its health item): JSON-safe, with when it was read. */
export type StoredPosition =
  | {
      readonly at: string;
      readonly known: true;
      readonly notional: string;
      readonly source: string;
    }
  | { readonly at: string; readonly known: false; readonly reason: string };

export function storedPosition(p: PositionReading, at: string): StoredPosition {
  return p.known
    ? { at, known: true, notional: formatMoney(p.notional), source: p.source }
    : { at, known: false, reason: p.reason };
}

/**
 * The reading a stored position stands for — unknown when it was not read at `asOf` (the last
 * cycle's time: an older one is another cycle's figure), or does not parse.
 */
export function positionOfStored(p: StoredPosition | undefined, asOf: string): PositionReading {
  if (!p) return unknownPosition('its positions were not read');
  if (p.at !== asOf) return unknownPosition(`its positions were last read at ${p.at}`);
  if (!p.known) return unknownPosition(p.reason);
  try {
    const notional = money(p.notional);
    if (notional >= 0n) return { known: true, notional, source: p.source };
  } catch {
    // Falls through: not an amount.
  }
  return unknownPosition(`its stored notional ${JSON.stringify(p.notional)} is not an amount`);
}
