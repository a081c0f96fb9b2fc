/**
 * A backtest's cycles as series, for the pictures of it (the HTML report, report-data.ts): the
 * portfolio's equity as the market left it, each reserve and each bot's balance and capital base
 * after the cycle's transfers, and whether the portfolio ended the cycle halted. Kept only when
 * asked (`backtest(…, { series: true })`): one double per cycle and account, in the currency.
 */
import type { Config } from './config.ts';
import type { Money } from './money.ts';

export interface BacktestSeries {
  /** The cycles' times (the curves' rows). */
  readonly times: readonly string[];
  /** Portfolio equity each cycle, before its transfers (as the backtest's drawdown counts it). */
  readonly equity: Float64Array;
  /** Each reserve's balance after each cycle. */
  readonly reserves: ReadonlyMap<string, Float64Array>;
  /** Each bot's balance after each cycle (NaN while not funded), in config order. */
  readonly balances: ReadonlyMap<string, Float64Array>;
  /** Each bot's capital base after each cycle (NaN while not funded). */
  readonly capitalBases: ReadonlyMap<string, Float64Array>;
  /** 1 where the portfolio ended the cycle halted. */
  readonly halted: Uint8Array;
}

const UNITS = 1e8;

/** Fills a BacktestSeries cycle by cycle. */
export class SeriesRecorder {
  readonly #times: readonly string[];
  readonly #equity: Float64Array;
  readonly #reserves = new Map<string, Float64Array>();
  readonly #balances: Map<string, Float64Array>;
  readonly #bases: Map<string, Float64Array>;
  readonly #halted: Uint8Array;
  readonly #ids: readonly string[];

  constructor(config: Config, times: readonly string[]) {
    this.#times = times;
    const n = times.length;
    const empty = () => new Float64Array(n).fill(Number.NaN);
    this.#ids = config.bots.map((b) => b.botId);
    this.#equity = empty();
    this.#balances = new Map(this.#ids.map((id) => [id, empty()]));
    this.#bases = new Map(this.#ids.map((id) => [id, empty()]));
    this.#halted = new Uint8Array(n);
  }

  /**
   * Cycle `i`: equity (10⁻⁸ units), the reserves after it, and bot `k`'s balance and capital base
   * (10⁻⁸ units; undefined while not funded).
   */
  cycle(
    i: number,
    equity: number,
    reserves: ReadonlyMap<string, Money>,
    bot: (k: number) => readonly [number, number] | undefined,
    halted: boolean,
  ): void {
    this.#equity[i] = equity / UNITS;
    for (const [name, amount] of reserves) {
      let column = this.#reserves.get(name);
      if (!column) {
        column = new Float64Array(this.#times.length).fill(Number.NaN);
        this.#reserves.set(name, column);
      }
      column[i] = Number(amount) / UNITS;
    }
    this.#ids.forEach((id, k) => {
      const b = bot(k);
      if (!b) return;
      (this.#balances.get(id) as Float64Array)[i] = b[0] / UNITS;
      (this.#bases.get(id) as Float64Array)[i] = b[1] / UNITS;
    });
    this.#halted[i] = halted ? 1 : 0;
  }

  series(): BacktestSeries {
    return {
      times: this.#times,
      equity: this.#equity,
      reserves: this.#reserves,
      balances: this.#balances,
      capitalBases: this.#bases,
      halted: this.#halted,
    };
  }
}
