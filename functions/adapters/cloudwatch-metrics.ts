/**
 * How Botfolio's metrics appear in CloudWatch: their namespace, their one dimension and the unit
 * of each. Shared by the function side (EMF lines, functions/adapters/emf.ts) and the CDK side
 * (dashboard and alarms, lib/), so what is emitted and what is graphed cannot drift apart. No SDK
 * import: the stack and every function bundle load it.
 */
import { METRIC_NAMES, type MetricName } from '../core/metrics.ts';

/** The CloudWatch namespace every Botfolio metric is put in. */
export const METRIC_NAMESPACE = 'Botfolio';

/** The one dimension: the portfolio id (never the bot: per-bot metrics would cost the most). */
export const PORTFOLIO_DIMENSION = 'Portfolio';

/** The unit CloudWatch records for a metric: counts, the cycle's milliseconds, else none. */
export function unitOf(name: MetricName): 'Count' | 'Milliseconds' | 'None' {
  if (
    name.startsWith('Transfers') ||
    name.startsWith('AlertChannel') ||
    name === METRIC_NAMES.exchangeErrors
  ) {
    return 'Count';
  }
  // Bots by health status: gauges of how many bots, each cycle.
  if (name.startsWith('Bots')) return 'Count';
  if (name === METRIC_NAMES.cycleDuration) return 'Milliseconds';
  return 'None';
}
