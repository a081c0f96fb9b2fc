/**
 * What every exchange adapter needs to read an answer: exact money from the exchange's decimal
 * text, an account's equity as a reading that is unknown (with why) rather than zero when the
 * value is missing, negative or not an amount (DESIGN.md §3, "Unknown is not zero"), and a zod
 * check whose failure is a BadResponse in ccxt's terms (the caller maps it like any unreadable
 * answer).
 */
import * as z from 'zod';
import { MONEY_DECIMALS, type Money, money, ZERO } from '../../core/money.ts';
import type { BalanceReading } from '../../core/ports.ts';
import { known, unknown } from '../../core/readings.ts';
import { ccxtErrors } from './ccxt-errors.ts';

/**
 * Exact money from an exchange's decimal text (or a JSON number), floored to 10⁻⁸: amounts with
 * more decimals than our unit (futures equity) are cut toward minus infinity, so money never
 * rounds up into existence.
 */
export function exchangeDecimal(value: string | number): Money {
  const text = typeof value === 'number' ? numberText(value) : value.trim();
  const m = /^(-?)(\d+)(?:\.(\d*))?$/.exec(text);
  if (!m) throw new RangeError(`not a decimal amount: ${JSON.stringify(value)}`);
  const [, sign = '', int = '0', frac = ''] = m;
  const kept = money(`${sign}${int}.${frac.slice(0, MONEY_DECIMALS) || '0'}`);
  // Truncation rounded a negative amount up: take one more unit off.
  const cut = /[1-9]/.test(frac.slice(MONEY_DECIMALS));
  return (sign === '-' && cut ? kept - 1n : kept) as Money;
}

function numberText(n: number): string {
  if (!Number.isFinite(n)) throw new RangeError(`not a finite amount: ${n}`);
  const text = String(n);
  return text.includes('e') ? n.toFixed(20) : text;
}

/** A decimal field: exact money, or a schema issue naming the value. */
export const decimal = z.union([z.string(), z.number()]).transform((v, ctx) => {
  try {
    return exchangeDecimal(v);
  } catch (e) {
    ctx.issues.push({ code: 'custom', input: v, message: (e as Error).message });
    return z.NEVER;
  }
});
/** A decimal field an exchange may leave out: zero. For parts of a sum only, never an equity. */
export const optionalDecimal = decimal.nullish().transform((m) => m ?? ZERO);
/** An id the exchange sends as a string or a number. */
export const id = z.union([z.string(), z.number()]).transform(String);

/**
 * An account's equity as read: known when the value is a finite, non-negative amount, else
 * unknown with what the exchange gave. `what` names the value ("futures equity").
 */
export function equityReading(value: unknown, what: string, venue: string): BalanceReading {
  const shown = JSON.stringify(value) ?? String(value);
  if (typeof value !== 'string' && typeof value !== 'number') {
    return unknown(`${what} is ${shown} in ${venue}'s answer`);
  }
  let amount: Money;
  try {
    amount = exchangeDecimal(value);
  } catch {
    return unknown(`${what} ${shown} is not an amount`);
  }
  return amount < 0n ? unknown(`${what} ${shown} is negative`) : known(amount);
}

/** `value` checked against `schema`; BadResponse naming where it does not fit. */
export function checked<T extends z.ZodType>(value: unknown, schema: T, what: string): z.output<T> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ccxtErrors.BadResponse(
      `${what}: unexpected answer at ${issue?.path.join('.') || 'data'}: ${issue?.message ?? ''}`,
    );
  }
  return parsed.data;
}
