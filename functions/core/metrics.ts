/**
 * The metrics the dashboard and alarms read (DESIGN.md §9): by portfolio, never by bot — per-bot
 * numbers live in the store. The emitting code and the dashboard share these names; how they are
 * recorded (namespace, dimension, units) is the adapter's business.
 */

import type { TransferStatus } from './transfer.ts';

/** Metric names, each with what it measures. */
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
  /** Count of alerts delivered to an alert channel (Telegram, Discord, Slack, webhook). */
  alertChannelDeliveries: 'AlertChannelDeliveries',
  /** Count of alerts an alert channel did not get (after its retries). */
  alertChannelFailures: 'AlertChannelFailures',
  /** Monitored bots `running` (gauge, each cycle; DESIGN.md §11). */
  botsRunning: 'BotsRunning',
  /** Monitored bots `stale`: not heard from for 3 heartbeat intervals (gauge, each cycle). */
  botsStale: 'BotsStale',
  /** Monitored bots `stopped`, by their own say (gauge, each cycle). */
  botsStopped: 'BotsStopped',
  /** Monitored bots in `error` (gauge, each cycle). */
  botsError: 'BotsError',
} as const;

export type MetricName = (typeof METRIC_NAMES)[keyof typeof METRIC_NAMES];

/** The metric counting the transfers that end in each outcome (the notify step emits them). */
export const OUTCOME_METRICS = {
  completed: METRIC_NAMES.transfersCompleted,
  failed: METRIC_NAMES.transfersFailed,
  rejected: METRIC_NAMES.transfersRejected,
  uncertain: METRIC_NAMES.transfersUncertain,
} as const satisfies Partial<Record<TransferStatus, MetricName>>;

/** How a transfer can end, each counted by its own metric. */
export type TransferOutcome = keyof typeof OUTCOME_METRICS;

/** Where metric values go: the deployed monitoring, or nowhere (or a test's list) locally. */
export interface Metrics {
  emit(portfolioId: string, values: Partial<Record<MetricName, number>>): void;
}

/** Metrics that go nowhere. */
export const NO_METRICS: Metrics = { emit: () => {} };
