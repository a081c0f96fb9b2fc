/**
 * Where alerts go (DESIGN.md §3, §9, §11): one SNS topic, encrypted with a key of the stack's, with
 * email subscriptions for every alert and SMS subscriptions for critical ones only (the alert
 * channels' subscriber, lib/alert-channels.ts, is one more subscription). Publishers set
 * the message attribute `severity` (info | warning | critical); the SMS filter reads it.
 */
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { METRIC_NAMES } from '../functions/core/metrics.ts';
import { portfolioMetric } from './portfolio-metric.ts';

/** The message attribute that carries an alert's severity, and the value SMS receives. */
export const SEVERITY_ATTRIBUTE = 'severity';
export const SMS_SEVERITY = 'critical';

export interface AlertsProps {
  /** The portfolio, shown in the topic's display name. */
  readonly portfolioId: string;
  /** Addresses that receive every alert (each confirms by email). @default - none */
  readonly emails?: readonly string[];
  /** Phone numbers (E.164, e.g. +4917612345678) that receive critical alerts. @default - none */
  readonly smsNumbers?: readonly string[];
}

export class Alerts extends Construct {
  readonly topic: sns.ITopic;
  /** The topic's key (rotated yearly). */
  readonly key: kms.IKey;
  /** The topic in `ALERT_TOPIC_ARN`: where a function granted `grantPublish` sends alerts. */
  readonly environment: Readonly<Record<string, string>>;

  readonly #portfolioId: string;

  constructor(scope: Construct, id: string, props: AlertsProps) {
    super(scope, id);
    this.#portfolioId = props.portfolioId;
    const key = new kms.Key(this, 'Key', {
      description: `Botfolio alerts of portfolio ${props.portfolioId}`,
      enableKeyRotation: true,
    });
    // CloudWatch alarms publish to the encrypted topic: the key must let CloudWatch use it.
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
      }),
    );
    const topic = new sns.Topic(this, 'Topic', {
      displayName: `Botfolio ${props.portfolioId}`,
      masterKey: key,
      enforceSSL: true,
    });
    for (const email of props.emails ?? []) {
      topic.addSubscription(new subscriptions.EmailSubscription(email));
    }
    for (const number of props.smsNumbers ?? []) {
      topic.addSubscription(
        new subscriptions.SmsSubscription(number, {
          filterPolicy: {
            [SEVERITY_ATTRIBUTE]: sns.SubscriptionFilter.stringFilter({
              allowlist: [SMS_SEVERITY],
            }),
          },
        }),
      );
    }
    this.topic = topic;
    this.key = key;
    this.environment = { ALERT_TOPIC_ARN: topic.topicArn };
  }

  /**
   * Lets the grantee publish alerts. Granted by hand rather than with the topic's `grantPublish`,
   * which adds `kms:GenerateDataKey*`: SNS needs only these two key actions.
   */
  grantPublish(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['sns:Publish'],
      resourceArns: [this.topic.topicArn],
    }).combine(this.key.grant(grantee, 'kms:Decrypt', 'kms:GenerateDataKey'));
  }

  /** Alerts the alert channels (Telegram, Discord, Slack, webhook) got, summed. Zero without channels. */
  metricChannelDeliveries(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return portfolioMetric(this.#portfolioId, METRIC_NAMES.alertChannelDeliveries, 'Sum', props);
  }

  /** Alerts an alert channel did not get after its retries, summed. Zero without channels. */
  metricChannelFailures(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return portfolioMetric(this.#portfolioId, METRIC_NAMES.alertChannelFailures, 'Sum', props);
  }
}
