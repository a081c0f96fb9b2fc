/**
 * An alert as the chat channels show it (Telegram, Discord, Slack): a few plain lines, no markup —
 * an alert's message is our text and a bot id the trader's, and neither should be parsed as
 * Markdown or HTML. Each platform caps a message's length; a longer one is cut with a marker, so
 * the reader knows there was more (the whole alert is in the email and the logs).
 */
import type { Severity } from './alerts.ts';

/**
 * What a channel shows: an alert of ours (core/alerts.ts `Alert`), or another message of the
 * alert topic (a CloudWatch alarm's), whose code is not one of ours.
 */
export interface ChannelAlert {
  readonly severity: Severity;
  readonly code: string;
  readonly botId?: string;
  /** A digest's bots (core/alerts.ts `digestAlerts`). */
  readonly bots?: readonly string[];
  readonly message: string;
}

/** Where an alert was raised: what SNS publishers add to it (adapters/sns.ts). */
export interface AlertContext {
  readonly portfolioId: string;
  readonly cycleId?: string;
  readonly transferId?: string;
  readonly transferStatus?: string;
}

/** The marker a cut message ends with. */
export const TRUNCATION_MARKER = '… [truncated]';

const ICON: Readonly<Record<Severity, string>> = {
  critical: '🚨',
  warning: '⚠️',
  info: 'ℹ️',
};

/** The alert as lines of plain text: headline, message, then where it came from. */
export function alertText(alert: ChannelAlert, context: AlertContext): string {
  const where = [
    context.cycleId && `cycle ${context.cycleId}`,
    context.transferId &&
      `transfer ${context.transferId}${context.transferStatus ? ` (${context.transferStatus})` : ''}`,
  ].filter(Boolean);
  return [
    `${ICON[alert.severity]} ${alert.severity.toUpperCase()} ${alert.code}${alert.botId ? ` · ${alert.botId}` : alert.bots ? ` · ${alert.bots.length} bots` : ''} · portfolio ${context.portfolioId}`,
    alert.message,
    ...(where.length > 0 ? [where.join(' · ')] : []),
  ].join('\n');
}

/**
 * `text` cut to at most `limit` UTF-16 code units (how JavaScript, Telegram and Discord count),
 * ending with TRUNCATION_MARKER when cut; never splitting a surrogate pair.
 */
export function truncate(text: string, limit: number): string {
  if (text.length <= limit) return text;
  let end = Math.max(0, limit - TRUNCATION_MARKER.length);
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1; // a high surrogate without its pair
  return `${text.slice(0, end)}${TRUNCATION_MARKER}`;
}
