/**
 * An HTTP subscriber of an SNS topic on 127.0.0.1, as the cloud test's alert inbox: it confirms
 * its subscription (GET of the SubscribeURL, as a real endpoint must) and keeps every
 * notification's message and attributes.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SnsNotification {
  readonly message: string;
  readonly subject?: string;
  readonly attributes: Readonly<Record<string, string>>;
}

export interface SnsRecorder {
  readonly url: string;
  readonly notifications: readonly SnsNotification[];
  /** True once the topic's SubscriptionConfirmation was answered. */
  readonly confirmed: boolean;
  close(): Promise<void>;
}

interface Envelope {
  readonly Type?: string;
  readonly Message?: string;
  readonly Subject?: string;
  readonly SubscribeURL?: string;
  readonly MessageAttributes?: Record<string, { Type?: string; Value?: string }>;
}

export async function startSnsRecorder(): Promise<SnsRecorder> {
  const notifications: SnsNotification[] = [];
  let confirmed = false;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const envelope = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Envelope;
      if (envelope.Type === 'SubscriptionConfirmation' && envelope.SubscribeURL) {
        const answer = await fetch(envelope.SubscribeURL);
        confirmed = answer.ok;
      } else if (envelope.Type === 'Notification') {
        notifications.push({
          message: envelope.Message ?? '',
          ...(envelope.Subject !== undefined && { subject: envelope.Subject }),
          attributes: Object.fromEntries(
            Object.entries(envelope.MessageAttributes ?? {}).map(([k, v]) => [k, v.Value ?? '']),
          ),
        });
      }
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/alerts`,
    notifications,
    get confirmed() {
      return confirmed;
    },
    close: () => new Promise((ok) => server.close(() => ok())),
  };
}
