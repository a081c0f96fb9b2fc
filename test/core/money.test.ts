import { describe, expect, it } from 'vitest';
import {
  compareRatios,
  compareToRatioOf,
  floorToDecimals,
  formatMoney,
  InvalidAmountError,
  type Money,
  money,
  moneyFromFloat,
  moneyFromUnits,
  mulRatio,
  ratio,
  showMoney,
} from '../../functions/core/money.ts';

describe('money', () => {
  it('parses numbers and decimal strings into exact 10⁻⁸ units', () => {
    expect(money(150)).toBe(15_000_000_000n);
    expect(money('30.5')).toBe(3_050_000_000n);
    expect(money('0.00000001')).toBe(1n);
    expect(money(0.1)).toBe(10_000_000n);
    expect(money(' 82.5 ')).toBe(8_250_000_000n);
    expect(money('-2.5')).toBe(-250_000_000n);
  });

  it('reads JSON numbers written with an exponent', () => {
    expect(money(1e-7)).toBe(10n);
    expect(money(5e-8)).toBe(5n);
  });

  it('refuses more than 8 decimals rather than dropping them', () => {
    expect(() => money('0.000000001')).toThrow(InvalidAmountError);
    expect(() => money('1.123456789')).toThrow(/more than 8 decimals/);
    expect(() => money(1e-9)).toThrow(InvalidAmountError);
  });

  it('accepts trailing zeros beyond 8 decimals, which change nothing', () => {
    expect(money('1.0000000000')).toBe(100_000_000n);
  });

  it('refuses what is not a decimal number', () => {
    for (const bad of ['abc', '', '1e3', '1,5', '.5', '1.', '+1', Number.NaN, Infinity]) {
      expect(() => money(bad), String(bad)).toThrow(InvalidAmountError);
    }
  });

  it('formats with 8 decimals for the contract and shortest for people', () => {
    expect(formatMoney(money(30))).toBe('30.00000000');
    expect(formatMoney(money('82.5'))).toBe('82.50000000');
    expect(formatMoney(money('-0.5'))).toBe('-0.50000000');
    expect(showMoney(money(30))).toBe('30');
    expect(showMoney(money(100))).toBe('100');
    expect(showMoney(money('82.5'))).toBe('82.5');
    expect(showMoney(money(0))).toBe('0');
    expect(showMoney(moneyFromUnits(1n))).toBe('0.00000001');
  });

  it('round-trips every amount through its 8-decimal text', () => {
    for (const units of [0n, 1n, 99_999_999n, 100_000_000n, 123_456_789_012_345n]) {
      const m = moneyFromUnits(units);
      expect(money(formatMoney(m))).toBe(m);
      expect(money(showMoney(m))).toBe(m);
    }
  });
});

describe('rounding down', () => {
  it('rounds a product with a ratio down, never up', () => {
    expect(mulRatio(money(50), ratio(0.6))).toBe(money(30));
    expect(mulRatio(moneyFromUnits(1n), ratio(0.6))).toBe(0n);
    expect(mulRatio(moneyFromUnits(5n), ratio('0.99999999'))).toBe(4n);
    expect(mulRatio(money('49.99999999'), ratio(0.6))).toBe(money('29.99999999'));
  });

  it('rounds down to an exchange precision', () => {
    expect(floorToDecimals(money('29.99999999'), 2)).toBe(money('29.99'));
    expect(floorToDecimals(money('29.999'), 0)).toBe(money(29));
    expect(floorToDecimals(money('30'), 0)).toBe(money(30));
    expect(floorToDecimals(money('0.12345678'), 8)).toBe(money('0.12345678'));
  });

  it('turns a float into money only by rounding down', () => {
    expect(moneyFromFloat(0.123456789)).toBe(money('0.12345678'));
    expect(moneyFromFloat(0.1 + 0.2)).toBe(money('0.3'));
    expect(() => moneyFromFloat(Number.NaN)).toThrow(InvalidAmountError);
  });
});

describe('exact threshold comparisons', () => {
  const C = money(150);
  it('sees 187.5 as exactly 1.25 × 150, and one unit either side as below or above', () => {
    expect(compareToRatioOf(money('187.5'), ratio(1.25), C)).toBe(0);
    expect(compareToRatioOf(money('187.49999999'), ratio(1.25), C)).toBe(-1);
    expect(compareToRatioOf(money('187.50000001'), ratio(1.25), C)).toBe(1);
  });

  it('compares where floats would not: 0.1 + 0.2 against 0.3', () => {
    const third = ratio('0.3');
    expect(compareToRatioOf(money('0.3'), third, money(1))).toBe(0);
    expect(compareRatios(ratio('0.30000000000000004'), third)).toBe(1);
  });

  it('parses ratios exactly and refuses negative ones', () => {
    expect(ratio('1.25')).toEqual({ num: 125n, den: 100n });
    expect(ratio(0.6)).toEqual({ num: 6n, den: 10n });
    expect(() => ratio(-0.1)).toThrow(InvalidAmountError);
  });
});

// A compile-time check: a plain bigint is not money.
// @ts-expect-error money is branded
const _notMoney: Money = 5n;
void _notMoney;
