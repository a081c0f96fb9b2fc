/**
 * Exact money. An amount is a bigint count of 10⁻⁸ units of the portfolio currency (the spec's
 * DECIMAL(16,8)); a ratio from the config (0.6, 1.25) is an exact fraction parsed from its decimal
 * text. Nothing here goes through a float: a float becomes money only in `moneyFromFloat`, which
 * rounds down and says so in its name.
 */

declare const moneyBrand: unique symbol;
/** An exact amount in 10⁻⁸ units of the portfolio currency. */
export type Money = bigint & { readonly [moneyBrand]: true };

/** Digits after the decimal point that money keeps. */
export const MONEY_DECIMALS = 8;
const SCALE = 10n ** BigInt(MONEY_DECIMALS);

export const ZERO = 0n as Money;

/** An exact non-negative fraction `num / den`, e.g. 0.6 = 6/10. */
export interface Ratio {
  readonly num: bigint;
  readonly den: bigint;
}

export class InvalidAmountError extends Error {
  constructor(value: unknown, why: string) {
    super(`invalid amount ${JSON.stringify(value)}: ${why}`);
    this.name = 'InvalidAmountError';
  }
}

const DECIMAL = /^(-)?(\d+)(?:\.(\d+))?$/;

/** Decimal text of a JSON number or string, refusing NaN, infinities and exponents we cannot read. */
function decimalText(value: number | string): string {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new InvalidAmountError(value, 'not a finite number');
    // Shortest round-trip text: 0.6 → "0.6", exact for every value a person typed into JSON.
    const text = String(value);
    if (!text.includes('e')) return text;
    return value.toFixed(20).replace(/0+$/, '').replace(/\.$/, '');
  }
  return value.trim();
}

function parseDecimal(value: number | string): { neg: boolean; int: string; frac: string } {
  const text = decimalText(value);
  const m = DECIMAL.exec(text);
  if (!m) throw new InvalidAmountError(value, 'expected a decimal number such as 150 or "30.5"');
  return { neg: m[1] === '-', int: m[2] ?? '0', frac: m[3] ?? '' };
}

/** Parses an amount; refuses more than 8 decimals rather than silently dropping them. */
export function money(value: number | string | bigint): Money {
  if (typeof value === 'bigint') return (value * SCALE) as Money;
  const { neg, int, frac } = parseDecimal(value);
  if (frac.replace(/0+$/, '').length > MONEY_DECIMALS) {
    throw new InvalidAmountError(value, `more than ${MONEY_DECIMALS} decimals`);
  }
  const units = BigInt(int) * SCALE + BigInt(frac.padEnd(MONEY_DECIMALS, '0').slice(0, 8) || '0');
  return (neg ? -units : units) as Money;
}

/** An amount from raw 10⁻⁸ units (as stored). */
export function moneyFromUnits(units: bigint | string | number): Money {
  return BigInt(units) as Money;
}

/** The one place a float (analytics, simulation) becomes money: rounded down to 10⁻⁸. */
export function moneyFromFloat(value: number): Money {
  if (!Number.isFinite(value)) throw new InvalidAmountError(value, 'not a finite number');
  return money(value.toFixed(12).replace(/(\.\d{8})\d*$/, '$1')) as Money;
}

/** Fixed 8-decimal text, the contract's amount format: "30.00000000". */
export function formatMoney(m: Money, decimals = MONEY_DECIMALS): string {
  const neg = m < 0n;
  const abs = neg ? -m : m;
  const int = abs / SCALE;
  const frac = (abs % SCALE).toString().padStart(MONEY_DECIMALS, '0').slice(0, decimals);
  return `${neg ? '-' : ''}${int}${decimals > 0 ? `.${frac}` : ''}`;
}

/** Shortest decimal text: 30, 82.5. For people and for reasons, never for parsing back loosely. */
export function showMoney(m: Money): string {
  return formatMoney(m).replace(/\.?0+$/, '');
}

/** A float for analytics and charts only: never turn it back into money except via moneyFromFloat. */
export function toFloat(m: Money): number {
  return Number(m) / Number(SCALE);
}

export const add = (a: Money, b: Money): Money => (a + b) as Money;
export const sub = (a: Money, b: Money): Money => (a - b) as Money;
export const min = (a: Money, b: Money): Money => (a < b ? a : b);
export const max = (a: Money, b: Money): Money => (a > b ? a : b);
export const sum = (xs: Iterable<Money>): Money => {
  let s = 0n;
  for (const x of xs) s += x;
  return s as Money;
};

/** The greatest common divisor of two non-negative integers (a common denominator's step). */
export function gcd(a: bigint, b: bigint): bigint {
  return b === 0n ? a : gcd(b, a % b);
}

/** Parses a ratio such as 0.6 or "1.25" exactly. */
export function ratio(value: number | string): Ratio {
  const { neg, int, frac } = parseDecimal(value);
  if (neg) throw new InvalidAmountError(value, 'a ratio cannot be negative');
  const den = 10n ** BigInt(frac.length);
  return { num: BigInt(int) * den + BigInt(frac || '0'), den };
}

export function ratioToFloat(r: Ratio): number {
  return Number(r.num) / Number(r.den);
}

/** `m × r`, rounded down (toward zero) to 10⁻⁸: money never rounds up into existence. */
export function mulRatio(m: Money, r: Ratio): Money {
  return ((m * r.num) / r.den) as Money;
}

/** Exact comparison of `a` with `r × b`: negative, zero or positive. */
export function compareToRatioOf(a: Money, r: Ratio, b: Money): number {
  const left = a * r.den;
  const right = r.num * b;
  return left < right ? -1 : left > right ? 1 : 0;
}

/** Exact comparison of two ratios: negative, zero or positive. */
export function compareRatios(a: Ratio, b: Ratio): number {
  const l = a.num * b.den;
  const r = b.num * a.den;
  return l < r ? -1 : l > r ? 1 : 0;
}

/** Rounds down to a step of 10⁻ᵈ (an exchange's transfer precision). */
export function floorToDecimals(m: Money, decimals: number): Money {
  if (decimals >= MONEY_DECIMALS) return m;
  const step = 10n ** BigInt(MONEY_DECIMALS - decimals);
  return (m - (((m % step) + step) % step)) as Money;
}
