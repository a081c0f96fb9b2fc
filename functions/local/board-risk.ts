/**
 * The board's risk lines (DESIGN.md §11): total exposure against `risk.max_total_exposure` — a
 * lower bound, named as such with the bots it misses, when a position is unknown — the bots above
 * `risk.max_bot_leverage`, and each pool's average correlation where it is known.
 */
import { styleText } from 'node:util';
import type { Config } from '../core/config.ts';
import type { PoolCorrelation } from '../core/correlation.ts';
import { type RiskView, riskAlerts, showTimes } from '../core/exposure.ts';
import { floorToDecimals, formatMoney } from '../core/money.ts';
import { showRatio } from '../core/policy-amounts.ts';

/** `Exposure 1.85× equity (limit 3×) · Σ notional 1850.00 USDT, 4 of 4 bots known`. */
export function exposureText(config: Pick<Config, 'risk' | 'currency'>, risk: RiskView): string {
  const e = risk.exposure;
  const limit = config.risk.maxTotalExposure;
  const all = e.knownBots.length + e.unknownBots.length;
  const partial = e.unknownBots.length > 0;
  const over = riskAlerts(config, risk);
  const exposureHigh = over.some((a) => a.code === 'exposure_high');
  const noneKnown = all > 0 && e.knownBots.length === 0;
  const figure =
    all === 0
      ? 'no bot funded'
      : noneKnown
        ? `unknown: no bot's positions are readable (0 of ${all} known)`
        : e.ratio === undefined
          ? 'unknown (the equity is unknown)'
          : `${partial ? '≥ ' : ''}${showTimes(e.ratio)} equity`;
  const text = [
    `Exposure ${exposureHigh ? styleText(['bold', 'red'], `${figure} ABOVE LIMIT`) : figure}`,
    limit === undefined ? '(no limit)' : `(limit ${showRatio(limit)}×)`,
    ...(all === 0 || noneKnown
      ? []
      : [
          `· Σ notional ${formatMoney(floorToDecimals(e.notional, 2), 2)} ${config.currency}, ${e.knownBots.length} of ${all} bots known`,
        ]),
    ...(partial && !noneKnown
      ? [styleText('yellow', `· partial: unknown ${shortList(e.unknownBots)}`)]
      : []),
  ].join(' ');
  const levered = over
    .filter((a) => a.code === 'bot_leverage_high' && a.botId !== undefined)
    .map((a) => {
      const r = risk.bots.get(a.botId ?? '');
      return `${a.botId} ${r?.known && r.leverage ? showTimes(r.leverage) : 'unbounded'}`;
    });
  const maxLev = config.risk.maxBotLeverage;
  return levered.length === 0 || maxLev === undefined
    ? text
    : `${text}\n${styleText('red', `Leverage above ${showRatio(maxLev)}×: ${levered.join(', ')}`)}`;
}

/** The first few names, then how many more (`status --json` lists them all). */
function shortList(names: readonly string[], shown = 5): string {
  return names.length <= shown
    ? names.join(', ')
    : `${names.slice(0, shown).join(', ')} and ${names.length - shown} more`;
}

/** `Correlation low_frequency 0.42 (1 of 1 pairs) · high_frequency unknown`. */
export function correlationText(correlations: readonly PoolCorrelation[]): string {
  const pools = correlations.map((c) =>
    c.average === undefined
      ? `${c.pool} unknown`
      : `${c.pool} ${c.average.toFixed(2)} (${c.knownPairs} of ${c.pairs} pairs)`,
  );
  return `Correlation ${pools.length === 0 ? 'no pools' : pools.join(' · ')}`;
}
