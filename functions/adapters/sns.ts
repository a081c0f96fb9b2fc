/**
 * Alerts to an SNS topic. The severity travels as a message attribute: the SMS subscription's
 * filter policy keeps only `critical`, email gets everything.
 */
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { Alert } from '../core/alerts.ts';
import type { Alerter } from '../core/ports.ts';

export class SnsAlerter implements Alerter {
  constructor(
    private readonly client: SNSClient,
    private readonly topicArn: string,
  ) {}

  async send(
    alert: Alert,
    context: { portfolioId: string; cycleId?: string; transferId?: string },
  ): Promise<void> {
    const subject = `Botfolio ${context.portfolioId} ${alert.severity}: ${alert.code}${alert.botId ? ` (${alert.botId})` : alert.bots ? ` (${alert.bots.length} bots)` : alert.pool ? ` (pool ${alert.pool})` : ''}`;
    await this.client.send(
      new PublishCommand({
        TopicArn: this.topicArn,
        Subject: subject.slice(0, 100),
        Message: JSON.stringify({ ...alert, ...context }, null, 2),
        MessageAttributes: {
          severity: { DataType: 'String', StringValue: alert.severity },
          code: { DataType: 'String', StringValue: alert.code },
        },
      }),
    );
  }
}
