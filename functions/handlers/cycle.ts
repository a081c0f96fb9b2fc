/** Lambda entry point of the monitoring cycle, on the EventBridge schedule. */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { freqtradePauser, freqtradePuller } from '../adapters/freqtrade-api.ts';
import { secretsManagerPasswords } from '../adapters/health-secrets.ts';
import { StepFunctionsStarter } from '../adapters/stepfunctions/starter.ts';
import { METRIC_NAMES } from '../core/metrics.ts';
import { pausesBots } from '../core/pause.ts';
import type { WeightsFunction } from '../core/strategies.ts';
import { runCycle } from '../usecases/cycle.ts';
import { alerter, config, exchanges, logger, metrics, stores } from './aws.ts';
import { loadBundledAllocationModule, requireEnv } from './env.ts';

const workflow = new StepFunctionsStarter(new SFNClient({}), requireEnv('STATE_MACHINE_ARN'));

/**
 * The bots' Freqtrade APIs, each password read from the Secrets Manager secret its config names:
 * asked for their health, and to pause on entering halted when `emergency_stop.pause_bots` is on.
 */
const passwords = config.bots.some((b) => b.health?.freqtrade)
  ? secretsManagerPasswords(new SecretsManagerClient({}))
  : undefined;
const freqtrade = passwords && freqtradePuller(passwords);
const pauseBot = passwords && pausesBots(config) ? freqtradePauser(passwords) : undefined;

/**
 * The custom strategy's weights. A module that cannot be loaded here (it passed at synth, so
 * rarely) must not stop the harvests, refills and protection: it leaves the custom pools alone,
 * and every due rebalance says why in a `rebalance_skipped` warning.
 */
const customWeights = await loadBundledAllocationModule(config).catch(
  (error: unknown): WeightsFunction => {
    const reason = error instanceof Error ? error.message : String(error);
    logger.error('custom allocation module not loaded', { reason });
    return () => {
      throw new Error(`not loaded in the cycle function: ${reason}`);
    };
  },
);

/** An EventBridge scheduled event: its `time` is the slot, the same on every retry of the invocation. */
interface ScheduledEvent {
  readonly time?: string;
}

export async function handler(event: ScheduledEvent) {
  const at = event?.time ? new Date(event.time) : new Date();
  if (Number.isNaN(at.getTime()))
    throw new Error(`scheduled event with an invalid time: ${JSON.stringify(event.time)}`);
  const started = Date.now();
  const result = await runCycle(
    {
      config,
      ...stores,
      exchanges,
      workflow,
      alerter,
      metrics,
      customWeights,
      ...(freqtrade && { freqtrade }),
      ...(pauseBot && { pauseBot }),
    },
    at,
  );
  const durationMs = Date.now() - started;
  metrics.emit(config.portfolioId, { [METRIC_NAMES.cycleDuration]: durationMs });
  logger.info('cycle done', {
    cycleId: result.cycleId,
    mode: result.plan.mode,
    transfers: result.entries.map((e) => ({ transferId: e.id, kind: e.kind, botId: e.botId })),
    restarted: result.restarted,
    ...(result.stop && {
      pausedBots: result.stop.answers.map((a) => ({ botId: a.botId, outcome: a.outcome })),
      pauseJournaled: result.stop.journaled,
      ...(result.stop.journalError !== undefined && {
        pauseJournalError: result.stop.journalError,
      }),
    }),
    durationMs,
  });
  return {
    cycleId: result.cycleId,
    mode: result.plan.mode,
    transfers: result.entries.map((e) => e.id),
  };
}
