/**
 * The arithmetic every planned transfer goes through (DESIGN.md §3, last paragraph): an amount is
 * capped at the exchange's `max_transfer`, rounded down to its precision and dropped below its
 * `min_transfer`; a reserve never gives more than the state says it holds, less its floor, less
 * what earlier transfers of the same plan took. Also the number formats reasons are written in.
 */
import { reserveAccount } from './accounts.ts';
import type { Config, ExchangeName } from './config.ts';
import {
  add,
  floorToDecimals,
  type Money,
  max,
  mulRatio,
  type Ratio,
  showMoney,
  sub,
  ZERO,
} from './money.ts';
import type { PortfolioState } from './state.ts';
import { reserveFloors } from './venues.ts';

export interface TransferLimits {
  readonly minTransfer: Money;
  readonly maxTransfer: Money;
  /** Decimals the exchange accepts. */
  readonly precision: number;
  /** The exchange's fee as a share of the amount (`transfer_fee`); undefined: none. */
  readonly transferFee: Ratio | undefined;
}

export function limitsOf(config: Config, exchange: ExchangeName): TransferLimits | undefined {
  const e = config.exchanges.get(exchange);
  return (
    e && {
      minTransfer: e.minTransfer,
      maxTransfer: e.maxTransfer,
      precision: e.precision,
      transferFee: e.transferFee,
    }
  );
}

/** `transfer_fee × amount`, rounded down: what a transfer costs (a backtest's cost, never booked). */
export const feeOf = (amount: Money, fee: Ratio | undefined): Money =>
  fee === undefined ? ZERO : mulRatio(amount, fee);

/**
 * Why a transfer of `amount` is not worth its fee, or undefined when it is (DESIGN.md §4: "a
 * transfer whose fee exceeds what it protects is not worth making"). What a transfer is worth is
 * what arrives, `amount − transfer_fee × amount`. Toward a bot's risk (allocation, refill,
 * rebalance in) that must still be at least `min_transfer`, the smallest transfer the exchange
 * thinks worth making. Toward safety (harvest, protect, rebalance out) money at risk is moved at
 * any fee, unless the fee takes all of it.
 */
export function notWorthItsFee(
  amount: Money,
  limits: TransferLimits,
  towardSafety: boolean,
): string | undefined {
  if (limits.transferFee === undefined) return undefined;
  const fee = feeOf(amount, limits.transferFee);
  const arrives = sub(amount, fee);
  if (towardSafety ? arrives > 0n : arrives >= limits.minTransfer) return undefined;
  const left = towardSafety
    ? 'takes all of it'
    : `leaves ${showMoney(arrives)}, less than min_transfer ${showMoney(limits.minTransfer)}`;
  return `not worth its fee: transfer_fee ${showRatio(limits.transferFee)} × ${showMoney(amount)} = ${showMoney(fee)} ${left}`;
}

/** An amount the exchange can move, and what was done to the amount wanted to get there. */
export interface SizedAmount {
  readonly amount: Money;
  /** The amount wanted was above `max_transfer`. */
  readonly capped: boolean;
  /** Rounding down to the exchange's precision removed something. */
  readonly rounded: boolean;
}

/**
 * `wanted`, capped at `max_transfer` and rounded down to the exchange's precision; undefined when
 * that leaves less than `min_transfer` (nothing is planned then).
 */
export function sizeTransfer(wanted: Money, limits: TransferLimits): SizedAmount | undefined {
  const capped = wanted > limits.maxTransfer;
  const upTo = capped ? limits.maxTransfer : wanted;
  const amount = floorToDecimals(upTo, limits.precision);
  if (amount <= 0n || amount < limits.minTransfer) return undefined;
  return { amount, capped, rounded: amount !== upTo };
}

/** What a reason adds when the amount is not the one the rule asked for: "; capped at max_transfer 500". */
export function limitNote(sized: SizedAmount, limits: TransferLimits): string {
  const notes: string[] = [];
  if (sized.capped) notes.push(`capped at max_transfer ${showMoney(limits.maxTransfer)}`);
  if (sized.rounded) notes.push(`rounded down to ${limits.precision} decimals`);
  return notes.length > 0 ? `; ${notes.join(', ')}` : '';
}

/**
 * The reserves as one plan sees them. Money planned *into* a reserve (a harvest) is not counted:
 * it has not arrived, and the transfer may yet fail.
 */
export class ReserveBudget {
  readonly #held: ReadonlyMap<string, Money>;
  readonly #floors: ReadonlyMap<string, Money>;
  readonly #frozen: ReadonlySet<string>;
  readonly #taken = new Map<string, Money>();

  private constructor(
    held: ReadonlyMap<string, Money>,
    floors: ReadonlyMap<string, Money>,
    frozen: ReadonlySet<string>,
  ) {
    this.#held = held;
    this.#floors = floors;
    this.#frozen = frozen;
  }

  /**
   * The state's reserves; each emergency part's floor is its minimum. A `frozen`
   * reserve (config drift, reconciliation's hold) gives nothing this plan.
   */
  static of(
    config: Config,
    state: PortfolioState,
    frozen: ReadonlySet<string> = new Set(),
  ): ReserveBudget {
    return new ReserveBudget(state.reserves, reserveFloors(config), frozen);
  }

  /** What the state says the reserve holds (zero when it says nothing). */
  held(name: string): Money {
    return this.#held.get(name) ?? ZERO;
  }

  floor(name: string): Money {
    return this.#floors.get(name) ?? ZERO;
  }

  /** What this plan may still take from the reserve. */
  available(name: string): Money {
    if (this.#frozen.has(name)) return ZERO;
    const taken = this.#taken.get(name) ?? ZERO;
    return max(ZERO, sub(sub(this.held(name), this.floor(name)), taken));
  }

  /** Records a transfer out of the reserve; taking more than is available is a bug in a rule. */
  take(name: string, amount: Money): void {
    if (amount < 0n || amount > this.available(name)) {
      throw new RangeError(
        `${reserveAccount(name)}: cannot take ${showMoney(amount)}, ${showMoney(this.available(name))} available`,
      );
    }
    this.#taken.set(name, add(this.#taken.get(name) ?? ZERO, amount));
  }
}

/** A ratio as a person wrote it: 1.25, 0.6 (exact for the decimal ratios a config holds). */
export function showRatio(r: Ratio): string {
  let den = r.den;
  let k = 0;
  while (den > 1n && den % 10n === 0n) {
    den /= 10n;
    k += 1;
  }
  if (den !== 1n) return String(Number(r.num) / Number(r.den));
  const text = r.num.toString().padStart(k + 1, '0');
  const int = text.slice(0, text.length - k);
  const frac = text.slice(text.length - k).replace(/0+$/, '');
  return frac ? `${int}.${frac}` : int;
}

/** A ratio as a percentage: 0.6 → "60%". */
export function showPercent(r: Ratio): string {
  return `${showRatio({ num: r.num * 100n, den: r.den })}%`;
}
