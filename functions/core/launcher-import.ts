/**
 * The launcher's portfolio file (spec/portfolio-launcher-readme.md) turned into a Botfolio config
 * (DESIGN.md §6), for `botfolio import-launcher`. What the launcher says is carried over; what
 * Botfolio needs and the launcher never knew (sub-accounts, the exchange's limits, the capital
 * layout of reserves and pools) becomes a placeholder, a string `<fill in: …>` that every one of
 * its keys refuses — so `botfolio validate` fails, naming each one, until the trader fills it in:
 * an imported config is never silently valid.
 *
 * The launcher's `profit_sharing` has no key of its own here: Botfolio's answer to "what happens
 * to profit" is the harvest into the pool's reserve plus the allocation strategy (DESIGN.md §3),
 * and `profitSharingNote` says how the one maps onto the other.
 */
import { SUPPORTED_EXCHANGES } from './config-schema.ts';
import type { LauncherFile } from './launcher-file.ts';

export { isPlaceholder } from './problems.ts';

/** A value the trader must still give, refused by the key it stands in. */
export const placeholder = (what: string) => `<fill in: ${what}>`;

/** One blank of the imported config: where it is and what goes there. */
export interface Blank {
  /** `bots[0].account`; for the exchange, its key under `exchanges` is a blank too. */
  readonly path: string;
  readonly what: string;
}

export interface ImportedConfig {
  /** The Botfolio config, with placeholders where `blanks` say. */
  readonly config: Record<string, unknown>;
  readonly blanks: readonly Blank[];
  /** What was carried over, mapped, assumed or left out: the trader's notes, one line each. */
  readonly notes: readonly string[];
}

/** The one pool every imported bot starts in: the launcher has no pools. */
export const IMPORTED_POOL = 'main';

/** `portfolio_id` from the launcher file's name: its letters, digits, `_`, `.`, `-`. */
export function portfolioIdOf(fileName: string): string {
  const base = fileName.replace(/^.*[\\/]/, '').replace(/\.json$/i, '');
  const id = base
    .replace(/[^A-Za-z0-9_.-]+/g, '_')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 64);
  return id === '' ? 'main' : id;
}

/** How the launcher's profit sharing maps onto what Botfolio does with harvested profit. */
export function profitSharingNote(f: LauncherFile): string {
  const ps = f.portfolio.profit_sharing;
  const strategy = f.portfolio.allocation_strategy;
  if (!ps?.enabled) {
    return 'profit_sharing off → no harvest (pools.main.harvest_percentage 0): each bot keeps its profit and compounds, as under the launcher';
  }
  const banked =
    'profit above a bot’s capital base is harvested into reserve:main (harvest_threshold, harvest_percentage), where it is banked and funds the refills of any bot of the pool: Botfolio never pays one bot’s profit into another bot’s account';
  if (ps.method === 'equal_weight') {
    return `profit_sharing equal_weight → ${banked}; the pool’s bots share it alike${strategy === 'equal_weight' ? ', and allocation.strategy equal_weight keeps their capital bases equal' : ` (allocation.strategy stays ${strategy}, as the launcher’s allocation_strategy says)`}`;
  }
  return `profit_sharing performance_based → ${banked}; rewarding the better bots is the allocation strategy’s part: ${strategy === 'performance_based' ? 'allocation.strategy performance_based weighs capital bases by Sharpe, drawdown and win rate at each rebalance' : `allocation.strategy stays ${strategy} (the launcher’s allocation_strategy); set it to performance_based to move capital toward the better bots`}`;
}

/**
 * The Botfolio config of a launcher file. `exchange` (the launcher's `-exchange`) names the
 * bots' exchange, else it is a blank; `currency` is the portfolio's (the launcher names none).
 */
export function importLauncher(
  f: LauncherFile,
  opts: { readonly portfolioId: string; readonly exchange?: string; readonly currency: string },
): ImportedConfig {
  const blanks: Blank[] = [];
  const blank = (path: string, what: string) => {
    blanks.push({ path, what });
    return placeholder(what);
  };
  const exchange =
    opts.exchange ?? placeholder(`the bots’ exchange: ${SUPPORTED_EXCHANGES.join(', ')}`);
  if (opts.exchange === undefined) {
    blanks.push({
      path: 'exchanges.<exchange> (the key) and bots[].exchange',
      what: `the bots’ exchange, one of ${SUPPORTED_EXCHANGES.join(', ')} (or pass --exchange)`,
    });
  }
  const p = f.portfolio;
  const sharing = p.profit_sharing?.enabled === true;
  const strategy = p.allocation_strategy;
  const pool: Record<string, unknown> = {
    share: blank(
      `pools.${IMPORTED_POOL}.share`,
      'the pool’s share of total_capital; with emergency_reserve.share it sums to 1',
    ),
    reserve_ratio: blank(
      `pools.${IMPORTED_POOL}.reserve_ratio`,
      'the share of the pool’s capital kept in its reserve, e.g. 0.3',
    ),
    harvest_threshold: sharing
      ? blank(
          `pools.${IMPORTED_POOL}.harvest_threshold`,
          'harvest when balance ≥ this × capital base, e.g. 1.25',
        )
      : 100,
    harvest_percentage: sharing
      ? blank(
          `pools.${IMPORTED_POOL}.harvest_percentage`,
          'the share of the profit a harvest banks, e.g. 0.6',
        )
      : 0,
    allocation_per_bot: blank(
      `pools.${IMPORTED_POOL}.allocation_per_bot`,
      'each bot’s capital base; together at most share × total_capital × (1 − reserve_ratio)',
    ),
  };
  const bots = f.bots.map((b, i) => ({
    bot_id: b.bot_id,
    pool: IMPORTED_POOL,
    exchange,
    account: blank(
      `bots[${i}].account`,
      `${b.bot_id}’s sub-account (a UID; on Binance its email, on OKX its name)`,
    ),
    ...(strategy === 'fixed_percentage' && {
      weight: blank(`bots[${i}].weight`, `${b.bot_id}’s weight in its pool, in (0, 1]`),
    }),
    enabled: b.enabled,
  }));
  const config: Record<string, unknown> = {
    portfolio_id: opts.portfolioId,
    currency: opts.currency,
    total_capital: p.total_balance,
    emergency_reserve: {
      share: blank(
        'emergency_reserve.share',
        'the share of total_capital kept as the emergency reserve, e.g. 0.2',
      ),
      minimum: blank(
        'emergency_reserve.minimum',
        'the floor refills never draw the emergency reserve below',
      ),
    },
    pools: { [IMPORTED_POOL]: pool },
    ...(p.max_drawdown_percent !== undefined && {
      emergency_stop: { max_drawdown_percent: p.max_drawdown_percent },
    }),
    allocation: {
      strategy,
      ...(strategy === 'custom' && {
        module: blank(
          'allocation.module',
          'your weights module (an ES module), relative to the config file',
        ),
      }),
    },
    exchanges: {
      [exchange]: {
        min_transfer: blank(
          `exchanges.${opts.exchange ?? '<exchange>'}.min_transfer`,
          'the exchange’s smallest transfer',
        ),
        max_transfer: blank(
          `exchanges.${opts.exchange ?? '<exchange>'}.max_transfer`,
          'the largest transfer Botfolio may make',
        ),
        daily_transfer_limit: blank(
          `exchanges.${opts.exchange ?? '<exchange>'}.daily_transfer_limit`,
          'the most Botfolio may move in 24 h',
        ),
      },
    },
    bots,
    monitoring: {
      check_interval: '15m',
      ...(f.monitoring?.heartbeat_interval !== undefined && {
        heartbeat_interval: f.monitoring.heartbeat_interval,
      }),
      ...(f.monitoring?.health_check_interval !== undefined && {
        health_check_interval: f.monitoring.health_check_interval,
      }),
    },
    ...(p.max_total_exposure !== undefined && {
      risk: { max_total_exposure: p.max_total_exposure },
    }),
  };
  return { config, blanks, notes: notesOf(f, opts) };
}

function notesOf(
  f: LauncherFile,
  opts: { readonly portfolioId: string; readonly currency: string },
): string[] {
  const p = f.portfolio;
  const carried = [
    `total_balance → total_capital ${p.total_balance}`,
    `allocation_strategy → allocation.strategy ${p.allocation_strategy}`,
    ...(p.max_total_exposure === undefined
      ? []
      : [`max_total_exposure → risk.max_total_exposure ${p.max_total_exposure}`]),
    ...(p.max_drawdown_percent === undefined
      ? []
      : [`max_drawdown_percent → emergency_stop.max_drawdown_percent ${p.max_drawdown_percent}`]),
    ...(['heartbeat_interval', 'health_check_interval'] as const)
      .filter((k) => f.monitoring?.[k] !== undefined)
      .map((k) => `${k} → monitoring.${k}`),
    `bots[].bot_id and enabled → bots[]`,
  ];
  const configFiles = f.bots.filter((b) => b.config_file !== undefined);
  return [
    `portfolio_id "${opts.portfolioId}" (from the file name), currency ${opts.currency} (the launcher names none: --currency to change it), monitoring.check_interval "15m" (Botfolio's default)`,
    `carried over: ${carried.join('; ')}`,
    profitSharingNote(f),
    `every bot is in one pool "${IMPORTED_POOL}": split them into pools by risk class (each with its share, reserve and harvest rule) where they differ`,
    ...(configFiles.length === 0
      ? []
      : [
          `not imported: bots[].config_file (${configFiles.map((b) => `${b.bot_id}: ${b.config_file}`).join(', ')}) — each bot keeps running with its own config; Botfolio never runs or trades a bot, it moves capital between sub-accounts`,
        ]),
    ...(p.shared_state_file === undefined
      ? []
      : [`not imported: portfolio.shared_state_file — Botfolio keeps its books in its own store`]),
    'left out (the launcher has none): loss_recovery, black_swan_protection, compound_threshold — each off until you add it (README, "Config reference")',
  ];
}
