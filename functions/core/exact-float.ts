/**
 * Exact integer arithmetic on doubles, for the backtest's inner loop: a balance in 10⁻⁸ units
 * moved by its curve, ⌊B × now ÷ before⌋, is the same integer bigint division gives, without a
 * bigint allocated per bot and cycle. Every operand and the result must be safe integers
 * (|x| ≤ 2⁵³ − 1, about 90 million in the currency); `mulDivFloor` returns NaN otherwise and the
 * caller falls back to bigint.
 *
 * The product is carried exactly as two doubles (Dekker's two-product, Veltkamp's split), the
 * quotient estimated in floating point (within one of the truth) and corrected with the exact
 * remainder.
 */

const SPLIT = 134_217_729; // 2^27 + 1

/** a × b as p + e exactly (p the rounded product). */
function twoProduct(a: number, b: number): [number, number] {
  const p = a * b;
  const ca = SPLIT * a;
  const ah = ca - (ca - a);
  const al = a - ah;
  const cb = SPLIT * b;
  const bh = cb - (cb - b);
  const bl = b - bh;
  return [p, al * bl - (p - ah * bh - al * bh - ah * bl)];
}

/** ⌊a × b ÷ d⌋ for safe integers a, b ≥ 0 and d > 0, exactly; NaN when the result is not a safe integer. */
export function mulDivFloor(a: number, b: number, d: number): number {
  const [p, e] = twoProduct(a, b);
  let q = Math.floor(p / d);
  if (!Number.isSafeInteger(q)) return Number.NaN;
  // remainder = a·b − q·d, exact: p and q·d agree to within a few d (Sterbenz), the error terms are small integers.
  for (let tries = 0; tries < 4; tries++) {
    const [p2, e2] = twoProduct(q, d);
    const rem = p - p2 + (e - e2);
    if (rem < 0) q -= 1;
    else if (rem >= d) q += 1;
    else return q;
  }
  return Number.NaN;
}
