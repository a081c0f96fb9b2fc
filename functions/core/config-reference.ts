/**
 * The config reference, one entry per key of the config contract (DESIGN.md §6, config-schema.ts):
 * what it means, its default, an example. The README's "Config reference" is generated from it
 * (`npm run --silent docs`), and a test checks that every key of the schema is here and that the
 * README shows this text — so the reference cannot drift from the schema it documents.
 */

export interface ConfigKey {
  /** The key's path: `pools.<pool>.share`, `bots[].bot_id`. */
  readonly path: string;
  readonly meaning: string;
  /** What happens when it is left out; `required` when it may not be. */
  readonly default: string;
  readonly example: string;
}

export const CONFIG_REFERENCE: readonly ConfigKey[] = [
  {
    path: 'portfolio_id',
    meaning:
      'the portfolio’s name: tables, stack (`Botfolio-<id>`) and local data folder (`.local/<id>`)',
    default: 'required',
    example: '"main"',
  },
  {
    path: 'currency',
    meaning:
      'the currency every amount is in; an exchange’s futures accounts must hold it (Bitget: USDT or USDC; Binance: USDT)',
    default: 'required',
    example: '"USDT"',
  },
  {
    path: 'total_capital',
    meaning: 'the capital the portfolio manages, split by the shares below',
    default: 'required',
    example: '1000',
  },
  {
    path: 'emergency_reserve.share',
    meaning: 'share of `total_capital` kept in `reserve:emergency`',
    default: 'required',
    example: '0.2',
  },
  {
    path: 'emergency_reserve.minimum',
    meaning: 'floor of the emergency reserve: refills never draw it below this',
    default: 'required',
    example: '200',
  },
  {
    path: 'emergency_reserve.split.<exchange>',
    meaning:
      'the share of the emergency reserve, and of its minimum, kept on this exchange; the shares sum to 1. Each exchange’s part sits in its own master account (`reserve:emergency` on the primary, `reserve:emergency@<exchange>` on another): refills of its bots draw on it and protect goes to it; money never moves between exchanges',
    default: 'all on the primary exchange',
    example: '0.4',
  },
  {
    path: 'pools.<pool>.share',
    meaning:
      'share of `total_capital` the pool starts with in `reserve:<pool>`; all shares with the emergency one sum to 1',
    default: 'required',
    example: '0.5',
  },
  {
    path: 'pools.<pool>.reserve_ratio',
    meaning:
      'share of the pool’s capital that stays in its reserve: its bots’ allocations may use the rest',
    default: 'required',
    example: '0.4',
  },
  {
    path: 'pools.<pool>.harvest_threshold',
    meaning: 'harvest when a bot’s balance B ≥ this × its capital base C',
    default: 'required',
    example: '1.25',
  },
  {
    path: 'pools.<pool>.harvest_percentage',
    meaning: 'a harvest takes this share of the excess B − C to the pool’s reserve',
    default: 'required',
    example: '0.6',
  },
  {
    path: 'pools.<pool>.allocation_per_bot',
    meaning: 'a bot’s allocation when it gives none of its own',
    default: 'none: each bot then needs `allocation`',
    example: '150',
  },
  {
    path: 'pools.<pool>.margin_mode',
    meaning:
      'the margin mode the pool’s bots trade with (`cross` or `isolated`), recorded for the operator: Botfolio never trades, so no rule reads it',
    default: 'none',
    example: '"cross"',
  },
  {
    path: 'pools.<pool>.max_leverage',
    meaning:
      'the leverage the pool’s bots may use (at most 500), recorded for the operator like `margin_mode`',
    default: 'none',
    example: '75',
  },
  {
    path: 'pools.<pool>.exchange',
    meaning:
      'the exchange the pool’s reserve and bots are on (each bot’s `exchange` must be it); its reserve sits in that exchange’s master account',
    default: 'the primary exchange',
    example: '"binance"',
  },
  {
    path: 'loss_recovery.enabled',
    meaning: 'turns refills on',
    default: 'the section left out: no refills',
    example: 'true',
  },
  {
    path: 'loss_recovery.intervention_threshold',
    meaning: 'refill when B ≤ this × C',
    default: 'required in the section',
    example: '0.25',
  },
  {
    path: 'loss_recovery.refill_target',
    meaning:
      'a refill brings the bot back to this × C (from the pool’s reserve, then the emergency one)',
    default: 'required in the section',
    example: '0.75',
  },
  {
    path: 'loss_recovery.max_refills',
    meaning: 'refills a bot may get in all',
    default: 'required in the section',
    example: '2',
  },
  {
    path: 'compound_threshold',
    meaning:
      'a bot whose harvested total + B ≥ this × contributed keeps its profit: it is no longer harvested (compounding); protection still applies',
    default: 'none: every bot is harvested',
    example: '2.0',
  },
  {
    path: 'black_swan_protection.enabled',
    meaning: 'turns black-swan protection on',
    default: 'the section left out: off',
    example: 'true',
  },
  {
    path: 'black_swan_protection.drawdown_threshold',
    meaning: 'enter black swan when Σ B ÷ Σ C of the funded bots ≤ this',
    default: 'required in the section',
    example: '0.6',
  },
  {
    path: 'black_swan_protection.safety_allocation',
    meaning:
      'on entry, this share of every funded bot’s balance moves to the emergency reserve (one protect per bot per episode)',
    default: 'required in the section',
    example: '0.2',
  },
  {
    path: 'black_swan_protection.no_refill_policy',
    meaning:
      'no refills during an episode, and a protected bot stays refill-blocked until it is back at C or `resume --unblock`',
    default: 'required in the section',
    example: 'true',
  },
  {
    path: 'black_swan_protection.resume_threshold',
    meaning: 'leave black swan when Σ B ÷ Σ C ≥ this',
    default: '0.8',
    example: '0.8',
  },
  {
    path: 'emergency_stop.max_drawdown_percent',
    meaning:
      'halt (nothing moves toward a bot; harvests go on) when equity falls this many percent below its peak; only `botfolio resume` clears it',
    default: 'the section left out: no emergency stop',
    example: '25',
  },
  {
    path: 'emergency_stop.pause_bots',
    meaning:
      'on entering halted (the stop tripping in a cycle, or `botfolio halt`), pause every bot with a control API (today `health.freqtrade`: `POST /api/v1/stopentry`, within 2 s each) and journal each answer as a `pause_bots` operation; the halt’s alert counts the bots paused and not paused, and `botfolio resume` names the bots to restart by hand',
    default: 'false: no bot is paused',
    example: 'true',
  },
  {
    path: 'allocation.strategy',
    meaning:
      'how capital bases are set: `fixed`, `equal_weight`, `fixed_percentage`, `performance_based`, `risk_weighted`, `custom`',
    default: '"fixed"',
    example: '"equal_weight"',
  },
  {
    path: 'allocation.rebalance_threshold',
    meaning:
      'rebalance a bot whose capital base drifts from its target by more than this share; also the limit of `allocation_drift` (warning, strategies other than `fixed`): a running bot whose equity’s share of its pool’s equity is off its target share (its capital base’s share, or this cycle’s strategy targets’) by more than this share of it, with no rebalance or other transfer planned for it this cycle',
    default: '0.1',
    example: '0.1',
  },
  {
    path: 'allocation.rebalance_interval',
    meaning: 'at most one rebalance per this duration (at most "365d")',
    default: '"1d"',
    example: '"1d"',
  },
  {
    path: 'allocation.module',
    meaning:
      'for `custom`: the ES module exporting the weights function, relative to the config file',
    default: 'none (required by `custom`)',
    example: '"./my-weights.mjs"',
  },
  {
    path: 'exchanges.<exchange>.transfer_fee',
    meaning:
      'the exchange’s fee as a share of an amount: a planning input (a transfer toward risk must be worth it) and a backtest cost; never booked',
    default: 'none: no fee',
    example: '0.001',
  },
  {
    path: 'exchanges.<exchange>.min_transfer',
    meaning: 'smaller transfers are never planned',
    default: 'required',
    example: '1',
  },
  {
    path: 'exchanges.<exchange>.max_transfer',
    meaning: 'no transfer is larger (a bigger need is capped)',
    default: 'required',
    example: '500',
  },
  {
    path: 'exchanges.<exchange>.daily_transfer_limit',
    meaning: 'total the exchange may move in 24 h',
    default: 'required',
    example: '2000',
  },
  {
    path: 'exchanges.<exchange>.precision',
    meaning: 'decimals the exchange accepts in an amount: amounts are rounded down to it',
    default: '8',
    example: '4',
  },
  {
    path: 'exchanges.<exchange>.bot_account_type',
    meaning: 'the account inside each bot’s sub-account that transfers use: `futures` or `spot`',
    default: '"futures"',
    example: '"spot"',
  },
  {
    path: 'exchanges.<exchange>.master_account_type',
    meaning: 'the master’s account where the reserves sit: `spot` or `futures`',
    default: '"spot"',
    example: '"futures"',
  },
  {
    path: 'exchanges.<exchange>.primary',
    meaning:
      'the primary exchange: it holds `reserve:emergency` and every pool that names no `exchange`; with several exchanges exactly one is marked',
    default: 'the only exchange, when there is one (required on one of several)',
    example: 'true',
  },
  {
    path: 'bots[].bot_id',
    meaning: 'the bot’s name, unique in the portfolio',
    default: 'required',
    example: '"1h_lorentzian_sol"',
  },
  {
    path: 'bots[].pool',
    meaning: 'the pool it belongs to',
    default: 'required',
    example: '"low_frequency"',
  },
  {
    path: 'bots[].exchange',
    meaning: 'the exchange it trades on: a key of `exchanges`',
    default: 'required',
    example: '"bitget"',
  },
  {
    path: 'bots[].account',
    meaning:
      'its sub-account as the exchange names it: a UID on Bitget and Bybit, an email on Binance, a name on OKX',
    default: 'required',
    example: '"6712345678"',
  },
  {
    path: 'bots[].allocation',
    meaning: 'its capital base when funded',
    default: 'its pool’s `allocation_per_bot`',
    example: '150',
  },
  {
    path: 'bots[].weight',
    meaning: 'its weight under `fixed_percentage`',
    default: 'none (required by `fixed_percentage`)',
    example: '0.5',
  },
  {
    path: 'bots[].enabled',
    meaning: 'a disabled bot is left alone: nothing is planned for it',
    default: 'true',
    example: 'false',
  },
  {
    path: 'bots[].account_type',
    meaning: 'this bot’s account type, over its exchange’s `bot_account_type`',
    default: 'its exchange’s',
    example: '"spot"',
  },
  {
    path: 'bots[].health.heartbeat',
    meaning:
      'the bot POSTs signed heartbeats (`botfolio serve` locally, the heartbeat function URL in AWS): it is monitored, and money goes into it only while it is `running`',
    default: 'false (not monitored)',
    example: 'true',
  },
  {
    path: 'bots[].health.freqtrade.url',
    meaning:
      'the bot’s Freqtrade REST API, asked for `/api/v1/health`, `/api/v1/show_config` and `/api/v1/status` within 2 s: the bot is monitored',
    default: 'none (not monitored)',
    example: '"http://127.0.0.1:8080"',
  },
  {
    path: 'bots[].health.freqtrade.user',
    meaning: 'the Freqtrade API’s user name (its `api_server.username`)',
    default: 'required with `url`',
    example: '"botfolio"',
  },
  {
    path: 'bots[].health.freqtrade.password_secret',
    meaning:
      'where the API’s password is: the env var of that name locally, the Secrets Manager secret of that name in AWS',
    default: 'required with `url`',
    example: '"FT_SOL_PASSWORD"',
  },
  {
    path: 'bots[].health.max_errors_per_hour',
    meaning: 'more errors than this reported by the bot within an hour make it `error`',
    default: '10',
    example: '3',
  },
  {
    path: 'monitoring.check_interval',
    meaning:
      'how often a cycle runs: whole minutes from "1m" to "1d", the same rule locally (`run`, `--interval`) and for the AWS schedule',
    default: '"15m"',
    example: '"5m"',
  },
  {
    path: 'monitoring.max_plausible_jump',
    meaning:
      'a balance more than this × the bot’s last known one is not believed (unknown) until `confirm-balance`',
    default: '10',
    example: '5',
  },
  {
    path: 'monitoring.fresh_read_max_age',
    meaning:
      'how old the cycle’s reading of a bot may be for a transfer’s guards to re-check on it instead of reading again',
    default: '"60s"',
    example: '"90s"',
  },
  {
    path: 'monitoring.heartbeat_interval',
    meaning:
      'how often a monitored bot is expected to report (a heartbeat, or a healthy answer of its API); not heard from for 3 of them, it is `stale` and no money goes into it',
    default: '"30s"',
    example: '"1m"',
  },
  {
    path: 'monitoring.health_check_interval',
    meaning:
      'how often a bot’s own API (`bots[].health.freqtrade`) is asked for its health; a cycle asks at most once',
    default: '"60s"',
    example: '"5m"',
  },
  {
    path: 'alerts.cooldown',
    meaning:
      'the same alert (code, bot) is not sent again within this duration; a cycle’s warnings and infos of one code about several bots go out as one digest naming them, each bot still cooled down on its own',
    default: '"1h"',
    example: '"30m"',
  },
  {
    path: 'risk.max_total_exposure',
    meaning:
      'the most Σ position notional ÷ portfolio equity may be (over the bots whose positions can be read) before an `exposure_high` warning; never moves money',
    default: 'none: not checked',
    example: '3',
  },
  {
    path: 'risk.max_bot_leverage',
    meaning:
      'the most leverage (notional ÷ equity) one bot may carry before a `bot_leverage_high` warning (at most 500; where positions can be read)',
    default: 'none: not checked',
    example: '10',
  },
  {
    path: 'risk.max_correlation',
    meaning:
      'a pool whose bots’ average pairwise correlation of daily returns exceeds this (in (−1, 1]) raises a `bots_correlated` warning',
    default: 'none: correlation is shown, never alerted',
    example: '0.8',
  },
  {
    path: 'risk.correlation_window',
    meaning: 'the complete UTC days correlation is computed over: whole days, from "7d" to "365d"',
    default: '"30d"',
    example: '"14d"',
  },
  {
    path: 'alerts.channels[].type',
    meaning:
      'where alerts also go besides SNS email and SMS: `telegram` (a bot’s `sendMessage`), `discord` or `slack` (an incoming webhook), `webhook` (a POST signed with HMAC-SHA256); its token or URL is a secret (README, “Alert channels”)',
    default: 'required in a channel; no `channels`: SNS only',
    example: '"telegram"',
  },
  {
    path: 'alerts.channels[].name',
    meaning:
      'names the channel’s secret (`botfolio/<portfolio_id>/alerts/<name>`) and env vars (`<NAME>_BOT_TOKEN`…); unique among the channels',
    default: 'its type',
    example: '"ops_chat"',
  },
  {
    path: 'alerts.channels[].min_severity',
    meaning:
      'the channel’s floor: only alerts at or above it are sent (`info`, `warning`, `critical`)',
    default: '"warning"',
    example: '"critical"',
  },
  {
    path: 'alerts.channels[].chat_id',
    meaning:
      'for `telegram`: the chat the bot writes to, a numeric id (negative for groups) or a public channel’s `@username`',
    default: 'required by `telegram`',
    example: '"-1001234567890"',
  },
  {
    path: 'alerts.channels[].api_url',
    meaning: 'for `telegram`: the Bot API server (a self-hosted one); https, or http to 127.0.0.1',
    default: '"https://api.telegram.org"',
    example: '"http://127.0.0.1:8081"',
  },
  {
    path: 'alerts.channels[].url',
    meaning:
      'for `webhook`: where the signed alerts are posted; https, or http to 127.0.0.1 (leave it out to keep it in the secret)',
    default: 'the `url` of the channel’s secret',
    example: '"https://hooks.example.com/botfolio"',
  },
];

/** The reference as a Markdown table (the README's section). */
export function configReferenceMarkdown(): string {
  const cell = (s: string) => s.replaceAll('|', '\\|');
  return [
    '| key | meaning | default | example |',
    '| --- | --- | --- | --- |',
    ...CONFIG_REFERENCE.map(
      (k) => `| \`${k.path}\` | ${cell(k.meaning)} | ${cell(k.default)} | \`${k.example}\` |`,
    ),
  ].join('\n');
}
