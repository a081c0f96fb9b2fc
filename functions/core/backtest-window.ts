/**
 * A backtest's per-bot memory of the recent past, kept in fixed rings so that a cycle costs the
 * same in its first week as in its last year (the old replay re-read every bot's whole history
 * each cycle). Two rings:
 *
 * - `ReturnWindows`: each bot's last ALERT_HISTORY_SAMPLES flow-adjusted cycle returns — exactly
 *   the returns a cycle's plan computes from its history for `unusual_loss` and
 *   `performance_degraded` — with rolling sums that tell, in O(1), whether either alert could fire
 *   (`mayAlert`). Only then are the real returns handed to the policy's own `returnAlerts`.
 *   The screen errs on the side of asking: its tolerances are far wider than the sums' float error.
 * - `SampleRings`: each bot's last samples (balance and net contribution, by cycle), from which
 *   the history a plan reads is rebuilt on the cycles that are planned.
 */
import {
  ALERT_HISTORY_SAMPLES,
  DEGRADED_WINDOW,
  type EquitySample,
  FLAT,
  UNUSUAL_LOSS_MIN_SAMPLES,
  UNUSUAL_LOSS_Z,
} from './analytics.ts';
import type { Money } from './money.ts';

/** Periods in the window a plan judges (its history's samples and this cycle's). */
const PERIODS = ALERT_HISTORY_SAMPLES;
/** A power of two above the window: the period leaving it is still readable, indices are masks. */
const RING = 64;
const MASK = RING - 1;
const W = DEGRADED_WINDOW;
/** Pushes between exact recounts of a bot's rolling sums (a power of two: the test is a mask). */
const RECOUNT = 1024;
/** Tolerance of the screen's means and deviations: float error of the rolling sums is ~1e-15. */
const TOL = 1e-11;
const MIN_RETURNS = UNUSUAL_LOSS_MIN_SAMPLES + 1;
const Z = UNUSUAL_LOSS_Z;
const FLAT_LOW = -FLAT + TOL;
const FLAT_HIGH = FLAT - TOL;

if (PERIODS >= RING) throw new RangeError('the return window outgrew its ring');

export class ReturnWindows {
  /** Bot k's return of period t at k × RING + (t & MASK); skipped periods hold 0 and valid 0. */
  readonly #x: Float64Array;
  readonly #valid: Uint8Array;
  /** Periods seen per bot since it was funded. */
  readonly #periods: Int32Array;
  /** Σ of the last W returns and of the W before them, now and one period ago. */
  readonly #recent: Float64Array;
  readonly #before: Float64Array;
  readonly #recentPrev: Float64Array;
  readonly #beforePrev: Float64Array;
  /** Σ of the squares over the window, and its skipped periods. */
  readonly #squares: Float64Array;
  readonly #skipped: Int32Array;
  /**
   * `returns`' array, kept: a window per flagged bot-cycle would be garbage for the collector.
   * Made from a double so that it holds unboxed doubles from the start.
   */
  readonly #scratch: number[] = [0.5];

  constructor(bots: number) {
    this.#x = new Float64Array(bots * RING);
    this.#valid = new Uint8Array(bots * RING);
    this.#periods = new Int32Array(bots);
    this.#recent = new Float64Array(bots);
    this.#before = new Float64Array(bots);
    this.#recentPrev = new Float64Array(bots);
    this.#beforePrev = new Float64Array(bots);
    this.#squares = new Float64Array(bots);
    this.#skipped = new Int32Array(bots);
  }

  /** Bot `k`'s return of this cycle's period (undefined: it started from a zero balance). */
  push(k: number, r: number | undefined): void {
    const t = this.#periods[k] as number;
    const base = k * RING;
    const xs = this.#x;
    const valid = this.#valid;
    const x = r === undefined ? 0 : r;
    xs[base + (t & MASK)] = x;
    valid[base + (t & MASK)] = r === undefined ? 0 : 1;
    this.#periods[k] = t + 1;
    if (((t + 1) & (RECOUNT - 1)) === 0) {
      this.#recount(k, t);
      return;
    }
    const recent = this.#recent[k] as number;
    const before = this.#before[k] as number;
    this.#recentPrev[k] = recent;
    this.#beforePrev[k] = before;
    const out = t >= W ? (xs[base + ((t - W) & MASK)] as number) : 0;
    const gone = t >= 2 * W ? (xs[base + ((t - 2 * W) & MASK)] as number) : 0;
    this.#recent[k] = recent + x - out;
    this.#before[k] = before + out - gone;
    let squares = (this.#squares[k] as number) + x * x;
    let skipped = (this.#skipped[k] as number) + (r === undefined ? 1 : 0);
    if (t >= PERIODS) {
      const i = base + ((t - PERIODS) & MASK);
      const leaving = xs[i] as number;
      squares -= leaving * leaving;
      skipped -= 1 - (valid[i] as number);
    }
    this.#squares[k] = squares;
    this.#skipped[k] = skipped;
  }

  /** The sums recomputed from the ring (bounds their drift), `t` the period just pushed. */
  #recount(k: number, t: number): void {
    const base = k * RING;
    const at = (j: number) => (j < 0 ? 0 : (this.#x[base + (j & MASK)] as number));
    let recent = 0;
    let before = 0;
    let recentPrev = 0;
    let beforePrev = 0;
    for (let j = 0; j < W; j++) {
      recent += at(t - j);
      before += at(t - W - j);
      recentPrev += at(t - 1 - j);
      beforePrev += at(t - 1 - W - j);
    }
    let squares = 0;
    let skipped = 0;
    for (let j = Math.max(0, t - PERIODS + 1); j <= t; j++) {
      squares += at(j) ** 2;
      skipped += 1 - (this.#valid[base + (j & MASK)] as number);
    }
    this.#recent[k] = recent;
    this.#before[k] = before;
    this.#recentPrev[k] = recentPrev;
    this.#beforePrev[k] = beforePrev;
    this.#squares[k] = squares;
    this.#skipped[k] = skipped;
  }

  /**
   * Whether `returnAlerts` could find an unusual loss or a degradation in bot `k`'s window now.
   * False only when neither can: with fewer periods than a full window, or a skipped period in
   * it, the answer is yes whenever there are enough returns for either alert.
   */
  mayAlert(k: number): boolean {
    const seen = this.#periods[k] as number;
    const periods = seen < PERIODS ? seen : PERIODS;
    const skipped = this.#skipped[k] as number;
    if (periods - skipped < MIN_RETURNS) return false;
    if (periods < PERIODS || skipped > 0) return true;
    const recent = (this.#recent[k] as number) / W;
    const before = (this.#before[k] as number) / W;
    // performance_degraded: the recent window's mean turns negative after a positive one.
    if (recent < FLAT_LOW && before > FLAT_HIGH) {
      const wasRecent = (this.#recentPrev[k] as number) / W;
      const wasBefore = (this.#beforePrev[k] as number) / W;
      if (!(wasRecent < -FLAT - TOL && wasBefore > FLAT + TOL)) return true;
    }
    const t = seen - 1;
    const base = k * RING;
    const r = this.#x[base + (t & MASK)] as number;
    if (r >= 0) return false;
    // unusual_loss: r more than Z deviations below the mean of the PERIODS − 1 returns before it.
    const n = PERIODS - 1;
    const sum =
      (this.#recent[k] as number) +
      (this.#before[k] as number) +
      (this.#x[base + ((t - 2 * W) & MASK)] as number) -
      r;
    const mean = sum / n;
    const variance = ((this.#squares[k] as number) - r * r - sum * mean) / (n - 1);
    const sd = Math.sqrt(variance > 0 ? variance : 0);
    return r - mean < -Z * sd + TOL + 1e-6 * sd + 1e-8 * Math.abs(mean);
  }

  /**
   * Bot `k`'s returns of the window, oldest first, skipped periods left out (as the plan has them),
   * in one array that the next call overwrites: read it before asking again.
   */
  returns(k: number): readonly number[] {
    const end = this.#periods[k] as number;
    const base = k * RING;
    const out = this.#scratch;
    let m = 0;
    for (let t = Math.max(0, end - PERIODS); t < end; t++) {
      if (this.#valid[base + (t & MASK)]) out[m++] = this.#x[base + (t & MASK)] as number;
    }
    out.length = m;
    return out;
  }
}

/**
 * Each bot's last `capacity` samples, by cycle (every funded bot is sampled on every cycle), as
 * exact integers of 10⁻⁸ units in doubles; `history` gives them back as the plan reads them.
 */
export class SampleRings {
  readonly #capacity: number;
  readonly #balance: Float64Array;
  readonly #net: Float64Array;
  readonly #first: Int32Array;

  constructor(bots: number, capacity: number) {
    this.#capacity = capacity;
    this.#balance = new Float64Array(bots * capacity);
    this.#net = new Float64Array(bots * capacity);
    this.#first = new Int32Array(bots).fill(-1);
  }

  /** The ring slot of `cycle`: computed once per cycle, then handed to `put` for every bot. */
  slot(cycle: number): number {
    return cycle % this.#capacity;
  }

  put(k: number, cycle: number, slot: number, balance: number, net: number): void {
    if ((this.#first[k] as number) < 0) this.#first[k] = cycle;
    const i = k * this.#capacity + slot;
    this.#balance[i] = balance;
    this.#net[i] = net;
  }

  /** Bot `k`'s samples of the `count` cycles before `cycle` (those it has), oldest first. */
  history(k: number, cycle: number, count: number, times: readonly string[]): EquitySample[] {
    const first = this.#first[k] as number;
    const out: EquitySample[] = [];
    if (first < 0) return out;
    for (let c = Math.max(first, cycle - count, cycle - this.#capacity + 1); c < cycle; c++) {
      const i = k * this.#capacity + (c % this.#capacity);
      out.push({
        at: times[c] ?? '',
        balance: BigInt(this.#balance[i] ?? 0) as Money,
        netContributed: BigInt(this.#net[i] ?? 0) as Money,
      });
    }
    return out;
  }
}
