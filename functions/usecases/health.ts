/**
 * The bots' health as a fact of the cycle (DESIGN.md §11): the stored heartbeats, and each
 * Freqtrade bot's API asked (within its short deadline, never failing the cycle), judged at the
 * moment the balances are read. The transfer guards ask again when a transfer runs
 * (`notRunningNow`), so a bot that went stale between plan and validate gets no money either.
 * Whatever cannot be read counts as not running for a monitored bot: an unknown never lets money in.
 */
import type { Config } from '../core/config.ts';
import {
  type BotHealth,
  type FreqtradePull,
  type HealthFacts,
  isMonitored,
  judgeFleet,
  judgeHealth,
  nextPulled,
  notRunningWhy,
  type PulledHealth,
} from '../core/health.ts';
import type { HeartbeatStore } from '../core/store-ports.ts';

export interface HealthDeps {
  readonly config: Config;
  /** The stored health; without it every monitored bot is of unknown health (not running). */
  readonly heartbeats?: Pick<HeartbeatStore, 'healthFacts'>;
  /** Asks a bot's Freqtrade API; without it such a bot learns nothing from its API. */
  readonly freqtrade?: FreqtradePull;
}

export interface HealthReading {
  /** Every configured bot's health, judged at the reading's time. */
  readonly health: ReadonlyMap<string, BotHealth>;
  /** What each asked API answered (or not), to record. */
  readonly pulls: ReadonlyMap<string, PulledHealth>;
  /** The facts it was judged on: the stored ones with this reading's pulls (none when unread). */
  readonly facts: ReadonlyMap<string, HealthFacts>;
}

const reasonOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Reads the bots' health at `now`, writing nothing: the stored facts, and the API of each
 * Freqtrade bot not asked within `health_check_interval`.
 */
export async function readHealth(deps: HealthDeps, now: Date): Promise<HealthReading> {
  const { config } = deps;
  const nowMs = now.getTime();
  if (!config.bots.some(isMonitored)) {
    return { health: judgeFleet(config, new Map(), nowMs), pulls: new Map(), facts: new Map() };
  }
  if (!deps.heartbeats) {
    return {
      health: judgeFleet(config, new Map(), nowMs, 'no health store'),
      pulls: new Map(),
      facts: new Map(),
    };
  }
  let stored: Map<string, HealthFacts>;
  try {
    stored = await deps.heartbeats.healthFacts(config.portfolioId);
  } catch (error) {
    return {
      health: judgeFleet(config, new Map(), nowMs, reasonOf(error)),
      pulls: new Map(),
      facts: new Map(),
    };
  }
  const pulls = new Map<string, PulledHealth>();
  const pull = deps.freqtrade;
  if (pull) {
    const due = config.bots.filter((b) => {
      if (!b.health?.freqtrade) return false;
      const last = stored.get(b.botId)?.pull?.at;
      return last === undefined || nowMs - Date.parse(last) >= config.healthCheckIntervalMs;
    });
    const answers = await Promise.all(
      due.map(async (b) => {
        const target = b.health?.freqtrade;
        if (!target) return undefined;
        const answer = await pull(target, now).catch(
          (error: unknown): PulledHealth => ({
            at: now.toISOString(),
            answer: undefined,
            error: reasonOf(error),
          }),
        );
        return [b.botId, nextPulled(stored.get(b.botId)?.pull, answer)] as const;
      }),
    );
    for (const a of answers) if (a) pulls.set(a[0], a[1]);
  }
  const facts = new Map(stored);
  for (const [botId, pulled] of pulls) facts.set(botId, { ...facts.get(botId), pull: pulled });
  return { health: judgeFleet(config, facts, nowMs), pulls, facts };
}

/**
 * Why money may not go into `botId` now (a monitored bot not running, or of unknown health), or
 * undefined when it may: what the transfer guards re-check before a risk-adding transfer.
 */
export async function notRunningNow(
  deps: Pick<HealthDeps, 'config' | 'heartbeats'>,
  botId: string,
  now: Date,
): Promise<string | undefined> {
  const bot = deps.config.bots.find((b) => b.botId === botId);
  if (!bot || !isMonitored(bot)) return undefined;
  if (!deps.heartbeats) return 'its health is unknown (no health store)';
  let facts: HealthFacts | undefined;
  try {
    facts = (await deps.heartbeats.healthFacts(deps.config.portfolioId)).get(botId);
  } catch (error) {
    return `its health could not be read (${reasonOf(error)})`;
  }
  return notRunningWhy(judgeHealth(deps.config, bot, facts, now.getTime()), bot);
}
