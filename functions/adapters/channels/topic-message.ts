/**
 * A message of the alert topic as the channels show it. Our publishers (adapters/sns.ts) send the
 * alert and its context as JSON; the stack's CloudWatch alarms send their own JSON (a state
 * change: ALARM is critical, OK and INSUFFICIENT_DATA are news); anything else is shown as it
 * came, as a warning — the subscriber never drops a message it does not understand.
 */
import * as z from 'zod';
import type { AlertContext, ChannelAlert } from '../../core/alert-text.ts';
import { SEVERITIES } from '../../core/alerts.ts';

const ourAlert = z.object({
  severity: z.enum(SEVERITIES),
  code: z.string().min(1),
  message: z.string(),
  botId: z.string().optional(),
  bots: z.array(z.string()).optional(),
  portfolioId: z.string().min(1),
  cycleId: z.string().optional(),
  transferId: z.string().optional(),
  transferStatus: z.string().optional(),
});

const alarm = z.object({
  AlarmName: z.string(),
  AlarmDescription: z.string().nullish(),
  NewStateValue: z.string(),
  NewStateReason: z.string().nullish(),
});

/** The alert in a topic message, with where it was raised (`portfolioId` when it does not say). */
export function topicMessageAlert(
  message: string,
  subject: string | undefined,
  portfolioId: string,
): { readonly alert: ChannelAlert; readonly context: AlertContext } {
  let json: unknown;
  try {
    json = JSON.parse(message);
  } catch {
    json = undefined;
  }
  const ours = ourAlert.safeParse(json);
  if (ours.success) {
    const {
      severity,
      code,
      message: text,
      botId,
      bots,
      cycleId,
      transferId,
      transferStatus,
    } = ours.data;
    return {
      alert: {
        severity,
        code,
        message: text,
        ...(botId !== undefined && { botId }),
        ...(bots !== undefined && { bots }),
      },
      context: {
        portfolioId: ours.data.portfolioId,
        ...(cycleId !== undefined && { cycleId }),
        ...(transferId !== undefined && { transferId }),
        ...(transferStatus !== undefined && { transferStatus }),
      },
    };
  }
  const a = alarm.safeParse(json);
  if (a.success) {
    const { AlarmName, AlarmDescription, NewStateValue, NewStateReason } = a.data;
    return {
      alert: {
        severity: NewStateValue === 'ALARM' ? 'critical' : 'info',
        code: `alarm ${NewStateValue}`,
        message: [AlarmDescription ?? AlarmName, NewStateReason].filter(Boolean).join('\n'),
      },
      context: { portfolioId },
    };
  }
  return {
    alert: {
      severity: 'warning',
      code: 'notification',
      message: [subject, message].filter(Boolean).join('\n'),
    },
    context: { portfolioId },
  };
}
