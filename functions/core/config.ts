/**
 * The config file (DESIGN.md §6, a contract): parsed once, at the edge, into typed values with
 * exact money and ratios. Unknown keys are refused — a typo in a money setting must not pass
 * silently — and every problem names its path, the bad value and what was expected.
 */
import { z } from 'zod';
import { DURATION_PATTERN, parseDuration } from './duration.ts';
import {
  compareRatios,
  InvalidAmountError,
  type Money,
  money,
  mulRatio,
  type Ratio,
  ratio,
  showMoney,
  sub,
  sum,
} from './money.ts';

/** Exchanges with an adapter; the config may name only these. */
export const SUPPORTED_EXCHANGES = ['bitget', 'paper'] as const;
export type ExchangeName = (typeof SUPPORTED_EXCHANGES)[number];
export const ALLOCATION_STRATEGIES = [
  'fixed',
  'equal_weight',
  'fixed_percentage',
  'performance_based',
  'risk_weighted',
  'custom',
] as const;
export type AllocationStrategy = (typeof ALLOCATION_STRATEGIES)[number];

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

/** An exact ratio within [lo, hi] (inclusive unless said otherwise). */
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
    const x = Number(r.num) / Number(r.den);
    const below = opts.loOpen ? x <= lo : x < lo;
    const above = opts.hiOpen ? x >= hi : x > hi;
    if (below || above) {
      ctx.issues.push({ code: 'custom', input: v, message: `expected a number in ${range}` });
      return z.NEVER;
    }
    return r;
  });

const duration = z
  .string()
  .regex(DURATION_PATTERN, 'a duration such as "30s", "15m", "1h" or "1d"')
  .transform(parseDuration)
  .refine((ms) => ms > 0, 'a duration longer than zero');

const poolSchema = z.strictObject({
  share: ratioIn(0, 1, { loOpen: true }),
  reserve_ratio: ratioIn(0, 1, { hiOpen: true }),
  harvest_threshold: ratioIn(1, 100, { loOpen: true }),
  harvest_percentage: ratioIn(0, 1),
  allocation_per_bot: amount().optional(),
  margin_mode: z.enum(['cross', 'isolated']).optional(),
  max_leverage: z.number().positive().max(500).optional(),
});

const exchangeSchema = z.strictObject({
  transfer_fee: ratioIn(0, 1).optional(),
  min_transfer: amount(),
  max_transfer: amount(),
  daily_transfer_limit: amount(),
  /** Decimals the exchange accepts in a transfer amount (an extension; default 8). */
  precision: z.number().int().min(0).max(8).default(8),
});

const botSchema = z.strictObject({
  bot_id: idText('bot id'),
  pool: z.string(),
  exchange: z.string(),
  account: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'a sub-account UID'),
  allocation: amount().optional(),
  weight: ratioIn(0, 1, { loOpen: true }).optional(),
  enabled: z.boolean().default(true),
});

const fileSchema = z.strictObject({
  portfolio_id: idText('portfolio id'),
  currency: z.string().regex(/^[A-Z0-9]{2,10}$/, 'a currency code such as "USDT"'),
  total_capital: amount(),
  emergency_reserve: z.strictObject({
    share: ratioIn(0, 1),
    minimum: amount({ allowZero: true }),
  }),
  pools: z.record(idText('pool name'), poolSchema),
  loss_recovery: z
    .strictObject({
      enabled: z.boolean(),
      intervention_threshold: ratioIn(0, 1, { hiOpen: true }),
      refill_target: ratioIn(0, 1, { loOpen: true }),
      max_refills: z.number().int().min(0),
    })
    .optional(),
  compound_threshold: ratioIn(1, 1000, { loOpen: true }).optional(),
  black_swan_protection: z
    .strictObject({
      enabled: z.boolean(),
      drawdown_threshold: ratioIn(0, 1, { loOpen: true, hiOpen: true }),
      safety_allocation: ratioIn(0, 1),
      no_refill_policy: z.boolean(),
      resume_threshold: ratioIn(0, 1, { loOpen: true }).prefault(0.8),
    })
    .optional(),
  emergency_stop: z
    .strictObject({ max_drawdown_percent: ratioIn(0, 100, { loOpen: true, hiOpen: true }) })
    .optional(),
  allocation: z
    .strictObject({
      strategy: z.enum(ALLOCATION_STRATEGIES).default('fixed'),
      rebalance_threshold: ratioIn(0, 1).prefault(0.1),
      rebalance_interval: duration.default(86_400_000),
      module: z.string().min(1).optional(),
    })
    .optional(),
  exchanges: z.record(z.string(), exchangeSchema),
  bots: z.array(botSchema).min(1, 'at least one bot'),
  monitoring: z.strictObject({ check_interval: duration }).optional(),
  alerts: z.strictObject({ cooldown: duration }).optional(),
});

type ConfigFile = z.output<typeof fileSchema>;

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
}

export interface ExchangeSettings {
  readonly name: ExchangeName;
  readonly transferFee: Ratio | undefined;
  readonly minTransfer: Money;
  readonly maxTransfer: Money;
  readonly dailyTransferLimit: Money;
  readonly precision: number;
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
}

export interface Config {
  readonly portfolioId: string;
  readonly currency: string;
  readonly totalCapital: Money;
  readonly emergencyReserve: {
    readonly share: Ratio;
    readonly minimum: Money;
    readonly capital: Money;
  };
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
  readonly emergencyStop: { readonly maxDrawdownPercent: Ratio } | undefined;
  readonly allocation: {
    readonly strategy: AllocationStrategy;
    readonly rebalanceThreshold: Ratio;
    readonly rebalanceIntervalMs: number;
    readonly module: string | undefined;
  };
  readonly exchanges: ReadonlyMap<ExchangeName, ExchangeSettings>;
  readonly bots: readonly BotConfig[];
  readonly checkIntervalMs: number;
  readonly alertCooldownMs: number;
}

/** One problem in a config or state file: where, what was there, what was expected. */
export interface Problem {
  readonly path: string;
  readonly value?: unknown;
  readonly message: string;
}

export class InvalidConfigError extends Error {
  readonly problems: readonly Problem[];
  constructor(problems: readonly Problem[], what = 'config') {
    super(`invalid ${what}:\n${problems.map(formatProblem).join('\n')}`);
    this.name = 'InvalidConfigError';
    this.problems = problems;
  }
}

export function formatProblem(p: Problem): string {
  const got = p.value === undefined ? '' : ` (got ${JSON.stringify(p.value)})`;
  return `  ${p.path || '(top level)'}: ${p.message}${got}`;
}

/** `pools.low_frequency.share`, `bots[2].allocation` */
export function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((k, i) => (typeof k === 'number' ? `[${k}]` : `${i === 0 ? '' : '.'}${String(k)}`))
    .join('');
}

/** Turns zod issues into problems a person can act on. */
export function zodProblems(error: z.ZodError): Problem[] {
  return error.issues.map((issue) => {
    const path = formatPath(issue.path);
    let message = issue.message;
    if (issue.code === 'unrecognized_keys') {
      message = `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')} (a typo?)`;
      return { path, message };
    }
    if (issue.code === 'invalid_type' && issue.input === undefined)
      message = `required: ${message.replace(/, received undefined$/, '')}`;
    if (issue.code === 'invalid_format' || issue.code === 'invalid_value')
      message = `expected ${message.replace(/^Invalid (string|input): /, '')}`;
    return 'input' in issue && issue.input !== undefined
      ? { path, value: issue.input, message }
      : { path, message };
  });
}

/** Parses and validates a config; throws InvalidConfigError listing every problem. */
export function parseConfig(input: unknown): Config {
  const parsed = fileSchema.safeParse(input, { reportInput: true });
  if (!parsed.success) throw new InvalidConfigError(zodProblems(parsed.error));
  const problems: Problem[] = [];
  const config = build(parsed.data, problems);
  if (problems.length > 0) throw new InvalidConfigError(problems);
  return config;
}

function build(f: ConfigFile, problems: Problem[]): Config {
  const T = f.total_capital;
  const shares = [f.emergency_reserve.share, ...Object.values(f.pools).map((p) => p.share)];
  const den = shares.reduce((d, r) => (d * r.den) / gcd(d, r.den), 1n);
  const shareSum = shares.reduce((s, r) => s + (r.num * den) / r.den, 0n);
  if (shareSum !== den) {
    problems.push({
      path: 'pools',
      value: Object.fromEntries([
        [
          'emergency_reserve',
          Number(f.emergency_reserve.share.num) / Number(f.emergency_reserve.share.den),
        ],
        ...Object.entries(f.pools).map(([k, p]) => [k, Number(p.share.num) / Number(p.share.den)]),
      ]),
      message: `emergency_reserve.share and the pools' shares must sum to 1 (they sum to ${Number(shareSum) / Number(den)})`,
    });
  }

  const emergencyCapital = mulRatio(T, f.emergency_reserve.share);
  if (f.emergency_reserve.minimum > emergencyCapital) {
    problems.push({
      path: 'emergency_reserve.minimum',
      value: showMoney(f.emergency_reserve.minimum),
      message: `exceeds the emergency reserve's capital ${showMoney(emergencyCapital)} (share × total_capital)`,
    });
  }

  const pools = new Map<string, PoolConfig>();
  for (const [name, p] of Object.entries(f.pools)) {
    const capital = mulRatio(T, p.share);
    const keep = mulRatio(capital, p.reserve_ratio);
    pools.set(name, {
      name,
      share: p.share,
      reserveRatio: p.reserve_ratio,
      harvestThreshold: p.harvest_threshold,
      harvestPercentage: p.harvest_percentage,
      allocationPerBot: p.allocation_per_bot,
      marginMode: p.margin_mode,
      maxLeverage: p.max_leverage,
      capital,
      deployable: sub(capital, keep),
    });
  }

  const exchanges = new Map<ExchangeName, ExchangeSettings>();
  for (const [name, e] of Object.entries(f.exchanges)) {
    if (!(SUPPORTED_EXCHANGES as readonly string[]).includes(name)) {
      problems.push({
        path: `exchanges.${name}`,
        message: `exchange not supported yet (supported: ${SUPPORTED_EXCHANGES.join(', ')})`,
      });
      continue;
    }
    if (e.min_transfer > e.max_transfer) {
      problems.push({
        path: `exchanges.${name}.min_transfer`,
        value: showMoney(e.min_transfer),
        message: `must not exceed max_transfer ${showMoney(e.max_transfer)}`,
      });
    }
    if (e.max_transfer > e.daily_transfer_limit) {
      problems.push({
        path: `exchanges.${name}.max_transfer`,
        value: showMoney(e.max_transfer),
        message: `must not exceed daily_transfer_limit ${showMoney(e.daily_transfer_limit)}`,
      });
    }
    exchanges.set(name as ExchangeName, {
      name: name as ExchangeName,
      transferFee: e.transfer_fee,
      minTransfer: e.min_transfer,
      maxTransfer: e.max_transfer,
      dailyTransferLimit: e.daily_transfer_limit,
      precision: e.precision,
    });
  }

  const strategy = f.allocation?.strategy ?? 'fixed';
  const bots: BotConfig[] = [];
  const seenIds = new Map<string, number>();
  const seenAccounts = new Map<string, number>();
  f.bots.forEach((b, i) => {
    const at = `bots[${i}]`;
    const pool = pools.get(b.pool);
    if (!pool) {
      problems.push({
        path: `${at}.pool`,
        value: b.pool,
        message: `unknown pool (pools: ${[...pools.keys()].join(', ')})`,
      });
    }
    if (!f.exchanges[b.exchange]) {
      problems.push({
        path: `${at}.exchange`,
        value: b.exchange,
        message: `unknown exchange (exchanges: ${Object.keys(f.exchanges).join(', ') || 'none'})`,
      });
    }
    const first = seenIds.get(b.bot_id);
    if (first !== undefined) {
      problems.push({
        path: `${at}.bot_id`,
        value: b.bot_id,
        message: `duplicate of bots[${first}].bot_id`,
      });
    } else seenIds.set(b.bot_id, i);
    const firstAccount = seenAccounts.get(`${b.exchange}:${b.account}`);
    if (firstAccount !== undefined) {
      problems.push({
        path: `${at}.account`,
        value: b.account,
        message: `the same sub-account as bots[${firstAccount}] (each bot needs its own)`,
      });
    } else seenAccounts.set(`${b.exchange}:${b.account}`, i);
    const allocation = b.allocation ?? pool?.allocationPerBot;
    if (pool && allocation === undefined) {
      problems.push({
        path: `${at}.allocation`,
        message: `required: the bot has no allocation and pool "${b.pool}" has no allocation_per_bot`,
      });
    }
    if (strategy === 'fixed_percentage' && b.weight === undefined) {
      problems.push({
        path: `${at}.weight`,
        message: 'required: allocation.strategy is fixed_percentage',
      });
    }
    if (pool && allocation !== undefined) {
      bots.push({
        botId: b.bot_id,
        pool: b.pool,
        exchange: b.exchange as ExchangeName,
        account: b.account,
        allocation,
        weight: b.weight,
        enabled: b.enabled,
      });
    }
  });

  for (const pool of pools.values()) {
    const inPool = bots.filter((b) => b.pool === pool.name);
    const allocated = sum(inPool.map((b) => b.allocation));
    if (allocated > pool.deployable) {
      problems.push({
        path: `pools.${pool.name}`,
        value: showMoney(allocated),
        message: `over-allocated: its bots' allocations sum to ${showMoney(allocated)}, above its deployable capital ${showMoney(pool.deployable)} (share × total_capital × (1 − reserve_ratio))`,
      });
    }
  }

  if (strategy === 'custom' && !f.allocation?.module) {
    problems.push({
      path: 'allocation.module',
      message: 'required: allocation.strategy is custom',
    });
  }
  const lr = f.loss_recovery;
  if (lr && compareRatios(lr.refill_target, lr.intervention_threshold) <= 0) {
    problems.push({
      path: 'loss_recovery.refill_target',
      message:
        'must be above intervention_threshold (a refill must leave the bot above the point that triggers it)',
    });
  }
  const bs = f.black_swan_protection;
  if (bs && compareRatios(bs.resume_threshold, bs.drawdown_threshold) <= 0) {
    problems.push({
      path: 'black_swan_protection.resume_threshold',
      message: 'must be above drawdown_threshold (else protection would end as soon as it starts)',
    });
  }

  return {
    portfolioId: f.portfolio_id,
    currency: f.currency,
    totalCapital: T,
    emergencyReserve: {
      share: f.emergency_reserve.share,
      minimum: f.emergency_reserve.minimum,
      capital: emergencyCapital,
    },
    pools,
    lossRecovery: lr && {
      enabled: lr.enabled,
      interventionThreshold: lr.intervention_threshold,
      refillTarget: lr.refill_target,
      maxRefills: lr.max_refills,
    },
    compoundThreshold: f.compound_threshold,
    blackSwan: bs && {
      enabled: bs.enabled,
      drawdownThreshold: bs.drawdown_threshold,
      safetyAllocation: bs.safety_allocation,
      noRefillPolicy: bs.no_refill_policy,
      resumeThreshold: bs.resume_threshold,
    },
    emergencyStop: f.emergency_stop && {
      maxDrawdownPercent: f.emergency_stop.max_drawdown_percent,
    },
    allocation: {
      strategy,
      rebalanceThreshold: f.allocation?.rebalance_threshold ?? ratio(0.1),
      rebalanceIntervalMs: f.allocation?.rebalance_interval ?? 86_400_000,
      module: f.allocation?.module,
    },
    exchanges,
    bots,
    checkIntervalMs: f.monitoring?.check_interval ?? 15 * 60_000,
    alertCooldownMs: f.alerts?.cooldown ?? 60 * 60_000,
  };
}

function gcd(a: bigint, b: bigint): bigint {
  return b === 0n ? a : gcd(b, a % b);
}

/** Names every ledger account of a portfolio: the allowlist of transfer ends. */
export function ledgerAccounts(config: Config): string[] {
  return [
    'reserve:emergency',
    ...[...config.pools.keys()].map((p) => `reserve:${p}`),
    ...config.bots.map((b) => `bot:${b.botId}`),
  ];
}
