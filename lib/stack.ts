/**
 * The Botfolio stack (DESIGN.md §9) for one portfolio: storage, exchange keys, alerts (and the
 * alert channels' subscriber when the config has channels), the guarded-transfer workflow and its
 * step function, the scheduled cycle, the dashboard and alarms.
 * Built from a parsed, validated Config, so a bad config never gets this far.
 */
import { fileURLToPath } from 'node:url';
import { Annotations, CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { allocationModulePath } from '../functions/adapters/allocation-module.ts';
import { STACK_OUTPUTS } from '../functions/adapters/stack-outputs.ts';
import type { Config } from '../functions/core/config.ts';
import { TEST_EXCHANGE_URL_ENV } from '../functions/handlers/env.ts';
import { AlertChannels } from './alert-channels.ts';
import { Alerts } from './alerts.ts';
import { Cycle } from './cycle.ts';
import { BotfolioDashboard } from './dashboard.ts';
import { type EgressOption, FixedEgress } from './egress.ts';
import { ExchangeSecrets } from './exchange-secrets.ts';
import { BotfolioFunction } from './function.ts';
import { HeartbeatEndpoint } from './heartbeat.ts';
import { ScheduledFunction } from './scheduled-function.ts';
import { Storage } from './storage.ts';
import { testExchangeUrlProblems } from './test-exchange.ts';
import { TransferWorkflow } from './transfer-workflow.ts';

/** The handler modules, one per function. */
export const HANDLER_ENTRIES = {
  cycle: fileURLToPath(new URL('../functions/handlers/cycle.ts', import.meta.url)),
  transferStep: fileURLToPath(new URL('../functions/handlers/transfer-step.ts', import.meta.url)),
  reconcile: fileURLToPath(new URL('../functions/handlers/reconcile.ts', import.meta.url)),
  alertChannels: fileURLToPath(new URL('../functions/handlers/alert-channels.ts', import.meta.url)),
  heartbeat: fileURLToPath(new URL('../functions/handlers/heartbeat.ts', import.meta.url)),
} as const;

export interface BotfolioStackProps extends StackProps {
  /** The parsed config (functions/core/config.ts `parseConfig`). */
  readonly config: Config;
  /**
   * The file `config` was parsed from, shipped in every function bundle (and a `custom`
   * strategy's module, found from its folder, in the cycle's).
   * @default - none: only for synthesizing without bundling (local mode reads the definition)
   */
  readonly configFile?: string;
  /** Addresses that receive every alert. @default - none */
  readonly alertEmails?: readonly string[];
  /** Phone numbers that receive critical alerts by SMS. @default - none */
  readonly alertSms?: readonly string[];
  /** CloudFormation deletion protection on the tables. @default true */
  readonly deletionProtection?: boolean;
  /**
   * A fixed egress IP for the functions that call the exchange (Bitget binds the key to fixed
   * IPs): `'nat-instance'` or `'nat-gateway'` (lib/egress.ts).
   * @default 'none' — no VPC: the functions call out from Lambda's shared addresses
   */
  readonly egress?: EgressOption;
  /**
   * For test deploys only (lib/test-exchange.ts): the exchange API every function calls instead
   * of the exchange's own, e.g. a fake Bitget on 127.0.0.1. An error (no synth, no deploy) unless
   * it is on the loopback interface and the deploy looks like a test: no deletion protection, no
   * fixed egress, no alert subscribers.
   * @default - none: the functions call each exchange's own API
   */
  readonly testExchangeUrl?: string;
}

/** A stack name CloudFormation accepts for a portfolio id ("_" and "." become "-"). */
export const stackNameFor = (portfolioId: string): string =>
  `Botfolio-${portfolioId.replaceAll(/[^A-Za-z0-9-]/g, '-')}`;

export class BotfolioStack extends Stack {
  readonly storage: Storage;
  readonly alerts: Alerts;
  /** The subscriber that sends alerts to Telegram, Discord, Slack, a webhook: when the config has channels. */
  readonly alertChannels?: AlertChannels;
  readonly exchangeSecrets: ExchangeSecrets;
  readonly transferStep: BotfolioFunction;
  readonly transferWorkflow: TransferWorkflow;
  readonly cycle: Cycle;
  /** The scheduled reconciliation (DESIGN.md §4). */
  readonly reconcile: ScheduledFunction;
  readonly dashboard: BotfolioDashboard;
  /** The fixed egress, when the `egress` prop asks for one. */
  readonly egress?: FixedEgress;
  /** The heartbeat function URL, when a bot of the config sends heartbeats (DESIGN.md §11). */
  readonly heartbeat?: HeartbeatEndpoint;

  constructor(scope: Construct, id: string, props: BotfolioStackProps) {
    super(scope, id, {
      description: `Botfolio: capital manager of portfolio ${props.config.portfolioId}`,
      ...props,
    });
    const { config, configFile } = props;
    const portfolioId = config.portfolioId;

    this.storage = new Storage(this, 'Storage', {
      deletionProtection: props.deletionProtection,
    });
    this.exchangeSecrets = new ExchangeSecrets(this, 'ExchangeSecrets', {
      portfolioId,
      exchanges: [...config.exchanges.keys()],
    });
    const egressMode = props.egress ?? 'none';
    if (egressMode !== 'none') this.egress = new FixedEgress(this, 'Egress', { mode: egressMode });
    const vpc = this.egress?.vpc;

    this.alerts = new Alerts(this, 'Alerts', {
      portfolioId,
      emails: props.alertEmails,
      smsNumbers: props.alertSms,
    });
    if (config.alertChannels.length > 0) {
      this.alertChannels = new AlertChannels(this, 'AlertChannels', {
        portfolioId,
        channels: config.alertChannels,
        topic: this.alerts.topic,
        entry: HANDLER_ENTRIES.alertChannels,
        configFile,
      });
    }

    this.transferStep = new BotfolioFunction(this, 'TransferStep', {
      entry: HANDLER_ENTRIES.transferStep,
      description: 'Botfolio guarded transfer: one step of the workflow (lock to notify)',
      portfolioId,
      configFile,
      vpc,
    });
    this.transferWorkflow = new TransferWorkflow(this, 'TransferWorkflow', {
      stepFunction: this.transferStep,
      portfolioId,
    });

    // Only the cycle plans rebalances: it alone carries a custom strategy's module.
    this.cycle = new Cycle(this, 'Cycle', {
      entry: HANDLER_ENTRIES.cycle,
      portfolioId,
      configFile,
      allocationModule: configFile && allocationModulePath(config, configFile),
      checkIntervalMs: config.checkIntervalMs,
      stateMachine: this.transferWorkflow.stateMachine,
      vpc,
    });

    // Reconciliation settles transfers the workflow left open (uncertain ones by clientOid
    // lookup), starts again planned ones whose execution never started, applies completed ones
    // the ledger missed, and alerts when the books and the exchange disagree. An uncertain
    // transfer with no record on the exchange is failed after ten quiet minutes, so a run every
    // ten minutes settles it within twenty. It calls the exchange: in the VPC when there is one.
    const reconcileInterval = Duration.minutes(10);
    this.reconcile = new ScheduledFunction(this, 'Reconcile', {
      entry: HANDLER_ENTRIES.reconcile,
      description:
        'Botfolio reconciliation: settles open transfers, applies missed ones, checks the books',
      portfolioId,
      configFile,
      interval: reconcileInterval,
      scheduleDescription: `Botfolio ${portfolioId}: reconciliation every ${reconcileInterval.toHumanString()}`,
      stateMachine: this.transferWorkflow.stateMachine,
      vpc,
    });

    // Every function calls the exchange, keeps the journal and state, and alerts. Metrics need no
    // grant: they are EMF lines in the functions' own log groups.
    const testExchange = this.testExchange(props);
    for (const fn of [this.cycle.function, this.transferStep, this.reconcile.function]) {
      this.storage.grantReadWriteItems(fn);
      this.exchangeSecrets.grantRead(fn);
      this.alerts.grantPublish(fn);
      const environment = {
        ...this.storage.environment,
        ...this.exchangeSecrets.environment,
        ...this.alerts.environment,
        ...testExchange,
      };
      for (const [name, value] of Object.entries(environment)) fn.addEnvironment(name, value);
      if (this.egress) fn.node.addDependency(this.egress.egressEstablished);
    }

    // The cycle asks each Freqtrade bot's API with the password in the secret its config names.
    const passwordSecrets = new Set(
      config.bots.flatMap((b) => (b.health?.freqtrade ? [b.health.freqtrade.passwordSecret] : [])),
    );
    for (const [i, name] of [...passwordSecrets].entries()) {
      secretsmanager.Secret.fromSecretNameV2(this, `FreqtradePassword${i}`, name).grantRead(
        this.cycle.function,
      );
    }

    const heartbeatBots = config.bots.filter((b) => b.health?.heartbeat).map((b) => b.botId);
    if (heartbeatBots.length > 0) {
      this.heartbeat = new HeartbeatEndpoint(this, 'Heartbeat', {
        entry: HANDLER_ENTRIES.heartbeat,
        portfolioId,
        configFile,
        botIds: heartbeatBots,
        stateTable: this.storage.state,
      });
      new CfnOutput(this, 'HeartbeatUrl', {
        value: `${this.heartbeat.url.url}heartbeat`,
        description: 'Where the bots POST their signed heartbeats',
      });
    }

    this.dashboard = new BotfolioDashboard(this, 'Dashboard', {
      portfolioId,
      checkIntervalMs: config.checkIntervalMs,
      cycle: this.cycle,
      transferWorkflow: this.transferWorkflow,
      reconcileFunction: this.reconcile.function,
      alertTopic: this.alerts.topic,
      alerts: this.alerts,
    });
    this.addOperatorOutputs(portfolioId);
  }

  /** The test-only exchange URL's environment, when it is given and allowed here. */
  private testExchange(props: BotfolioStackProps): Record<string, string> {
    const url = props.testExchangeUrl;
    if (url === undefined) return {};
    const problems = testExchangeUrlProblems(url, {
      deletionProtection: props.deletionProtection ?? true,
      egress: props.egress ?? 'none',
      alertEmails: props.alertEmails ?? [],
      alertSms: props.alertSms ?? [],
    });
    for (const p of problems) Annotations.of(this).addError(p);
    return problems.length === 0 ? { [TEST_EXCHANGE_URL_ENV]: url } : {};
  }

  /**
   * What `botfolio … --stack NAME` finds the portfolio by (functions/adapters/stack-outputs.ts),
   * and the dashboard's address for a person.
   */
  private addOperatorOutputs(portfolioId: string): void {
    const outputs: Record<keyof typeof STACK_OUTPUTS, { value: string; description: string }> = {
      portfolioId: { value: portfolioId, description: 'The portfolio this stack manages' },
      stateTable: { value: this.storage.state.tableName, description: 'State table' },
      performanceTable: {
        value: this.storage.performance.tableName,
        description: 'Performance table',
      },
      transactionsTable: {
        value: this.storage.transactions.tableName,
        description: 'Transactions table (the journal)',
      },
      alertTopic: { value: this.alerts.topic.topicArn, description: 'Alert topic' },
      transferStateMachine: {
        value: this.transferWorkflow.stateMachine.stateMachineArn,
        description: 'Guarded-transfer state machine',
      },
      cycleFunction: {
        value: this.cycle.function.functionName,
        description: 'Monitoring cycle function',
      },
      reconcileFunction: {
        value: this.reconcile.function.functionName,
        description: 'Reconciliation function',
      },
    };
    for (const [field, { value, description }] of Object.entries(outputs)) {
      new CfnOutput(this, STACK_OUTPUTS[field as keyof typeof STACK_OUTPUTS], {
        value,
        description,
      });
    }
    new CfnOutput(this, 'DashboardUrl', {
      value: `https://${this.region}.console.aws.amazon.com/cloudwatch/home?region=${this.region}#dashboards/dashboard/${this.dashboard.dashboard.dashboardName}`,
      description: 'The portfolio dashboard in the CloudWatch console',
    });
  }
}
