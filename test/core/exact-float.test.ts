/** Exact ⌊a × b ÷ d⌋ on doubles: the bigint answer, or NaN beyond safe integers. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mulDivFloor } from '../../functions/core/exact-float.ts';

const MAX = 2n ** 53n - 1n;

describe('mulDivFloor', () => {
  it('gives the bigint quotient of any safe integers, or NaN when it is not safe', () => {
    const safe = fc.bigInt({ min: 0n, max: MAX });
    fc.assert(
      fc.property(safe, safe, fc.bigInt({ min: 1n, max: MAX }), (a, b, d) => {
        const q = (a * b) / d;
        const got = mulDivFloor(Number(a), Number(b), Number(d));
        if (q <= MAX) expect(got).toBe(Number(q));
        else expect(got).toBeNaN();
      }),
      { numRuns: 20_000 },
    );
  });

  it('is exact where a balance moves by a curve: quotients one unit from a rounding', () => {
    const level = fc.bigInt({ min: 10n ** 9n, max: 10n ** 13n });
    fc.assert(
      fc.property(level, level, fc.bigInt({ min: 1n, max: 10n }), (a, b, step) => {
        const d = b + step;
        expect(mulDivFloor(Number(a), Number(b), Number(d))).toBe(Number((a * b) / d));
      }),
      { numRuns: 20_000 },
    );
  });
});
