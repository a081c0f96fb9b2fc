/**
 * The custom metrics the dashboard and alarms read (DESIGN.md §9): by portfolio, never by bot —
 * per-bot numbers live in DynamoDB. The emitting code and the CDK dashboard share these names.
 */

/** The CloudWatch namespace every Botfolio metric is put in (the functions' IAM condition). */
export const METRIC_NAMESPACE = 'Botfolio';

/** The one dimension: the portfolio id. */
export const PORTFOLIO_DIMENSION = 'Portfolio';

/** Metric names, with the unit each is emitted in. */
export const METRIC_NAMES = {
  /** Σ bot balances + Σ reserves, in the portfolio currency (gauge, each cycle). */
  equity: 'Equity',
  /** Σ reserves (emergency and pools), in the portfolio currency (gauge, each cycle). */
  reserveTotal: 'ReserveTotal',
  /** Σ B / Σ C over funded, enabled bots (gauge, each cycle; 1 = all capital intact). */
  deployedRatio: 'DeployedRatio',
  /** Amount harvested by completed transfers, in the portfolio currency. */
  harvestedAmount: 'HarvestedAmount',
  /** Amount refilled by completed transfers, in the portfolio currency. */
  refilledAmount: 'RefilledAmount',
  /** Count of transfers that reached `completed`. */
  transfersCompleted: 'TransfersCompleted',
  /** Count of transfers that ended `failed`. */
  transfersFailed: 'TransfersFailed',
  /** Count of transfers `rejected` before submit (nothing moved). */
  transfersRejected: 'TransfersRejected',
  /** Count of transfers left `uncertain` (settled later by reconciliation). */
  transfersUncertain: 'TransfersUncertain',
  /** Count of exchange calls that failed (any error type). */
  exchangeErrors: 'ExchangeErrors',
  /** A cycle's wall-clock duration, in milliseconds. */
  cycleDuration: 'CycleDuration',
} as const;

export type MetricName = (typeof METRIC_NAMES)[keyof typeof METRIC_NAMES];

/** Where metric values go: CloudWatch (EMF log lines) in AWS, nowhere or a test's list locally. */
export interface Metrics {
  emit(portfolioId: string, values: Partial<Record<MetricName, number>>): void;
}

export const NO_METRICS: Metrics = { emit: () => {} };

/** The unit CloudWatch records for a metric. */
export function unitOf(name: MetricName): 'Count' | 'Milliseconds' | 'None' {
  if (name.startsWith('Transfers') || name === METRIC_NAMES.exchangeErrors) return 'Count';
  if (name === METRIC_NAMES.cycleDuration) return 'Milliseconds';
  return 'None';
}
