/**
 * The config file's schema (DESIGN.md §6, a contract), in two forms built from the same shapes:
 * `fileSchema`, strict, which decides whether a config is valid; and `lenientFileSchema`, which
 * keeps every section that parses on its own and drops the rest, so that the semantic checks
 * (share sum, unknown pool, over-allocation…) can run and be reported alongside schema problems.
 */
import * as z from 'zod';
import { ALERT_CHANNEL_TYPES, alertChannel, channelName } from './config-channels-schema.ts';
import {
  checkIntervalProblem,
  correlationWindowProblem,
  DURATION_PATTERN,
  MAX_DURATION_MS,
  parseDuration,
} from './duration.ts';
import {
  compareRatios,
  InvalidAmountError,
  type Money,
  money,
  type Ratio,
  ratio,
} from './money.ts';

export { isSupportedExchange, SUPPORTED_EXCHANGES } from './exchange-names.ts';

/** Exchanges whose API key has a passphrase besides its key and secret. */
export const PASSPHRASE_EXCHANGES: readonly string[] = ['bitget', 'okx'];

/** Where money sits in an exchange account (an extension for venues with several: Bitget). */
export const ACCOUNT_TYPES = ['futures', 'spot'] as const;

export const ALLOCATION_STRATEGIES = [
  'fixed',
  'equal_weight',
  'fixed_percentage',
  'performance_based',
  'risk_weighted',
  'custom',
] as const;

const ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const idText = (what: string) =>
  z.string().regex(ID, `a ${what} of letters, digits, "_", "." or "-" (at most 64)`);

const numberText = z.union([z.number(), z.string()]);

/** A positive amount of money (number or decimal string, at most 8 decimals). */
const amount = (opts: { allowZero?: boolean } = {}) =>
  numberText.transform((v, ctx): Money => {
    try {
      const m = money(v);
      if (m < 0n || (!opts.allowZero && m === 0n)) {
        ctx.issues.push({
          code: 'custom',
          input: v,
          message: opts.allowZero ? 'expected an amount ≥ 0' : 'expected an amount > 0',
        });
        return z.NEVER;
      }
      return m;
    } catch (e) {
      const why =
        e instanceof InvalidAmountError
          ? e.message.replace(/^invalid amount \S+: /, '')
          : String(e);
      ctx.issues.push({ code: 'custom', input: v, message: `expected an amount: ${why}` });
      return z.NEVER;
    }
  });

/** An exact ratio within [lo, hi] (inclusive unless said otherwise), compared without floats. */
const ratioIn = (lo: number, hi: number, opts: { loOpen?: boolean; hiOpen?: boolean } = {}) =>
  numberText.transform((v, ctx): Ratio => {
    const range = `${opts.loOpen ? '(' : '['}${lo}, ${hi}${opts.hiOpen ? ')' : ']'}`;
    let r: Ratio;
    try {
      r = ratio(v);
    } catch {
      ctx.issues.push({ code: 'custom', input: v, message: `expected a number in ${range}` });
      return z.NEVER;
    }
    const toLo = compareRatios(r, ratio(lo));
    const toHi = compareRatios(r, ratio(hi));
    const below = opts.loOpen ? toLo <= 0 : toLo < 0;
    const above = opts.hiOpen ? toHi >= 0 : toHi > 0;
    if (below || above) {
      ctx.issues.push({ code: 'custom', input: v, message: `expected a number in ${range}` });
      return z.NEVER;
    }
    return r;
  });

// `abort`: the checks after this one parse the text, which is only safe once it is a duration
// (without it, "1 hour" threw from parseDuration instead of being reported at its path).
const durationText = z.string().regex(DURATION_PATTERN, {
  message: 'a duration such as "30s", "15m", "1h" or "1d"',
  abort: true,
});

// Checked on the text, before it becomes milliseconds, so a problem shows what was written.
const duration = durationText
  .refine((t) => parseDuration(t) > 0, 'a duration longer than zero')
  .refine((t) => parseDuration(t) <= MAX_DURATION_MS, 'a duration of at most "365d"')
  .transform(parseDuration);

/** How often the cycle runs: the same rule here as for the AWS schedule (`checkIntervalProblem`). */
const checkInterval = durationText
  .superRefine((t, ctx) => {
    const problem = checkIntervalProblem(parseDuration(t));
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
  })
  .transform(parseDuration);

/** `risk.correlation_window`: whole days, at least a week (`correlationWindowProblem`). */
const correlationWindow = durationText
  .superRefine((t, ctx) => {
    const problem = correlationWindowProblem(parseDuration(t));
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
  })
  .transform(parseDuration);

/**
 * `risk.max_correlation`, in (−1, 1]: a plain number, since a correlation is a float computed in
 * analytics (it never becomes money) and may be negative, which a `Ratio` may not.
 */
const correlationLimit = numberText.transform((v, ctx): number => {
  const x = typeof v === 'number' ? v : v.trim() === '' ? Number.NaN : Number(v);
  if (!Number.isFinite(x) || x <= -1 || x > 1) {
    ctx.issues.push({ code: 'custom', input: v, message: 'expected a number in (-1, 1]' });
    return z.NEVER;
  }
  return x;
});

const currencyCode = z.string().regex(/^[A-Z0-9]{2,10}$/, 'a currency code such as "USDT"');

const emergencyShape = {
  share: ratioIn(0, 1),
  minimum: amount({ allowZero: true }),
  /**
   * How the emergency reserve (and its minimum) is split across exchanges, `{exchange: share}`
   * summing to 1 (DESIGN.md §5, venues); default: all on the primary exchange.
   */
  split: z.record(z.string(), ratioIn(0, 1)).optional(),
};

const poolShape = {
  share: ratioIn(0, 1, { loOpen: true }),
  reserve_ratio: ratioIn(0, 1, { hiOpen: true }),
  harvest_threshold: ratioIn(1, 100, { loOpen: true }),
  harvest_percentage: ratioIn(0, 1),
  allocation_per_bot: amount().optional(),
  margin_mode: z.enum(['cross', 'isolated']).optional(),
  max_leverage: z.number().positive().max(500).optional(),
  /** The exchange the pool's reserve and bots are on (DESIGN.md §5); default the primary. */
  exchange: z.string().optional(),
};

const exchangeShape = {
  transfer_fee: ratioIn(0, 1).optional(),
  min_transfer: amount(),
  max_transfer: amount(),
  daily_transfer_limit: amount(),
  /** Decimals the exchange accepts in a transfer amount (an extension; default 8). */
  precision: z.number().int().min(0).max(8).default(8),
  /** The account inside each bot's sub-account that transfers use (an extension; default futures). */
  bot_account_type: z.enum(ACCOUNT_TYPES).optional(),
  /** The account of the master where the reserves sit (an extension; default spot). */
  master_account_type: z.enum(ACCOUNT_TYPES).optional(),
  /** The exchange of `reserve:emergency` and of pools naming none; one of several must say so. */
  primary: z.boolean().optional(),
};

/**
 * Where Botfolio learns a bot's health (DESIGN.md §11): pushed heartbeats, its Freqtrade REST API,
 * or both. A bot without it is not monitored and is managed as before.
 */
const healthShape = {
  /** The bot POSTs signed heartbeats (`botfolio serve` locally, the function URL in AWS). */
  heartbeat: z.boolean().optional(),
  freqtrade: z
    .strictObject({
      url: z.url({
        protocol: /^https?$/,
        error: 'the http(s) URL of the bot’s Freqtrade REST API, such as "http://127.0.0.1:8080"',
      }),
      user: z.string().min(1, 'the Freqtrade API user name'),
      /** Where its API password is: an env var locally, a Secrets Manager secret in AWS. */
      password_secret: z
        .string()
        .regex(
          /^[A-Za-z0-9_/+=.@-]{1,512}$/,
          'a secret name (an env var locally, a Secrets Manager secret in AWS)',
        ),
    })
    .optional(),
  /** More errors than this reported within an hour make the bot `error` (default 10). */
  max_errors_per_hour: z.number().int().min(0).optional(),
};

const botShape = {
  bot_id: idText('bot id'),
  pool: z.string(),
  exchange: z.string(),
  /** The sub-account's UID; its email on Binance, its name on OKX (how each names them). */
  account: z
    .string()
    .regex(
      /^[A-Za-z0-9_+.@-]{1,128}$/,
      'a sub-account UID (on Binance: its email; on OKX: its name)',
    ),
  allocation: amount().optional(),
  weight: ratioIn(0, 1, { loOpen: true }).optional(),
  enabled: z.boolean().default(true),
  /** This bot's account type, overriding its exchange's `bot_account_type` (an extension). */
  account_type: z.enum(ACCOUNT_TYPES).optional(),
  /** Where its health comes from (an extension, DESIGN.md §11); absent: not monitored. */
  health: z.strictObject(healthShape).optional(),
};

const lossRecoveryShape = {
  enabled: z.boolean(),
  intervention_threshold: ratioIn(0, 1, { hiOpen: true }),
  refill_target: ratioIn(0, 1, { loOpen: true }),
  max_refills: z.number().int().min(0),
};

const blackSwanShape = {
  enabled: z.boolean(),
  drawdown_threshold: ratioIn(0, 1, { loOpen: true, hiOpen: true }),
  safety_allocation: ratioIn(0, 1),
  no_refill_policy: z.boolean(),
  resume_threshold: ratioIn(0, 1, { loOpen: true }).prefault(0.8),
};

const allocationShape = {
  strategy: z.enum(ALLOCATION_STRATEGIES).default('fixed'),
  rebalance_threshold: ratioIn(0, 1).prefault(0.1),
  rebalance_interval: duration.default(86_400_000),
  module: z.string().min(1).optional(),
};

/**
 * Risk limits (DESIGN.md §11, the launcher's risk management): each one left out is not checked.
 * Exceeding one raises a warning; none of them moves money.
 */
const riskShape = {
  /** Σ position notional ÷ portfolio equity, where positions are known. */
  max_total_exposure: ratioIn(0, 1000, { loOpen: true }).optional(),
  max_bot_leverage: ratioIn(0, 500, { loOpen: true }).optional(),
  /** Above this, a pool's average pairwise correlation of daily returns raises `bots_correlated`. */
  max_correlation: correlationLimit.optional(),
  correlation_window: correlationWindow.optional(),
};

const alertsShape = {
  cooldown: duration.optional(),
  channels: z.array(alertChannel).max(20, 'at most 20 channels').optional(),
};

export const fileSchema = z.strictObject({
  portfolio_id: idText('portfolio id'),
  currency: currencyCode,
  total_capital: amount(),
  emergency_reserve: z.strictObject(emergencyShape),
  pools: z.record(idText('pool name'), z.strictObject(poolShape)),
  loss_recovery: z.strictObject(lossRecoveryShape).optional(),
  compound_threshold: ratioIn(1, 1000, { loOpen: true }).optional(),
  black_swan_protection: z.strictObject(blackSwanShape).optional(),
  emergency_stop: z
    .strictObject({
      max_drawdown_percent: ratioIn(0, 100, { loOpen: true, hiOpen: true }),
      // On entering halted, pause every bot that has a control API (DESIGN.md §11).
      pause_bots: z.boolean().optional(),
    })
    .optional(),
  allocation: z.strictObject(allocationShape).optional(),
  exchanges: z.record(z.string(), z.strictObject(exchangeShape)),
  bots: z.array(z.strictObject(botShape)).min(1, 'at least one bot'),
  monitoring: z
    .strictObject({
      check_interval: checkInterval,
      // A balance more than this many times the bot's last known one is not believed (DESIGN.md §3).
      max_plausible_jump: ratioIn(1, 1_000_000, { loOpen: true }).optional(),
      // How old the cycle's reading of a bot may be for a transfer's guards to re-check on it (DESIGN.md §4).
      fresh_read_max_age: duration.optional(),
      // How often a monitored bot is expected to send a heartbeat; 3 missed make it stale (DESIGN.md §11).
      heartbeat_interval: duration.optional(),
      // How often a bot's own API (Freqtrade) is asked for its health, at most once a cycle.
      health_check_interval: duration.optional(),
    })
    .optional(),
  alerts: z.strictObject(alertsShape).optional(),
  risk: z.strictObject(riskShape).optional(),
});

export type ConfigFile = z.output<typeof fileSchema>;

/** A section that parses on its own, or `undefined` (its problems come from `fileSchema`). */
const kept = <T extends z.ZodType>(schema: T) => schema.optional().catch(undefined);

/**
 * What of a config can be read even when it is invalid: unknown keys are dropped (the strict
 * schema reports them), a section or element that does not parse becomes `undefined`, and a
 * record keeps the names of its entries even when an entry does not parse.
 */
export const lenientFileSchema = z.object({
  currency: kept(currencyCode),
  total_capital: kept(amount()),
  emergency_reserve: kept(z.object(emergencyShape)),
  // A pool's fields are kept one by one: a bad harvest_percentage must not hide its share from
  // the share-sum and over-allocation checks.
  pools: kept(
    z.record(
      z.string(),
      kept(
        z.object({
          share: kept(poolShape.share),
          reserve_ratio: kept(poolShape.reserve_ratio),
          allocation_per_bot: kept(poolShape.allocation_per_bot),
          exchange: kept(poolShape.exchange),
        }),
      ),
    ),
  ),
  loss_recovery: kept(z.object(lossRecoveryShape)),
  compound_threshold: kept(ratioIn(1, 1000, { loOpen: true })),
  black_swan_protection: kept(z.object(blackSwanShape)),
  allocation: kept(z.object(allocationShape)),
  exchanges: kept(z.record(z.string(), kept(z.object(exchangeShape)))),
  bots: kept(z.array(kept(z.object(botShape)))),
  // What the channel rules read: each channel's type and name.
  alerts: kept(
    z.object({
      channels: kept(
        z.array(
          kept(z.object({ type: z.enum(ALERT_CHANNEL_TYPES), name: channelName.optional() })),
        ),
      ),
    }),
  ),
});

/** The readable part of a config; a valid `ConfigFile` is one too. */
export type LenientConfigFile = z.output<typeof lenientFileSchema>;
