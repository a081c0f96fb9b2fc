/**
 * The demo's simulated fleet beyond equity: each simulated bot pushes a signed heartbeat before
 * every cycle through the heartbeat endpoint's own use case (usecases/heartbeat.ts: signature,
 * `ts` window, replay check, the store's conditional write), and one of them falls silent for a
 * stretch — so the cycle judges it `stale`, alerts `bot_stale`, and puts no money into it until it
 * beats again. Each simulated bot also carries a position of a fixed leverage on the paper
 * exchange, so the demo's exposure is known.
 */
import { randomBytes } from 'node:crypto';
import type { PaperExchange } from '../adapters/paper/exchange.ts';
import type { BotConfig, Config } from '../core/config.ts';
import { ratio } from '../core/money.ts';
import type { HeartbeatStore } from '../core/store-ports.ts';
import { receiveHeartbeat, signHeartbeat } from '../usecases/heartbeat.ts';

/** The simulated bots' leverages, in config order (cycled). */
const DEMO_LEVERAGES = ['3', '2', '5', '8'] as const;

/** The bot that falls silent, and the cycles it sends nothing in (first to last, 1-based). */
export interface SilentStretch {
  readonly botId: string;
  readonly from: number;
  readonly to: number;
}

/**
 * The demo's silent stretch: the last enabled bot, from half way to three quarters of the run
 * (none under 4 cycles). It is back for the last quarter, so its restart shows too.
 */
export function demoSilence(config: Config, cycles: number): SilentStretch | undefined {
  const bot = config.bots.filter((b) => b.enabled).at(-1);
  if (!bot || cycles < 4) return undefined;
  return { botId: bot.botId, from: Math.floor(cycles / 2), to: Math.floor((cycles * 3) / 4) };
}

/** Sends heartbeats in the demo: a bot it simulates has `health.heartbeat` and no Freqtrade API. */
const simulated = (b: BotConfig) =>
  b.health?.heartbeat === true && b.health.freqtrade === undefined;

/**
 * The config the demo runs: every bot without a health source is given heartbeats (the demo
 * sends them), so the fleet is monitored as a launcher's is.
 */
export function monitoredConfig(config: Config): Config {
  return {
    ...config,
    bots: config.bots.map((b) =>
      b.health
        ? b
        : { ...b, health: { heartbeat: true, freqtrade: undefined, maxErrorsPerHour: 10 } },
    ),
  };
}

export interface DemoFleet {
  /** Every simulated bot that is not silent at `cycle` says it is running, at `at`. */
  beat(at: Date, cycle: number): Promise<void>;
}

/** The fleet of `config`'s simulated bots (each with a fresh secret), and their positions. */
export function demoFleet(
  config: Config,
  heartbeats: Pick<HeartbeatStore, 'pushRecord' | 'putPush'>,
  exchange: PaperExchange,
  silence: SilentStretch | undefined,
): DemoFleet {
  const bots = config.bots.filter(simulated);
  const secrets = new Map(bots.map((b) => [b.botId, randomBytes(32).toString('hex')]));
  config.bots.forEach((b, i) => {
    const leverage = DEMO_LEVERAGES[i % DEMO_LEVERAGES.length] ?? '1';
    if (exchange.subAccountIds().includes(b.account)) {
      exchange.setSubAccountLeverage(b.account, ratio(leverage));
    }
  });
  return {
    async beat(at, cycle) {
      for (const bot of bots) {
        const silent = silence?.botId === bot.botId && cycle >= silence.from && cycle <= silence.to;
        if (silent) continue;
        const secret = secrets.get(bot.botId) ?? '';
        const body = Buffer.from(
          JSON.stringify({
            bot_id: bot.botId,
            status: 'running',
            errors: 0,
            ts: at.getTime() / 1000,
          }),
        );
        const answer = await receiveHeartbeat(
          { config, heartbeats, secretOf: async (id) => secrets.get(id), now: () => at },
          { body, signature: signHeartbeat(secret, body) },
        );
        if (answer.status !== 200) {
          throw new Error(`the demo's heartbeat of ${bot.botId} was refused: ${answer.body.error}`);
        }
      }
    },
  };
}
