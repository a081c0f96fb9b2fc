/**
 * The config file (DESIGN.md §6, a contract): parsed once, at the edge, into typed values with
 * exact money and ratios. Unknown keys are refused — a typo in a money setting must not pass
 * silently — and every problem names its path, the bad value and what was expected. Schema
 * problems and semantic ones (share sum, unknown pool, over-allocation…) are reported together,
 * so one run of `botfolio validate` lists everything to fix.
 */
import { botAccount, reserveAccount } from './accounts.ts';
import type { Severity } from './alerts.ts';
import { assemble } from './config-assemble.ts';
import type { ALERT_CHANNEL_TYPES } from './config-channels-schema.ts';
import { semanticProblems } from './config-rules.ts';
import {
  type ACCOUNT_TYPES,
  type ALLOCATION_STRATEGIES,
  fileSchema,
  lenientFileSchema,
  type SUPPORTED_EXCHANGES,
} from './config-schema.ts';
import type { Money, Ratio } from './money.ts';
import { InvalidConfigError, withBlanksNamed, zodProblems } from './problems.ts';

/** An exchange with an adapter: one the config may name. */
export type ExchangeName = (typeof SUPPORTED_EXCHANGES)[number];
export type AllocationStrategy = (typeof ALLOCATION_STRATEGIES)[number];
/** The account inside an exchange account that transfers move money in and out of. */
export type AccountType = (typeof ACCOUNT_TYPES)[number];

/** Where alerts can go besides SNS email and SMS. */
export type AlertChannelType = (typeof ALERT_CHANNEL_TYPES)[number];

/** What every alert channel has: a name (its secret's) and a severity floor. */
interface ChannelBase {
  /** Unique among the channels; names its secret and env vars. Its type unless the file names it. */
  readonly name: string;
  /** Only alerts at or above it are sent (`min_severity`, default warning). */
  readonly minSeverity: Severity;
}

/**
 * An alert channel of `alerts.channels`. Its token or webhook URL is a secret, never in the
 * config: Secrets Manager in AWS, the environment or `.env` locally (adapters/channels/secrets.ts).
 */
export type AlertChannelConfig =
  | (ChannelBase & {
      readonly type: 'telegram';
      /** The chat the bot writes to: a numeric id, or a public channel's @username. */
      readonly chatId: string;
      /** The Bot API server (`api_url`, default Telegram's own). */
      readonly apiUrl: string;
    })
  | (ChannelBase & { readonly type: 'discord' })
  | (ChannelBase & { readonly type: 'slack' })
  | (ChannelBase & {
      readonly type: 'webhook';
      /** Where the signed alerts are posted; in the channel's secret when undefined. */
      readonly url: string | undefined;
    });

export interface PoolConfig {
  readonly name: string;
  readonly share: Ratio;
  readonly reserveRatio: Ratio;
  readonly harvestThreshold: Ratio;
  readonly harvestPercentage: Ratio;
  readonly allocationPerBot: Money | undefined;
  readonly marginMode: 'cross' | 'isolated' | undefined;
  readonly maxLeverage: number | undefined;
  /** `share × T`: what the pool starts with in `reserve:<pool>`. */
  readonly capital: Money;
  /** `share × T × (1 − reserve_ratio)`: what its bots may be allocated in all. */
  readonly deployable: Money;
  /** Where the pool's reserve and bots are (`exchange`, default the primary exchange). */
  readonly exchange: ExchangeName;
}

/**
 * The emergency reserve's part on one exchange (DESIGN.md §5, venues): funded in that exchange's
 * master account, drawn on by refills of that exchange's bots, and where they are protected to.
 * Every configured exchange has one (share 0 when the split leaves it out).
 */
export interface EmergencyPart {
  readonly exchange: ExchangeName;
  /** The part's reserve: `emergency` on the primary, `emergency@<exchange>` on another. */
  readonly reserve: string;
  /** Its share of the emergency reserve (`emergency_reserve.split`). */
  readonly share: Ratio;
  /** Its share of the emergency reserve's capital; the primary's takes what rounding leaves. */
  readonly capital: Money;
  /** Its share of the minimum: refills never draw it below this. */
  readonly minimum: Money;
}

export interface ExchangeSettings {
  readonly name: ExchangeName;
  readonly transferFee: Ratio | undefined;
  readonly minTransfer: Money;
  readonly maxTransfer: Money;
  readonly dailyTransferLimit: Money;
  readonly precision: number;
  /** Bots' account type unless a bot says otherwise (`bot_account_type`, default futures). */
  readonly botAccountType: AccountType;
  /** Where the master keeps the reserves (`master_account_type`, default spot). */
  readonly masterAccountType: AccountType;
  /** The primary exchange (`primary`; the only one when there is one). */
  readonly primary: boolean;
}

/** Where a bot's health comes from (DESIGN.md §11); a bot without one is not monitored. */
export interface BotHealthConfig {
  /** It POSTs signed heartbeats. */
  readonly heartbeat: boolean;
  /** Its Freqtrade REST API, asked each cycle. */
  readonly freqtrade:
    | { readonly url: string; readonly user: string; readonly passwordSecret: string }
    | undefined;
  /** More errors than this within an hour make it `error` (`max_errors_per_hour`, default 10). */
  readonly maxErrorsPerHour: number;
}

export interface BotConfig {
  readonly botId: string;
  readonly pool: string;
  readonly exchange: ExchangeName;
  readonly account: string;
  /** The bot's capital base when funded: its own `allocation`, else the pool's `allocation_per_bot`. */
  readonly allocation: Money;
  readonly weight: Ratio | undefined;
  readonly enabled: boolean;
  /** The account its transfers use: its own `account_type`, else its exchange's `bot_account_type`. */
  readonly accountType: AccountType;
  /** Its health sources (`health`); undefined: not monitored, managed as without health. */
  readonly health: BotHealthConfig | undefined;
}

export interface Config {
  readonly portfolioId: string;
  readonly currency: string;
  readonly totalCapital: Money;
  readonly emergencyReserve: {
    readonly share: Ratio;
    /** The whole minimum, over every part (each part's own is in `parts`). */
    readonly minimum: Money;
    /** The whole capital, over every part. */
    readonly capital: Money;
    /** One part per configured exchange, the primary's first (`emergency_reserve.split`). */
    readonly parts: readonly EmergencyPart[];
  };
  /** The exchange of `reserve:emergency` and of pools that name none (`exchanges.<x>.primary`). */
  readonly primaryExchange: ExchangeName;
  readonly pools: ReadonlyMap<string, PoolConfig>;
  readonly lossRecovery:
    | {
        readonly enabled: boolean;
        readonly interventionThreshold: Ratio;
        readonly refillTarget: Ratio;
        readonly maxRefills: number;
      }
    | undefined;
  readonly compoundThreshold: Ratio | undefined;
  readonly blackSwan:
    | {
        readonly enabled: boolean;
        readonly drawdownThreshold: Ratio;
        readonly safetyAllocation: Ratio;
        readonly noRefillPolicy: boolean;
        readonly resumeThreshold: Ratio;
      }
    | undefined;
  readonly emergencyStop:
    | {
        readonly maxDrawdownPercent: Ratio;
        /**
         * On entering `halted` (the stop tripping, or an operator's `halt`), pause every bot
         * with a control API (`emergency_stop.pause_bots`, default false; DESIGN.md §11).
         */
        readonly pauseBots: boolean;
      }
    | undefined;
  readonly allocation: {
    readonly strategy: AllocationStrategy;
    readonly rebalanceThreshold: Ratio;
    readonly rebalanceIntervalMs: number;
    readonly module: string | undefined;
  };
  readonly exchanges: ReadonlyMap<ExchangeName, ExchangeSettings>;
  readonly bots: readonly BotConfig[];
  readonly checkIntervalMs: number;
  /**
   * A reading above this many times a bot's last known balance (or its capital base, if larger)
   * is unknown, not believed (`monitoring.max_plausible_jump`, default 10).
   */
  readonly maxPlausibleJump: Ratio;
  /**
   * A transfer's guards re-check its rule on the cycle's reading of the bot while it is at most
   * this old, and read the bot afresh after (`monitoring.fresh_read_max_age`, default 60 s).
   */
  readonly freshReadMaxAgeMs: number;
  /**
   * How often a monitored bot is expected to report (`monitoring.heartbeat_interval`, default
   * 30 s, the launcher's): a bot not heard from for 3 of them is stale.
   */
  readonly heartbeatIntervalMs: number;
  /**
   * How often a bot's own API is asked for its health (`monitoring.health_check_interval`,
   * default 60 s, the launcher's); a cycle asks at most once.
   */
  readonly healthCheckIntervalMs: number;
  readonly alertCooldownMs: number;
  /** Risk limits (`risk`, DESIGN.md §11); each one undefined is not checked. */
  readonly risk: RiskLimits;
  /** Where alerts also go besides SNS (`alerts.channels`, default none), in config order. */
  readonly alertChannels: readonly AlertChannelConfig[];
}

export interface RiskLimits {
  /** Σ position notional ÷ portfolio equity (`risk.max_total_exposure`). */
  readonly maxTotalExposure: Ratio | undefined;
  readonly maxBotLeverage: Ratio | undefined;
  /** `bots_correlated` above this average pairwise correlation in a pool (`risk.max_correlation`). */
  readonly maxCorrelation: number | undefined;
  /** Days of daily returns correlation is computed over (`risk.correlation_window`, default 30). */
  readonly correlationWindowDays: number;
}

/** Parses and validates a config; throws InvalidConfigError listing every problem. */
export function parseConfig(input: unknown): Config {
  const parsed = fileSchema.safeParse(input, { reportInput: true });
  if (!parsed.success) {
    // Report what the semantic checks can still see beside the schema's problems.
    const readable = lenientFileSchema.safeParse(input);
    const more = readable.success ? semanticProblems(readable.data) : [];
    throw new InvalidConfigError([...zodProblems(parsed.error), ...more].map(withBlanksNamed));
  }
  const problems = semanticProblems(parsed.data);
  if (problems.length > 0) throw new InvalidConfigError(problems.map(withBlanksNamed));
  return assemble(parsed.data);
}

/** Names every ledger account of a portfolio: the allowlist of transfer ends. */
export function ledgerAccounts(config: Config): string[] {
  return [
    ...config.emergencyReserve.parts.map((p) => reserveAccount(p.reserve)),
    ...[...config.pools.keys()].map(reserveAccount),
    ...config.bots.map((b) => botAccount(b.botId)),
  ];
}
