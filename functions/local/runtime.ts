/**
 * The local composition: the same use cases as the Lambdas, wired to embedded defaults — dynalite
 * in-process (in memory, or persisted in a data folder), the paper exchange standing in for every
 * exchange the config names (or the real exchanges a caller passes in), simulated bots, and the
 * CDK-synthesized transfer state machine executed in-process. On a data folder it owns the store
 * and announces it (live.ts): the paper exchange it loads is its own, never shared. Alerts that
 * pass the cooldown go to `onAlert` and then, directly, to the config's alert channels.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadAllocationModule } from '../adapters/allocation-module.ts';
import type { DeliveryOptions } from '../adapters/channels/delivery.ts';
import { alertChannels } from '../adapters/channels/index.ts';
import { channelSecretFromEnv } from '../adapters/channels/secrets.ts';
import { DynamoBreakerStore } from '../adapters/dynamodb/breaker.ts';
import { dynamoStores } from '../adapters/dynamodb/store.ts';
import { freqtradePauser, freqtradePuller } from '../adapters/freqtrade-api.ts';
import { envPasswords } from '../adapters/health-secrets.ts';
import { PaperExchange } from '../adapters/paper/exchange.ts';
import type { FaultPlan } from '../adapters/paper/faults.ts';
import { BotSimulator, DEMO_SEED, defaultProfiles } from '../adapters/paper/market.ts';
import { withDotEnv } from '../adapters/secrets.ts';
import type { Alert } from '../core/alerts.ts';
import type { Config } from '../core/config.ts';
import type { FreqtradePull } from '../core/health.ts';
import { type Metrics, NO_METRICS } from '../core/metrics.ts';
import { ZERO } from '../core/money.ts';
import type { BotPause } from '../core/pause.ts';
import type { Alerter, BreakerStore, Exchange } from '../core/ports.ts';
import type { PortfolioState } from '../core/state.ts';
import type { Stores } from '../core/store-ports.ts';
import type { WeightsFunction } from '../core/strategies.ts';
import { type ChannelFailure, withChannels } from '../usecases/alert-channels.ts';
import { withCooldown } from '../usecases/alerting.ts';
import { type CycleResult, runCycle } from '../usecases/cycle.ts';
import { type ReconcileReport, reconcile } from '../usecases/reconcile.ts';
import type { TransferDeps } from '../usecases/transfer-settlement.ts';
import { makeTransferSteps, runStep } from '../usecases/transfer-steps.ts';
import { synthesizeTransferDefinition } from './definition.ts';
import { type EmbeddedDynamo, startEmbeddedDynamo } from './dynamo.ts';
import { type OwnedStore, openFolderStore } from './live.ts';
import { ensureDataFolder } from './local-store.ts';
import { LocalTransferWorkflow, type Reaper, type StateMachineDefinition } from './workflow.ts';

export interface LocalRuntimeOptions {
  readonly config: Config;
  /**
   * The file `config` was read from: a `custom` strategy's module is loaded from its folder (and
   * checked) when the runtime starts.
   * @default - none: a custom pool is not rebalanced, and each due rebalance warns so
   */
  readonly configFile?: string;
  /** Keep the store and the paper exchange here; in memory when absent. */
  readonly dataDir?: string;
  /** Seed of the simulated bots. @default DEMO_SEED */
  readonly seed?: number;
  /** Faults the paper exchange injects (tests, chaos). @default none */
  readonly faults?: FaultPlan;
  /** Retry wait in the local state machine instead of the definition's backoff. @default 5 ms */
  readonly retryIntervalMs?: number;
  /** The clock of transfer steps and alert cooldowns. @default the wall clock */
  readonly now?: () => Date;
  /** Where metrics go. @default nowhere */
  readonly metrics?: Metrics;
  /** Receives every alert that passes the cooldown. @default ignore */
  readonly onAlert?: (alert: Alert) => void;
  /**
   * Where the alert channels' secrets are read (`alerts.channels`: TELEGRAM_BOT_TOKEN…). Each
   * alert that passes the cooldown goes to them right after `onAlert`, in the background; a cycle
   * ends once they are done.
   * @default the process environment over `.env` (read only when the config has channels)
   */
  readonly channelEnv?: Readonly<Record<string, string | undefined>>;
  /** The channels' retries and time limits (tests make them short). @default those of AWS */
  readonly channelDelivery?: DeliveryOptions;
  /**
   * Hears of an alert a channel did not get (after its retries); it is counted in `metrics` too.
   * @default a line on stderr
   */
  readonly onChannelFailure?: (failure: ChannelFailure) => void;
  /**
   * The exchanges to use, by config name (a real one: Bitget), built with the runtime's alerter
   * and circuit-breaker store (the local `state` table, as in AWS). The paper exchange and the
   * simulated bots are then neither used nor saved.
   * @default the paper exchange stands in for every exchange the config names
   */
  readonly exchanges?: (wiring: {
    readonly alerter: Alerter;
    readonly breakers: BreakerStore;
  }) => ReadonlyMap<string, Exchange>;
  /** The transfer state machine, synthesized once elsewhere. @default synthesized from `config` */
  readonly definition?: StateMachineDefinition;
  /** An embedded DynamoDB to share (left running by `close`). @default one of its own */
  readonly dynamo?: EmbeddedDynamo;
  /** Run transfer executions one at a time, in the order started (replayable). @default false */
  readonly serial?: boolean;
  /** Kills transfer executions at chosen steps, as a dying process would. @default none */
  readonly reaper?: Reaper;
  /**
   * Asks a bot's Freqtrade API (`bots[].health.freqtrade`).
   * @default over fetch, each password from the env var its `password_secret` names
   */
  readonly freqtrade?: FreqtradePull;
  /**
   * Asks a bot's control API to pause (the coordinated stop, `emergency_stop.pause_bots`).
   * @default over fetch, each password from the env var its `password_secret` names
   */
  readonly pauseBot?: BotPause;
  /** The paper exchange answers a repeated clientOid with its first transfer. @default true */
  readonly dedupeClientOid?: boolean;
  /** Who holds the data folder, in other processes' messages. @default 'a botfolio command' */
  readonly holder?: string;
}

export interface LocalRuntime {
  /** The config the cycles, the workflow and reconciliation run on now. */
  readonly config: Config;
  /**
   * Runs everything from now on on `config`, as a redeploy does: cycles, reconciliation and the
   * steps of transfers already in flight (which act on their entries' recorded accounts, never on
   * the config's). The exchanges and the store stay; a bot's new account is opened on the paper
   * exchange. For the fault campaign's config changes between cycles.
   */
  reconfigure(config: Config): void;
  readonly store: Stores;
  readonly exchange: PaperExchange;
  /** The exchanges the cycles use, by config name (the paper exchange unless others were given). */
  readonly exchanges: ReadonlyMap<string, Exchange>;
  readonly market: BotSimulator;
  readonly workflow: LocalTransferWorkflow;
  /** The `custom` strategy's weights function, loaded from the config's `allocation.module`. */
  readonly customWeights: WeightsFunction | undefined;
  /** Asks the bots' Freqtrade APIs (their health). */
  readonly freqtrade: FreqtradePull;
  /** Runs one cycle at `at` and waits for the transfers it started to finish. */
  cycle(at: Date): Promise<CycleResult>;
  /** Reconciles (at the runtime's clock) and waits for the transfers it started again. */
  reconcile(): Promise<ReconcileReport>;
  /** Lets the simulated bots trade one step. */
  trade(): void;
  /** Writes the paper exchange and the market to the data folder (no-op in memory). */
  save(): void;
  /** The data folder's store as this runtime announces it (live.ts); absent in memory. */
  readonly folder: Pick<OwnedStore, 'token' | 'announceControl'> | undefined;
  close(): Promise<void>;
}

const EXCHANGE_FILE = 'paper-exchange.json';
const MARKET_FILE = 'market.json';

export async function startLocalRuntime(opts: LocalRuntimeOptions): Promise<LocalRuntime> {
  const { config } = opts;
  const now = opts.now ?? (() => new Date());
  const passwords = () => envPasswords(withDotEnv(process.env));
  const freqtrade = opts.freqtrade ?? freqtradePuller(passwords());
  const pauseBot = opts.pauseBot ?? freqtradePauser(passwords());
  const metrics = opts.metrics ?? NO_METRICS;
  const dataDir = opts.dataDir;
  // First: a module that cannot work is refused before anything starts.
  const customWeights = opts.configFile
    ? await loadAllocationModule(config, opts.configFile)
    : undefined;
  if (dataDir) ensureDataFolder(dataDir);

  // A data folder's store is owned, never borrowed: beside `botfolio run` this is refused.
  const folder =
    !opts.dynamo && dataDir
      ? await openFolderStore(dataDir, {
          holder: opts.holder ?? 'a botfolio command',
          borrow: false,
        })
      : undefined;
  const dynamo = opts.dynamo ?? folder?.dynamo ?? (await startEmbeddedDynamo());
  const store = dynamoStores(dynamo.client, dynamo.tableNames, { now });

  const uids = config.bots.map((b) => b.account);
  const saved = (file: string) =>
    dataDir && existsSync(join(dataDir, file))
      ? JSON.parse(readFileSync(join(dataDir, file), 'utf8'))
      : undefined;
  const exchangeJson = saved(EXCHANGE_FILE);
  const exchange = exchangeJson
    ? PaperExchange.fromJSON(exchangeJson, opts.faults ? { faults: opts.faults } : {})
    : new PaperExchange({
        currency: config.currency,
        // Every reserve sits in the master account; bots start with empty sub-accounts.
        master: config.totalCapital,
        subAccounts: Object.fromEntries(uids.map((u) => [u, ZERO])),
        ...(opts.faults && { faults: opts.faults }),
        ...(opts.dedupeClientOid !== undefined && { dedupeClientOid: opts.dedupeClientOid }),
      });
  for (const uid of uids) if (!exchange.subAccountIds().includes(uid)) exchange.openSubAccount(uid);
  const marketJson = saved(MARKET_FILE);
  const market = marketJson
    ? BotSimulator.fromJSON(marketJson)
    : new BotSimulator({ seed: opts.seed ?? DEMO_SEED, profiles: defaultProfiles(uids) });

  const printer: Alerter = { send: async (a) => opts.onAlert?.(a) };
  // The channels of the config it starts with (a reconfigure keeps them, as it keeps the exchanges).
  const channelEnv =
    config.alertChannels.length > 0 ? (opts.channelEnv ?? withDotEnv(process.env)) : {};
  const published = withChannels(
    printer,
    alertChannels(config, (c) => channelSecretFromEnv(c, channelEnv), opts.channelDelivery),
    {
      metrics,
      onFailure:
        opts.onChannelFailure ??
        ((f) => process.stderr.write(`${f.error.message} (${f.alert.code})\n`)),
    },
  );
  const alerter = withCooldown(published, store.cooldowns, config.alertCooldownMs, now);
  // The paper exchange stands in for every venue the config names, unless real ones are given.
  const exchanges: ReadonlyMap<string, Exchange> =
    opts.exchanges?.({
      alerter,
      breakers: new DynamoBreakerStore(dynamo.client, dynamo.tableNames.state, config.portfolioId),
    }) ?? new Map<string, Exchange>([...config.exchanges.keys()].map((name) => [name, exchange]));

  let stepDeps: TransferDeps = {
    config,
    ...store,
    exchanges,
    alerter,
    metrics,
    now,
  };
  let steps = makeTransferSteps(stepDeps);
  const workflow = new LocalTransferWorkflow(
    opts.definition ?? synthesizeTransferDefinition(),
    (input) => runStep(steps, input),
    {
      retryIntervalMs: opts.retryIntervalMs ?? 5,
      ...(opts.serial !== undefined && { serial: opts.serial }),
      ...(opts.reaper && { reaper: opts.reaper }),
    },
  );

  const save = () => {
    if (!dataDir || opts.exchanges) return;
    for (const [file, value] of [
      [EXCHANGE_FILE, exchange.toJSON()],
      [MARKET_FILE, market.toJSON()],
    ] as const) {
      // Written aside, then renamed: a crash leaves the old file or the new one, never half of one.
      const path = join(dataDir, file);
      writeFileSync(`${path}.tmp`, JSON.stringify(value, null, 2));
      renameSync(`${path}.tmp`, path);
    }
  };

  // Local mode has no TTL: the expired snapshots go once a day (core/retention.ts). A failed
  // prune is said and tried again on the next cycle; it never fails the cycle.
  let prunedDay: string | undefined;
  const prune = async (at: Date, state: PortfolioState) => {
    const day = at.toISOString().slice(0, 10);
    if (day === prunedDay) return;
    const bots = new Set([...current.bots.map((b) => b.botId), ...state.bots.keys()]);
    try {
      await store.performance.pruneExpired(current.portfolioId, [...bots], at);
      prunedDay = day;
    } catch (error) {
      process.stderr.write(
        `pruning expired snapshots failed (tried again next cycle): ${String(error)}\n`,
      );
    }
  };

  let current = config;
  return {
    get config() {
      return current;
    },
    reconfigure(next: Config) {
      current = next;
      stepDeps = { ...stepDeps, config: next };
      steps = makeTransferSteps(stepDeps);
      for (const b of next.bots) {
        if (!exchange.subAccountIds().includes(b.account)) exchange.openSubAccount(b.account);
      }
    },
    store,
    exchange,
    exchanges,
    market,
    workflow,
    customWeights,
    freqtrade,
    async cycle(at: Date) {
      const result = await runCycle(
        {
          config: current,
          ...store,
          exchanges,
          workflow,
          // The cycle's digest of ended transfers waits for its own transfers (below).
          alerter: { send: alerter.send, ...(alerter.sendMany && { sendMany: alerter.sendMany }) },
          metrics,
          customWeights,
          now,
          freqtrade,
          pauseBot,
        },
        at,
      );
      await workflow.drain();
      // Its transfers have ended here (in AWS the next cycle's end sends them): their digest now.
      await alerter.flush?.(current.portfolioId);
      await published.drain();
      save();
      await prune(at, result.state);
      return result;
    },
    async reconcile() {
      // Transfers it starts again run once it is done, as with Step Functions (and so a seeded
      // campaign replays: their exchange calls never interleave with reconciliation's own).
      const restarts: { id: string }[] = [];
      const report = await reconcile({
        ...stepDeps,
        workflow: { start: async (entry) => void restarts.push(entry) },
      });
      for (const entry of restarts) await workflow.start(entry);
      await workflow.drain();
      await alerter.flush?.(current.portfolioId);
      await published.drain();
      save();
      return report;
    },
    trade() {
      market.step(exchange);
    },
    save,
    folder,
    async close() {
      await workflow.drain();
      await alerter.flush?.(current.portfolioId);
      await published.drain();
      save();
      if (folder) await folder.close();
      else if (!opts.dynamo) await dynamo.close();
    },
  };
}
