/**
 * The rules of a config no schema can express (DESIGN.md §6): shares that sum to 1, exchanges
 * with an adapter and limits in order, pools their bots do not over-allocate, thresholds that
 * leave room to act… (the per-bot rules are in config-bot-rules.ts). Each rule reads the lenient
 * form of the file and runs only when the sections it needs were readable, so an invalid config
 * still gets every check that can be made on it. The order of `RULES` is the report's order.
 */
import { EMERGENCY_RESERVE } from './accounts.ts';
import { poolCapital } from './config-assemble.ts';
import { allocationOf, botProblems, type ReadableBot } from './config-bot-rules.ts';
import {
  isSupportedExchange,
  type LenientConfigFile,
  SUPPORTED_EXCHANGES,
} from './config-schema.ts';
import { VENUE_RULES } from './config-venue-rules.ts';
import { compareRatios, gcd, mulRatio, ratioToFloat, showMoney, sum } from './money.ts';
import type { Problem } from './problems.ts';

/** One semantic rule over the readable part of a config. */
export type Rule = (f: LenientConfigFile) => Problem[];

type Exchange = NonNullable<NonNullable<LenientConfigFile['exchanges']>[string]>;

/** The emergency reserve's share and the pools' shares sum to exactly 1. */
export const sharesSumToOne: Rule = (f) => {
  const er = f.emergency_reserve;
  const pools = f.pools ?? {};
  const shares = Object.values(pools).map((p) => p?.share);
  if (!er || !f.pools || !shares.every((s) => s !== undefined)) return [];
  // Summed exactly over a common denominator: as floats, 0.7 + 0.1 + 0.1 + 0.1 is not 1.
  const all = [er.share, ...shares];
  const den = all.reduce((d, r) => (d * r.den) / gcd(d, r.den), 1n);
  const shareSum = all.reduce((s, r) => s + (r.num * den) / r.den, 0n);
  if (shareSum === den) return [];
  return [
    {
      path: 'pools',
      value: Object.fromEntries([
        ['emergency_reserve', ratioToFloat(er.share)],
        ...Object.entries(pools).map(([k, p]) => [k, p?.share && ratioToFloat(p.share)]),
      ]),
      message: `emergency_reserve.share and the pools' shares must sum to 1 (they sum to ${Number(shareSum) / Number(den)})`,
    },
  ];
};

/** The emergency reserve's minimum fits in its capital (share × total_capital). */
export const emergencyMinimumWithinCapital: Rule = (f) => {
  const er = f.emergency_reserve;
  const T = f.total_capital;
  if (!er || T === undefined) return [];
  const emergencyCapital = mulRatio(T, er.share);
  if (er.minimum <= emergencyCapital) return [];
  return [
    {
      path: 'emergency_reserve.minimum',
      value: showMoney(er.minimum),
      message: `exceeds the emergency reserve's capital ${showMoney(emergencyCapital)} (share × total_capital)`,
    },
  ];
};

/** No pool takes the emergency reserve's name: both would be the one account `reserve:emergency`. */
export const noPoolNamedEmergency: Rule = (f) =>
  Object.hasOwn(f.pools ?? {}, EMERGENCY_RESERVE)
    ? [
        {
          path: `pools.${EMERGENCY_RESERVE}`,
          value: EMERGENCY_RESERVE,
          message: `"${EMERGENCY_RESERVE}" names the emergency reserve: choose another pool name`,
        },
      ]
    : [];

/** Every exchange has an adapter and its limits in order (min ≤ max ≤ daily), exchange by exchange. */
export const exchangesUsable: Rule = (f) =>
  Object.entries(f.exchanges ?? {}).flatMap(([name, e]) =>
    isSupportedExchange(name) ? transferLimitsInOrder(name, e) : [unsupportedExchange(name)],
  );

function unsupportedExchange(name: string): Problem {
  return {
    path: `exchanges.${name}`,
    value: name,
    message: `exchange not supported yet (supported: ${SUPPORTED_EXCHANGES.join(', ')})`,
  };
}

function transferLimitsInOrder(name: string, e: Exchange | undefined): Problem[] {
  if (!e) return [];
  const problems: Problem[] = [];
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
  return problems;
}

/**
 * The currencies whose futures accounts each exchange's adapter reads and moves money into:
 * Bitget's USDT-M and USDC-M products; Binance's USDⓈ-M summary, read as USDT. (OKX and Bybit
 * hold every currency in one account.)
 */
export const FUTURES_CURRENCIES: Readonly<Record<string, readonly string[]>> = {
  bitget: ['USDT', 'USDC'],
  binance: ['USDT'],
};

/**
 * The portfolio's currency can be moved into every futures account the config uses: refused now,
 * not when the first transfer fails.
 */
export const currencyMovable: Rule = (f) => {
  const currency = f.currency;
  if (currency === undefined) return [];
  return Object.entries(f.exchanges ?? {}).flatMap(([name, e]): Problem[] => {
    const allowed = FUTURES_CURRENCIES[name];
    if (allowed === undefined || allowed.includes(currency)) return [];
    const futuresBots = (f.bots ?? []).filter(
      (b) =>
        b?.exchange === name && (b.account_type ?? e?.bot_account_type ?? 'futures') === 'futures',
    );
    const where = [
      ...(futuresBots.length > 0
        ? [`the futures accounts of ${futuresBots.map((b) => b?.bot_id).join(', ')}`]
        : []),
      ...(e?.master_account_type === 'futures' ? ['the master futures account'] : []),
    ];
    if (where.length === 0) return [];
    return [
      {
        path: 'currency',
        value: currency,
        message: `${name} has no futures account in ${currency} for ${where.join(' and ')}: use ${allowed.join(' or ')}, or spot accounts (exchanges.${name}.bot_account_type "spot")`,
      },
    ];
  });
};

/** No pool's bots are allocated more than its deployable capital. */
export const poolsNotOverAllocated: Rule = (f) => {
  const T = f.total_capital;
  const bots = f.bots ?? [];
  // Needs every bot's allocation: skipped while a bot is unreadable.
  if (T === undefined || !bots.every((b): b is ReadableBot => b !== undefined)) return [];
  return Object.entries(f.pools ?? {}).flatMap(([name, p]): Problem[] => {
    if (!p?.share || !p.reserve_ratio || name === EMERGENCY_RESERVE) return [];
    const { deployable } = poolCapital(T, { share: p.share, reserve_ratio: p.reserve_ratio });
    const allocations = bots.filter((b) => b.pool === name).map((b) => allocationOf(f, b));
    const total = sum(allocations.filter((a) => a !== undefined));
    if (total <= deployable) return [];
    return [
      {
        path: `pools.${name}`,
        value: showMoney(total),
        message: `over-allocated: its bots' allocations sum to ${showMoney(total)}, above its deployable capital ${showMoney(deployable)} (share × total_capital × (1 − reserve_ratio))`,
      },
    ];
  });
};

/** The custom strategy names its module. */
export const customStrategyHasModule: Rule = (f) =>
  f.allocation?.strategy === 'custom' && !f.allocation.module
    ? [{ path: 'allocation.module', message: 'required: allocation.strategy is custom' }]
    : [];

/** loss_recovery.refill_target is above intervention_threshold. */
export const refillTargetAboveIntervention: Rule = (f) => {
  const lr = f.loss_recovery;
  if (!lr || compareRatios(lr.refill_target, lr.intervention_threshold) > 0) return [];
  return [
    {
      path: 'loss_recovery.refill_target',
      value: ratioToFloat(lr.refill_target),
      message: `must be above intervention_threshold ${ratioToFloat(lr.intervention_threshold)} (a refill must leave the bot above the point that triggers it)`,
    },
  ];
};

/** black_swan_protection.resume_threshold is above drawdown_threshold. */
export const resumeAboveDrawdown: Rule = (f) => {
  const bs = f.black_swan_protection;
  if (!bs || compareRatios(bs.resume_threshold, bs.drawdown_threshold) > 0) return [];
  return [
    {
      path: 'black_swan_protection.resume_threshold',
      value: ratioToFloat(bs.resume_threshold),
      message: `must be above drawdown_threshold ${ratioToFloat(bs.drawdown_threshold)} (else protection would end as soon as it starts)`,
    },
  ];
};

/**
 * Every alert channel has a name of its own: it names the channel's secret and env vars, so two
 * channels of one type need names (`name`), else they would share one token.
 */
export const alertChannelNamesUnique: Rule = (f) => {
  const seen = new Map<string, number>();
  return (f.alerts?.channels ?? []).flatMap((c, i): Problem[] => {
    if (!c) return [];
    const name = c.name ?? c.type;
    const first = seen.get(name);
    if (first === undefined) {
      seen.set(name, i);
      return [];
    }
    return [
      {
        path: `alerts.channels[${i}]${c.name === undefined ? '' : '.name'}`,
        value: name,
        message: `channel name already taken by alerts.channels[${first}]: give each channel its own "name" (it names the channel's secret)`,
      },
    ];
  });
};

/** Every rule, in the order its problems are reported. */
export const RULES: readonly Rule[] = [
  sharesSumToOne,
  emergencyMinimumWithinCapital,
  noPoolNamedEmergency,
  exchangesUsable,
  currencyMovable,
  ...VENUE_RULES,
  botProblems,
  poolsNotOverAllocated,
  customStrategyHasModule,
  refillTargetAboveIntervention,
  resumeAboveDrawdown,
  alertChannelNamesUnique,
];

/** The problems every rule finds in the readable part of a config, without repeats. */
export function semanticProblems(f: LenientConfigFile): Problem[] {
  return dedupe(RULES.flatMap((rule) => rule(f)));
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
