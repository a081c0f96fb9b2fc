/**
 * The config file (DESIGN.md §6, a contract): parsed once, at the edge, into typed values with
 * exact money and ratios. Unknown keys are refused — a typo in a money setting must not pass
 * silently — and every problem names its path, the bad value and what was expected. Schema
 * problems and semantic ones (share sum, unknown pool, over-allocation…) are reported together,
 * so one run of `botfolio validate` lists everything to fix.
 */
import { assemble, poolCapital } from './config-assemble.ts';
import {
  type ACCOUNT_TYPES,
  type ALLOCATION_STRATEGIES,
  fileSchema,
  isSupportedExchange,
  type LenientConfigFile,
  lenientFileSchema,
  SUPPORTED_EXCHANGES,
} from './config-schema.ts';
import {
  compareRatios,
  floorToDecimals,
  type Money,
  mulRatio,
  type Ratio,
  ratioToFloat,
  showMoney,
  sum,
} from './money.ts';
import { InvalidConfigError, type Problem, zodProblems } from './problems.ts';

/** An exchange with an adapter: one the config may name. */
export type ExchangeName = (typeof SUPPORTED_EXCHANGES)[number];
export type AllocationStrategy = (typeof ALLOCATION_STRATEGIES)[number];
/** The account inside an exchange account that transfers move money in and out of. */
export type AccountType = (typeof ACCOUNT_TYPES)[number];

/** The reserve that is not a pool's: no pool may take its name. */
const EMERGENCY = 'emergency';

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
  /** Bots' account type unless a bot says otherwise (`bot_account_type`, default futures). */
  readonly botAccountType: AccountType;
  /** Where the master keeps the reserves (`master_account_type`, default spot). */
  readonly masterAccountType: AccountType;
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

/** Parses and validates a config; throws InvalidConfigError listing every problem. */
export function parseConfig(input: unknown): Config {
  const parsed = fileSchema.safeParse(input, { reportInput: true });
  if (!parsed.success) {
    // Report what the semantic checks can still see beside the schema's problems.
    const readable = lenientFileSchema.safeParse(input);
    const more = readable.success ? semanticProblems(readable.data) : [];
    throw new InvalidConfigError([...zodProblems(parsed.error), ...more]);
  }
  const problems = semanticProblems(parsed.data);
  if (problems.length > 0) throw new InvalidConfigError(problems);
  return assemble(parsed.data);
}

/**
 * The rules no schema can express. Each runs when the sections it needs were readable, so an
 * invalid config still gets every check that can be made on it.
 */
function semanticProblems(f: LenientConfigFile): Problem[] {
  const problems: Problem[] = [];
  const T = f.total_capital;
  const pools = f.pools ?? {};
  const poolNames = Object.keys(pools);
  const exchanges = f.exchanges ?? {};
  const bots = f.bots ?? [];
  const strategy = f.allocation?.strategy ?? 'fixed';

  const shares = Object.values(pools).map((p) => p?.share);
  const er = f.emergency_reserve;
  if (er && f.pools && shares.every((s) => s !== undefined)) {
    const all = [er.share, ...shares];
    const den = all.reduce((d, r) => (d * r.den) / gcd(d, r.den), 1n);
    const shareSum = all.reduce((s, r) => s + (r.num * den) / r.den, 0n);
    if (shareSum !== den) {
      problems.push({
        path: 'pools',
        value: Object.fromEntries([
          ['emergency_reserve', ratioToFloat(er.share)],
          ...Object.entries(pools).map(([k, p]) => [k, p?.share && ratioToFloat(p.share)]),
        ]),
        message: `emergency_reserve.share and the pools' shares must sum to 1 (they sum to ${Number(shareSum) / Number(den)})`,
      });
    }
  }

  if (er && T !== undefined) {
    const emergencyCapital = mulRatio(T, er.share);
    if (er.minimum > emergencyCapital) {
      problems.push({
        path: 'emergency_reserve.minimum',
        value: showMoney(er.minimum),
        message: `exceeds the emergency reserve's capital ${showMoney(emergencyCapital)} (share × total_capital)`,
      });
    }
  }

  if (Object.hasOwn(pools, EMERGENCY)) {
    problems.push({
      path: `pools.${EMERGENCY}`,
      value: EMERGENCY,
      message: `"${EMERGENCY}" names the emergency reserve: choose another pool name`,
    });
  }

  for (const [name, e] of Object.entries(exchanges)) {
    if (!isSupportedExchange(name)) {
      problems.push({
        path: `exchanges.${name}`,
        value: name,
        message: `exchange not supported yet (supported: ${SUPPORTED_EXCHANGES.join(', ')})`,
      });
      continue;
    }
    if (e && e.min_transfer > e.max_transfer) {
      problems.push({
        path: `exchanges.${name}.min_transfer`,
        value: showMoney(e.min_transfer),
        message: `must not exceed max_transfer ${showMoney(e.max_transfer)}`,
      });
    }
    if (e && e.max_transfer > e.daily_transfer_limit) {
      problems.push({
        path: `exchanges.${name}.max_transfer`,
        value: showMoney(e.max_transfer),
        message: `must not exceed daily_transfer_limit ${showMoney(e.daily_transfer_limit)}`,
      });
    }
  }

  const seenIds = new Map<string, number>();
  const seenAccounts = new Map<string, number>();
  /** Each readable bot's allocation by pool, or undefined where it cannot be known. */
  const allocated = new Map<string, Money[]>();
  bots.forEach((b, i) => {
    if (!b) return;
    const at = `bots[${i}]`;
    const poolKnown = Object.hasOwn(pools, b.pool) && b.pool !== EMERGENCY;
    const pool = poolKnown ? pools[b.pool] : undefined;
    if (f.pools && !poolKnown) {
      problems.push({
        path: `${at}.pool`,
        value: b.pool,
        message: `unknown pool (pools: ${poolNames.filter((n) => n !== EMERGENCY).join(', ') || 'none'})`,
      });
    }
    if (f.exchanges && !Object.hasOwn(exchanges, b.exchange)) {
      problems.push({
        path: `${at}.exchange`,
        value: b.exchange,
        message: `unknown exchange (exchanges: ${Object.keys(exchanges).join(', ') || 'none'})`,
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
    const allocation = b.allocation ?? pool?.allocation_per_bot;
    if (pool && allocation === undefined) {
      problems.push({
        path: `${at}.allocation`,
        message: `required: the bot has no allocation and pool "${b.pool}" has no allocation_per_bot`,
      });
    }
    const exchange = Object.hasOwn(exchanges, b.exchange) ? exchanges[b.exchange] : undefined;
    if (allocation !== undefined && exchange) {
      const movable = floorToDecimals(allocation, exchange.precision);
      if (movable < exchange.min_transfer) {
        problems.push({
          path:
            b.allocation === undefined ? `pools.${b.pool}.allocation_per_bot` : `${at}.allocation`,
          value: showMoney(allocation),
          message: `below exchanges.${b.exchange}.min_transfer ${showMoney(exchange.min_transfer)} (at its precision of ${exchange.precision} decimals): bot "${b.bot_id}" could never be funded`,
        });
      }
    }
    if (strategy === 'fixed_percentage' && b.weight === undefined) {
      problems.push({
        path: `${at}.weight`,
        message: 'required: allocation.strategy is fixed_percentage',
      });
    }
    if (poolKnown) {
      const list = allocated.get(b.pool) ?? [];
      if (allocation !== undefined) list.push(allocation);
      allocated.set(b.pool, list);
    }
  });

  // Over-allocation needs every bot's allocation: skipped while a bot is unreadable.
  if (T !== undefined && bots.every((b) => b !== undefined)) {
    for (const [name, p] of Object.entries(pools)) {
      if (!p?.share || !p.reserve_ratio || name === EMERGENCY) continue;
      const { deployable } = poolCapital(T, { share: p.share, reserve_ratio: p.reserve_ratio });
      const total = sum(allocated.get(name) ?? []);
      if (total > deployable) {
        problems.push({
          path: `pools.${name}`,
          value: showMoney(total),
          message: `over-allocated: its bots' allocations sum to ${showMoney(total)}, above its deployable capital ${showMoney(deployable)} (share × total_capital × (1 − reserve_ratio))`,
        });
      }
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
      value: ratioToFloat(lr.refill_target),
      message: `must be above intervention_threshold ${ratioToFloat(lr.intervention_threshold)} (a refill must leave the bot above the point that triggers it)`,
    });
  }
  const bs = f.black_swan_protection;
  if (bs && compareRatios(bs.resume_threshold, bs.drawdown_threshold) <= 0) {
    problems.push({
      path: 'black_swan_protection.resume_threshold',
      value: ratioToFloat(bs.resume_threshold),
      message: `must be above drawdown_threshold ${ratioToFloat(bs.drawdown_threshold)} (else protection would end as soon as it starts)`,
    });
  }
  return dedupe(problems);
}

/** Drops repeats (several bots can share one bad `allocation_per_bot`). */
function dedupe(problems: Problem[]): Problem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.path}\u0000${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function gcd(a: bigint, b: bigint): bigint {
  return b === 0n ? a : gcd(b, a % b);
}

/** Names every ledger account of a portfolio: the allowlist of transfer ends. */
export function ledgerAccounts(config: Config): string[] {
  return [
    `reserve:${EMERGENCY}`,
    ...[...config.pools.keys()].map((p) => `reserve:${p}`),
    ...config.bots.map((b) => `bot:${b.botId}`),
  ];
}
