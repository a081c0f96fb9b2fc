/**
 * What a month of Botfolio costs on AWS (issue 16, `aws_cost_month`), computed from counts: the
 * requests the scale bench counted per bot-cycle and per transfer (bench/scale.ts), and the fixed
 * resources of the stack as synthesized for the example portfolio (dashboards, alarms, keys,
 * secrets, the NAT instance). Prices and free allowances are us-east-1, on-demand, each named
 * below in one place with the date they are from: AWS's public price pages as of PRICES_AS_OF
 * (not re-read by this bench: it has no network). The always-free allowances are those that do
 * not expire after the first year.
 *
 * What is assumed rather than counted is named too: Lambda durations (the cycle's measured wall
 * time on the embedded store stands for its Lambda's; each transfer step ~STEP_MS), log volume,
 * and one email subscriber. Nothing here is rounded until the end.
 */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { parseConfig } from '../functions/core/config.ts';
import { METRIC_NAMES } from '../functions/core/metrics.ts';

/** The metrics every cycle publishes; the others only when what they count happens. */
const CYCLE_METRICS = [
  METRIC_NAMES.equity,
  METRIC_NAMES.reserveTotal,
  METRIC_NAMES.deployedRatio,
  METRIC_NAMES.cycleDuration,
  METRIC_NAMES.botsRunning,
  METRIC_NAMES.botsStale,
  METRIC_NAMES.botsStopped,
  METRIC_NAMES.botsError,
];
/** Published in an hour with a completed transfer: the count and the amounts harvested, refilled. */
const TRANSFER_METRICS = 3;

import { BotfolioStack } from '../lib/stack.ts';

export const PRICES_AS_OF = '2026-12-01';

/** us-east-1 on-demand prices (USD), with the always-free allowance of each where there is one. */
export const PRICES = {
  dynamoWriteUnit: 0.625 / 1e6, // on-demand write request unit (since the 2024-11 price cut)
  dynamoReadUnit: 0.125 / 1e6, // on-demand read request unit
  dynamoStorageGbMonth: 0.25,
  dynamoFreeStorageGb: 25, // always free
  lambdaGbSecond: 0.0000133334, // arm64, as the stack's functions are
  lambdaRequest: 0.2 / 1e6,
  lambdaFreeGbSeconds: 400_000, // always free, per month
  lambdaFreeRequests: 1_000_000, // always free, per month
  sfnTransition: 0.025 / 1000, // Standard workflows
  sfnFreeTransitions: 4_000, // always free, per month
  snsPublish: 0.5 / 1e6,
  snsFreePublishes: 1_000_000, // always free
  snsEmail: 2 / 100_000,
  snsFreeEmails: 1_000, // always free
  cwCustomMetricMonth: 0.3,
  cwFreeMetrics: 10, // always free
  cwAlarmMonth: 0.1, // standard resolution
  cwFreeAlarms: 10, // always free
  cwDashboardMonth: 3,
  cwFreeDashboards: 3, // always free (up to 50 metrics each)
  xrayTrace: 5 / 1e6, // traces recorded (the functions trace actively)
  xrayFreeTraces: 100_000, // always free, per month
  logsIngestGb: 0.5,
  logsFreeGb: 5, // always free (ingestion and storage together)
  kmsKeyMonth: 1,
  secretMonth: 0.4,
  natInstanceHour: 0.0042, // t4g.nano
  publicIpv4Hour: 0.005, // every public IPv4 address since 2024-02
  ebsGp3GbMonth: 0.08, // the NAT instance's 8 GB root volume
} as const;

const HOURS_PER_MONTH = 730;
/** Assumed: a transfer step's Lambda run (a few DynamoDB requests and at most one exchange call). */
const STEP_MS = 150;
/** Assumed: log bytes per cycle (a few structured lines) and per transfer step. */
const LOG_BYTES_PER_CYCLE = 4_000;
const LOG_BYTES_PER_STEP = 1_000;
/** Assumed: a performance snapshot's stored size (item and overhead) and one email subscriber. */
const SNAPSHOT_BYTES = 300;
const EMAIL_SUBSCRIBERS = 1;
/** Full resolution for 35 days, each day's close for 400 (core/retention.ts). */
const FULL_DAYS = 35;
const CLOSE_DAYS = 400;

/** What the bench measured at one fleet size (bench/scale.ts), per bot-cycle and per transfer. */
export interface UsageFigures {
  readonly bots: number;
  readonly cycleMinutes: number;
  readonly cycleMs: number;
  readonly rcuPerBotCycle: number;
  readonly wcuPerBotCycle: number;
  readonly wcuPerTransfer: number;
  readonly rcuPerTransfer: number;
  readonly transfersPerCycle: number;
  readonly snsPerCycle: number;
  readonly transitionsPerTransfer: number;
  readonly stepsPerTransfer: number;
}

/** The stack's fixed resources, counted in its synthesized template. */
export interface FixedResources {
  readonly dashboards: number;
  readonly alarms: number;
  readonly kmsKeys: number;
  readonly secrets: number;
  readonly natInstances: number;
  readonly publicIps: number;
  /** Custom metrics every cycle publishes (CloudWatch bills a metric by the hours it is published in). */
  readonly cycleMetrics: number;
  readonly cycleMemoryMb: number;
  readonly stepMemoryMb: number;
}

export function fixedResources(
  configJson: unknown,
  egress: 'none' | 'nat-instance',
): FixedResources {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const config = parseConfig(configJson);
  const stack = new BotfolioStack(app, 'Botfolio-cost', {
    config,
    alertEmails: ['ops@example.com'],
    egress,
  });
  const t = Template.fromStack(stack);
  const count = (type: string) => Object.keys(t.findResources(type)).length;
  const memory = (match: RegExp) => {
    const fns = Object.entries(t.findResources('AWS::Lambda::Function'));
    const found = fns.find(([id]) => match.test(id));
    return Number(
      (found?.[1] as { Properties?: { MemorySize?: number } })?.Properties?.MemorySize ?? 128,
    );
  };
  return {
    dashboards: count('AWS::CloudWatch::Dashboard'),
    alarms: count('AWS::CloudWatch::Alarm'),
    kmsKeys: count('AWS::KMS::Key'),
    secrets: count('AWS::SecretsManager::Secret'),
    natInstances: count('AWS::EC2::Instance'),
    publicIps: count('AWS::EC2::EIP'),
    // One dimension set (the portfolio) each: the gauges every cycle publishes, the bots' health
    // counts included (a fleet with monitored bots).
    cycleMetrics: CYCLE_METRICS.length,
    cycleMemoryMb: memory(/^Cycle/),
    stepMemoryMb: memory(/Step/),
  };
}

/** The month's bill, by service, and its total (USD). */
export function monthlyCost(u: UsageFigures, f: FixedResources): Record<string, number> {
  const cycles = (30 * 24 * 60) / u.cycleMinutes;
  const transfers = cycles * u.transfersPerCycle;
  const over = (n: number, free: number) => Math.max(0, n - free);
  const p = PRICES;
  const dynamoRequests =
    (cycles * u.bots * u.wcuPerBotCycle + transfers * u.wcuPerTransfer) * p.dynamoWriteUnit +
    (cycles * u.bots * u.rcuPerBotCycle + transfers * u.rcuPerTransfer) * p.dynamoReadUnit;
  const perDay = (24 * 60) / u.cycleMinutes;
  const storedGb = (u.bots * SNAPSHOT_BYTES * (perDay * FULL_DAYS + CLOSE_DAYS)) / 1e9;
  const dynamoStorage = over(storedGb, p.dynamoFreeStorageGb) * p.dynamoStorageGbMonth;
  const steps = transfers * u.stepsPerTransfer;
  const gbSeconds =
    cycles * (u.cycleMs / 1000) * (f.cycleMemoryMb / 1024) +
    steps * (STEP_MS / 1000) * (f.stepMemoryMb / 1024);
  const lambda =
    over(gbSeconds, p.lambdaFreeGbSeconds) * p.lambdaGbSecond +
    over(cycles + steps, p.lambdaFreeRequests) * p.lambdaRequest;
  const stepFunctions =
    over(transfers * u.transitionsPerTransfer, p.sfnFreeTransitions) * p.sfnTransition;
  const messages = cycles * u.snsPerCycle;
  const sns =
    over(messages, p.snsFreePublishes) * p.snsPublish +
    over(messages * EMAIL_SUBSCRIBERS, p.snsFreeEmails) * p.snsEmail;
  const logsGb = (cycles * LOG_BYTES_PER_CYCLE + steps * LOG_BYTES_PER_STEP) / 1e9;
  // X-Ray's default sampling: the first request each second, then 5 % of the rest.
  const invocations = cycles + steps;
  const seconds = HOURS_PER_MONTH * 3600;
  const traced = Math.min(invocations, seconds) + 0.05 * Math.max(0, invocations - seconds);
  const xray = over(traced, p.xrayFreeTraces) * p.xrayTrace;
  // Prorated by the hour: a transfer's metrics cost in the hours that have one (failures,
  // refusals and exchange errors are taken as rare enough to cost nothing).
  const transferHours = 1 - Math.exp(-u.transfersPerCycle * (60 / u.cycleMinutes));
  const metricMonths = f.cycleMetrics + TRANSFER_METRICS * transferHours;
  const cloudwatch =
    over(metricMonths, p.cwFreeMetrics) * p.cwCustomMetricMonth +
    over(f.alarms, p.cwFreeAlarms) * p.cwAlarmMonth +
    over(f.dashboards, p.cwFreeDashboards) * p.cwDashboardMonth +
    over(logsGb, p.logsFreeGb) * p.logsIngestGb;
  const keys = f.kmsKeys * p.kmsKeyMonth + f.secrets * p.secretMonth;
  const egress =
    f.natInstances * (p.natInstanceHour * HOURS_PER_MONTH + 8 * p.ebsGp3GbMonth) +
    f.publicIps * p.publicIpv4Hour * HOURS_PER_MONTH;
  const parts = {
    dynamodb: dynamoRequests + dynamoStorage,
    lambda,
    xray,
    step_functions: stepFunctions,
    sns,
    cloudwatch,
    kms_and_secrets: keys,
    egress,
  };
  const total = Object.values(parts).reduce((a, b) => a + b, 0);
  const rounded = Object.fromEntries(
    Object.entries({ ...parts, total }).map(([k, v]) => [k, Number(v.toFixed(2))]),
  );
  return rounded;
}
