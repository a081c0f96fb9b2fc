/**
 * The AWS APIs a Lambda of the stack calls besides DynamoDB (dynalite stands in for that), on one
 * local port for the real SDK clients (`AWS_ENDPOINT_URL_SECRETS_MANAGER`, `…_SNS`, `…_SFN`):
 * Secrets Manager's GetSecretValue (JSON 1.1) answers one secret, SNS Publish (query protocol)
 * and Step Functions' StartExecution (JSON 1.0) are recorded.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface AwsStandIn {
  readonly url: string;
  /** What it was asked: secret reads, each SNS Publish's parameters, each execution started. */
  readonly asked: {
    secretReads: number;
    readonly published: URLSearchParams[];
    readonly started: { readonly stateMachineArn: string; readonly name: string; input: string }[];
  };
  close(): Promise<void>;
}

export async function startAwsStandIn(secret: {
  readonly arn: string;
  readonly name: string;
  readonly value: Readonly<Record<string, string>>;
}): Promise<AwsStandIn> {
  const asked: AwsStandIn['asked'] = { secretReads: 0, published: [], started: [] };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const target = req.headers['x-amz-target'];
      if (target === 'secretsmanager.GetSecretValue') {
        asked.secretReads++;
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(
          JSON.stringify({
            ARN: secret.arn,
            Name: secret.name,
            SecretString: JSON.stringify(secret.value),
          }),
        );
        return;
      }
      if (target === 'AWSStepFunctions.StartExecution') {
        const started = JSON.parse(body) as AwsStandIn['asked']['started'][number];
        asked.started.push(started);
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
        res.end(
          JSON.stringify({
            executionArn: `${started.stateMachineArn.replace(':stateMachine:', ':execution:')}:${started.name}`,
            startDate: Date.now() / 1000,
          }),
        );
        return;
      }
      const params = new URLSearchParams(body);
      if (params.get('Action') === 'Publish') {
        asked.published.push(params);
        res.writeHead(200, { 'content-type': 'text/xml' });
        res.end(
          '<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>m-1</MessageId></PublishResult><ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></PublishResponse>',
        );
        return;
      }
      res.writeHead(400).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    asked,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
