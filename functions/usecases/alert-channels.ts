/**
 * Alerts to the alert channels (DESIGN.md §11): each channel gets the alerts at or above its
 * floor, all channels at once, and a channel that fails is reported (logged and counted by the
 * caller's `onFailure` and the metrics) — never thrown: a chat that is down must not fail a
 * cycle, a transfer's notify step or the subscriber. In AWS the subscriber of the alert topic
 * sends (handlers/alert-channels.ts); locally `withChannels` sends right after the alert is
 * published, in the background, and `drain` waits for what is under way.
 */
import type { AlertContext, ChannelAlert } from '../core/alert-text.ts';
import { atOrAbove } from '../core/alerts.ts';
import { METRIC_NAMES, type Metrics } from '../core/metrics.ts';
import type { AlertChannel, Alerter } from '../core/ports.ts';

/** One channel that did not get an alert. */
export interface ChannelFailure {
  readonly channel: string;
  readonly alert: ChannelAlert;
  readonly error: Error;
}

/** What happened to one alert on the channels, by channel name. */
export interface ChannelReport {
  readonly delivered: readonly string[];
  /** Channels whose floor is above the alert's severity. */
  readonly skipped: readonly string[];
  readonly failed: readonly ChannelFailure[];
}

/** Sends `alert` to every channel whose floor it reaches; resolves once each has succeeded or failed. */
export async function sendToChannels(
  channels: readonly AlertChannel[],
  alert: ChannelAlert,
  context: AlertContext,
): Promise<ChannelReport> {
  const due = channels.filter((c) => atOrAbove(alert.severity, c.minSeverity));
  const results = await Promise.allSettled(due.map((c) => c.send(alert, context)));
  const delivered: string[] = [];
  const failed: ChannelFailure[] = [];
  results.forEach((r, i) => {
    const channel = due[i]?.name ?? '?';
    if (r.status === 'fulfilled') delivered.push(channel);
    else {
      const error = r.reason instanceof Error ? r.reason : new Error(String(r.reason));
      failed.push({ channel, alert, error });
    }
  });
  return {
    delivered,
    skipped: channels.filter((c) => !due.includes(c)).map((c) => c.name),
    failed,
  };
}

/** The channels' counts for the dashboard: deliveries and failures of one alert. */
export function emitChannelMetrics(
  metrics: Metrics,
  portfolioId: string,
  report: ChannelReport,
): void {
  if (report.delivered.length === 0 && report.failed.length === 0) return;
  metrics.emit(portfolioId, {
    [METRIC_NAMES.alertChannelDeliveries]: report.delivered.length,
    [METRIC_NAMES.alertChannelFailures]: report.failed.length,
  });
}

export interface ChannelsAlerter extends Alerter {
  /** Waits for every delivery under way (each ends: the deliveries are bounded in time). */
  drain(): Promise<void>;
}

/**
 * `inner` (the publish), then the channels: the send resolves once `inner` has, and the channels
 * deliver in the background. Their failures go to `onFailure` and the metrics, never to the caller.
 */
export function withChannels(
  inner: Alerter,
  channels: readonly AlertChannel[],
  report: { readonly metrics: Metrics; readonly onFailure: (failure: ChannelFailure) => void },
): ChannelsAlerter {
  const underWay = new Set<Promise<void>>();
  return {
    async send(alert, context) {
      await inner.send(alert, context);
      if (channels.length === 0) return;
      const delivery = sendToChannels(channels, alert, context)
        .then((r) => {
          emitChannelMetrics(report.metrics, context.portfolioId, r);
          for (const f of r.failed) report.onFailure(f);
        })
        // A reporter that throws is dropped too: nothing here reaches the cycle.
        .catch(() => {})
        .finally(() => underWay.delete(delivery));
      underWay.add(delivery);
    },
    async drain() {
      while (underWay.size > 0) await Promise.all([...underWay]);
    },
  };
}
