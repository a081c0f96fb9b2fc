/**
 * How a transfer's end reaches the trader and the dashboard: the alert that tells it (info on
 * success, critical when money may be stuck) and the outcome counts among the metrics.
 */
import { alert } from '../core/alerts.ts';
import type { Config } from '../core/config.ts';
import {
  METRIC_NAMES,
  type Metrics,
  OUTCOME_METRICS,
  type TransferOutcome,
} from '../core/metrics.ts';
import { showMoney, toFloat } from '../core/money.ts';
import type { Alerter } from '../core/ports.ts';
import type { JournalEntry } from '../core/transfer.ts';

/** Counts the transfer's outcome, and the amount harvested or refilled by a completed one. */
export function countOutcome(metrics: Metrics, entry: JournalEntry): void {
  if (!(entry.status in OUTCOME_METRICS)) return;
  const amount = toFloat(entry.amount);
  metrics.emit(entry.portfolioId, {
    [OUTCOME_METRICS[entry.status as TransferOutcome]]: 1,
    ...(entry.status === 'completed' &&
      entry.kind === 'harvest' && { [METRIC_NAMES.harvestedAmount]: amount }),
    ...(entry.status === 'completed' &&
      entry.kind === 'refill' && { [METRIC_NAMES.refilledAmount]: amount }),
  });
}

/** The alert that tells how a transfer ended (or that its outcome is not known yet). */
export async function announce(
  deps: { readonly alerter: Alerter; readonly config: Pick<Config, 'currency'> },
  entry: JournalEntry,
): Promise<void> {
  const context = {
    portfolioId: entry.portfolioId,
    cycleId: entry.cycleId,
    transferId: entry.id,
    transferStatus: entry.status,
  };
  const what = `${entry.kind} of ${showMoney(entry.amount)} ${deps.config.currency} ${entry.from} → ${entry.to}`;
  if (entry.status === 'completed') {
    await deps.alerter.send(
      alert(entry.kind, `${what} completed (${entry.reason})`, entry.botId),
      context,
    );
  } else if (entry.status === 'failed' || entry.status === 'uncertain') {
    const detail =
      entry.status === 'failed'
        ? 'failed, nothing moved'
        : 'outcome unknown, reconciliation will settle it';
    await deps.alerter.send(
      alert('transfer_failed', `${what} ${detail}: ${entry.error ?? ''}`, entry.botId),
      context,
    );
  } else if (entry.status === 'rejected') {
    await deps.alerter.send(
      alert('transfer_rejected', `${what} refused: ${entry.error ?? ''}`, entry.botId),
      context,
    );
  }
}
