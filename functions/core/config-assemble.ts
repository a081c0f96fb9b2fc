/**
 * From a config file that passed every check to the typed `Config` the core reads: snake_case
 * becomes camelCase, defaults are filled in, and each pool's capital is worked out once here, in
 * exact money, so no caller multiplies shares again.
 */
import { EMERGENCY_RESERVE, emergencyPartName } from './accounts.ts';
import type {
  AlertChannelConfig,
  BotConfig,
  BotHealthConfig,
  Config,
  EmergencyPart,
  ExchangeName,
  ExchangeSettings,
  PoolConfig,
} from './config.ts';
import { type ConfigFile, isSupportedExchange } from './config-schema.ts';
import { DAY_MS, DEFAULT_CORRELATION_WINDOW_DAYS } from './duration.ts';
import { gcd, type Money, min, mulRatio, type Ratio, ratio, sub, sum, ZERO } from './money.ts';

/** `share × T`, and of it `share × T × (1 − reserve_ratio)`, what the pool's bots may be allocated. */
export function poolCapital(T: Money, p: { share: Ratio; reserve_ratio: Ratio }) {
  const capital = mulRatio(T, p.share);
  return { capital, deployable: sub(capital, mulRatio(capital, p.reserve_ratio)) };
}

/**
 * The primary exchange: the one marked `primary`, else the only one (validation asks for a mark
 * when there are several; the first is a fallback for a file that did not pass it).
 */
export function primaryOf(
  exchanges: Readonly<Record<string, { primary?: boolean | undefined } | undefined>>,
): string | undefined {
  const names = Object.keys(exchanges);
  return names.find((n) => exchanges[n]?.primary === true) ?? names[0];
}

/**
 * The emergency reserve split across `exchanges` (every one gets a part, share 0 when the split
 * leaves it out). Shares are taken over their sum, so a split within 1e-9 of 1 never gives out
 * more than there is; each other part is rounded down, and the primary's part is what remains:
 * the parts add up to the whole, exactly.
 */
export function emergencyParts(
  whole: { capital: Money; minimum: Money },
  split: Readonly<Record<string, Ratio>> | undefined,
  exchanges: readonly ExchangeName[],
  primary: ExchangeName,
): EmergencyPart[] {
  const shares = new Map<ExchangeName, Ratio>(
    exchanges.map((x) => [x, split ? (split[x] ?? ratio(0)) : ratio(x === primary ? 1 : 0)]),
  );
  const den = [...shares.values()].reduce((d, r) => (d * r.den) / gcd(d, r.den), 1n);
  const total = [...shares.values()].reduce((n, r) => n + (r.num * den) / r.den, 0n);
  // Over the sum: share / Σ shares (a split of nothing but zeros leaves it all on the primary).
  const part = (m: Money, r: Ratio): Money =>
    total === 0n ? ZERO : mulRatio(m, { num: r.num * den, den: r.den * total });
  const others = exchanges
    .filter((x) => x !== primary)
    .map((x) => {
      const share = shares.get(x) ?? ratio(0);
      const capital = part(whole.capital, share);
      return {
        exchange: x,
        reserve: emergencyPartName(x),
        share,
        capital,
        minimum: min(capital, part(whole.minimum, share)),
      };
    });
  const capital = sub(whole.capital, sum(others.map((o) => o.capital)));
  const minimum = min(capital, sub(whole.minimum, sum(others.map((o) => o.minimum))));
  return [
    {
      exchange: primary,
      reserve: EMERGENCY_RESERVE,
      share: shares.get(primary) ?? ratio(0),
      capital,
      minimum,
    },
    ...others,
  ];
}

/** The typed config of a file that passed every check. */
export function assemble(f: ConfigFile): Config {
  const T = f.total_capital;
  const primaryExchange = (primaryOf(f.exchanges) ?? 'bitget') as ExchangeName;
  const pools = new Map<string, PoolConfig>();
  for (const [name, p] of Object.entries(f.pools)) {
    pools.set(name, {
      name,
      share: p.share,
      reserveRatio: p.reserve_ratio,
      harvestThreshold: p.harvest_threshold,
      harvestPercentage: p.harvest_percentage,
      allocationPerBot: p.allocation_per_bot,
      marginMode: p.margin_mode,
      maxLeverage: p.max_leverage,
      ...poolCapital(T, p),
      exchange: (p.exchange ?? primaryExchange) as ExchangeName,
    });
  }

  const exchanges = new Map<ExchangeName, ExchangeSettings>();
  for (const [name, e] of Object.entries(f.exchanges)) {
    if (!isSupportedExchange(name)) continue; // refused by semanticProblems
    exchanges.set(name, {
      name,
      transferFee: e.transfer_fee,
      minTransfer: e.min_transfer,
      maxTransfer: e.max_transfer,
      dailyTransferLimit: e.daily_transfer_limit,
      precision: e.precision,
      botAccountType: e.bot_account_type ?? 'futures',
      masterAccountType: e.master_account_type ?? 'spot',
      primary: name === primaryExchange,
    });
  }

  const bots: BotConfig[] = [];
  for (const b of f.bots) {
    const allocation = b.allocation ?? pools.get(b.pool)?.allocationPerBot;
    if (allocation === undefined) continue; // refused by semanticProblems
    bots.push({
      botId: b.bot_id,
      pool: b.pool,
      exchange: b.exchange as ExchangeName,
      account: b.account,
      allocation,
      weight: b.weight,
      enabled: b.enabled,
      accountType:
        b.account_type ?? exchanges.get(b.exchange as ExchangeName)?.botAccountType ?? 'futures',
      health: healthOf(b.health),
    });
  }

  const lr = f.loss_recovery;
  const bs = f.black_swan_protection;
  const emergency = {
    capital: mulRatio(T, f.emergency_reserve.share),
    minimum: f.emergency_reserve.minimum,
  };
  return {
    portfolioId: f.portfolio_id,
    currency: f.currency,
    totalCapital: T,
    emergencyReserve: {
      share: f.emergency_reserve.share,
      ...emergency,
      parts: emergencyParts(
        emergency,
        f.emergency_reserve.split,
        [...exchanges.keys()],
        primaryExchange,
      ),
    },
    primaryExchange,
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
      pauseBots: f.emergency_stop.pause_bots ?? false,
    },
    allocation: {
      strategy: f.allocation?.strategy ?? 'fixed',
      rebalanceThreshold: f.allocation?.rebalance_threshold ?? ratio(0.1),
      rebalanceIntervalMs: f.allocation?.rebalance_interval ?? 86_400_000,
      module: f.allocation?.module,
    },
    exchanges,
    bots,
    checkIntervalMs: f.monitoring?.check_interval ?? 15 * 60_000,
    maxPlausibleJump: f.monitoring?.max_plausible_jump ?? ratio(10),
    freshReadMaxAgeMs: f.monitoring?.fresh_read_max_age ?? 60_000,
    heartbeatIntervalMs: f.monitoring?.heartbeat_interval ?? 30_000,
    healthCheckIntervalMs: f.monitoring?.health_check_interval ?? 60_000,
    alertCooldownMs: f.alerts?.cooldown ?? 60 * 60_000,
    risk: {
      maxTotalExposure: f.risk?.max_total_exposure,
      maxBotLeverage: f.risk?.max_bot_leverage,
      maxCorrelation: f.risk?.max_correlation,
      correlationWindowDays:
        f.risk?.correlation_window === undefined
          ? DEFAULT_CORRELATION_WINDOW_DAYS
          : f.risk.correlation_window / DAY_MS,
    },
    alertChannels: (f.alerts?.channels ?? []).map(alertChannel),
  };
}

/** Telegram's own Bot API server. */
export const TELEGRAM_API_URL = 'https://api.telegram.org';

type ChannelFile = NonNullable<NonNullable<ConfigFile['alerts']>['channels']>[number];

function alertChannel(c: ChannelFile): AlertChannelConfig {
  const base = { name: c.name ?? c.type, minSeverity: c.min_severity };
  switch (c.type) {
    case 'telegram':
      return {
        ...base,
        type: c.type,
        chatId: String(c.chat_id),
        // Without a trailing slash: the method's path is appended.
        apiUrl: (c.api_url ?? TELEGRAM_API_URL).replace(/\/+$/, ''),
      };
    case 'webhook':
      return { ...base, type: c.type, url: c.url };
    default:
      return { ...base, type: c.type };
  }
}

/** A bot's health sources; undefined when it names none (not monitored). */
function healthOf(h: ConfigFile['bots'][number]['health']): BotHealthConfig | undefined {
  if (!h || (h.heartbeat !== true && h.freqtrade === undefined)) return undefined;
  return {
    heartbeat: h.heartbeat === true,
    freqtrade: h.freqtrade && {
      url: h.freqtrade.url,
      user: h.freqtrade.user,
      passwordSecret: h.freqtrade.password_secret,
    },
    maxErrorsPerHour: h.max_errors_per_hour ?? 10,
  };
}
