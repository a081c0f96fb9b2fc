/**
 * The status board, what a trader acts on: the portfolio (mode, equity against its peak, the
 * drawdown against the emergency stop, each reserve against its floor, when the next cycle runs,
 * the exposure against its limit and each pool's correlation where given), one row per bot (pool, status, balance, capital base, PnL, its balance's ratio to the capital
 * base against the harvest and refill triggers, refills used of the maximum, a refill block,
 * compounding, the last action and when), the transfers in flight and the last alerts. `boardOf`
 * gathers it (pure), `renderBoard` writes it for a person, `boardJson` for machines — amounts
 * as decimal strings, ratios as decimal strings too.
 *
 * Amounts for a person are rounded down to the cent, all of them, so that the columns add up: a
 * balance of 149.596 shows 149.59 and its PnL against 150 shows −0.41, not −0.40.
 */
import { styleText } from 'node:util';
import type { Alert } from '../core/alerts.ts';
import { totalPnl } from '../core/analytics.ts';
import type { Config } from '../core/config.ts';
import type { PoolCorrelation } from '../core/correlation.ts';
import type { RiskView } from '../core/exposure.ts';
import { type BotHealth, countByStatus } from '../core/health.ts';
import {
  floorToDecimals,
  formatMoney,
  type Money,
  type Ratio,
  sum,
  toFloat,
} from '../core/money.ts';
import { showRatio } from '../core/policy-amounts.ts';
import { compounds } from '../core/policy-rules.ts';
import { isKnown, type PortfolioState } from '../core/state.ts';
import type { JournalEntry } from '../core/transfer.ts';
import { exchangeOfReserve, hasVenues, reserveFloor } from '../core/venues.ts';
import { correlationText, exposureText } from './board-risk.ts';
import { renderTable } from './table.ts';

const n = (m: Money) => formatMoney(floorToDecimals(m, 2), 2);
const ratioText = (r: Ratio) => showRatio(r);

/** The last thing Botfolio did for a bot: a transfer, its status, and when it was planned. */
export interface LastAction {
  readonly kind: string;
  readonly amount: Money;
  readonly status: string;
  readonly at: string;
}

export interface BoardInput {
  readonly config: Config;
  readonly state: PortfolioState;
  readonly cycleId: string;
  readonly cycleNumber?: number;
  readonly mode: string;
  /** Undefined while a bot's balance is unknown. */
  readonly equity: Money | undefined;
  readonly peakEquity: Money;
  /** When the next cycle runs (ISO), when one is scheduled. */
  readonly nextCycleAt?: string;
  readonly lastAction: ReadonlyMap<string, LastAction>;
  readonly inFlight?: readonly JournalEntry[];
  /** This cycle's alerts, with their messages (the demo, a run). */
  readonly alerts?: readonly Alert[];
  /** The alerts sent lately, as the store remembers them: what, about whom, when. */
  readonly recentAlerts?: readonly SentAlert[];
  /** Each bot's health (DESIGN.md §11), where any bot is monitored. */
  readonly health?: ReadonlyMap<string, BotHealth>;
  /** Exposure and each booked bot's leverage (DESIGN.md §11). */
  readonly risk?: RiskView;
  /** Each pool's correlation, where it was computed. */
  readonly correlations?: readonly PoolCorrelation[];
}

/** An alert the store remembers sending (its cooldown key), without its message. */
export interface SentAlert {
  readonly code: string;
  /** `bot 4h_swing_btc`, `transfer 3f2a9c1b`, or '' for the whole portfolio. */
  readonly about: string;
  readonly at: string;
}

/** A cooldown key (`<code>#<bot or ->` or `<code>#transfer#<id>[#status]`) as a sent alert. */
export function sentAlertOf(key: string, sentAt: number): SentAlert {
  const [code = key, first = '-', id, status] = key.split('#');
  const about =
    first === 'transfer'
      ? `transfer ${(id ?? '').slice(0, 8)}${status ? ` (${status})` : ''}`
      : first === 'pool' && id !== undefined
        ? `pool ${id}`
        : first === '-'
          ? ''
          : `bot ${first}`;
  return { code, about, at: new Date(sentAt).toISOString() };
}

export type BotStatus = 'disabled' | 'not funded' | 'unknown' | 'in flight' | 'active';

/** One bot's row, as numbers the board shows. */
export interface BotRow {
  readonly botId: string;
  readonly pool: string;
  readonly status: BotStatus;
  readonly balance: Money | undefined;
  readonly capitalBase: Money | undefined;
  readonly pnl: Money | undefined;
  /** balance ÷ capital base, when both are known. */
  readonly ratio: number | undefined;
  readonly harvestAt: Ratio | undefined;
  readonly refillAt: Ratio | undefined;
  readonly refills: number;
  readonly maxRefills: number | undefined;
  readonly refillBlocked: boolean;
  /** Past `compound_threshold`: it keeps its profit and is no longer harvested. */
  readonly compounding: boolean;
  readonly lastAction: LastAction | undefined;
  /** Its health, where the board was given the fleet's. */
  readonly health: BotHealth | undefined;
}

export function botRows(b: BoardInput): BotRow[] {
  const { config, state } = b;
  return config.bots.map((bot) => {
    const s = state.bots.get(bot.botId);
    const pool = config.pools.get(bot.pool);
    const known = s !== undefined && isKnown(s);
    const status: BotStatus = !bot.enabled
      ? 'disabled'
      : s === undefined
        ? 'not funded'
        : s.inFlight
          ? 'in flight'
          : known
            ? 'active'
            : 'unknown';
    return {
      botId: bot.botId,
      pool: bot.pool,
      status,
      balance: known ? s.balance : undefined,
      capitalBase: s?.capitalBase,
      pnl: known ? totalPnl(s) : undefined,
      ratio: known && s.capitalBase > 0n ? toFloat(s.balance) / toFloat(s.capitalBase) : undefined,
      harvestAt: pool?.harvestThreshold,
      refillAt: config.lossRecovery?.enabled
        ? config.lossRecovery.interventionThreshold
        : undefined,
      refills: s?.refills ?? 0,
      maxRefills: config.lossRecovery?.enabled ? config.lossRecovery.maxRefills : undefined,
      refillBlocked: s?.refillBlocked ?? false,
      compounding: known ? compounds(config, s) : false,
      lastAction: b.lastAction.get(bot.botId),
      health: b.health?.get(bot.botId),
    };
  });
}

/** Drawdown from the peak, as a share (0.12 = 12 %); undefined while equity is unknown. */
export function drawdownOf(b: Pick<BoardInput, 'equity' | 'peakEquity'>): number | undefined {
  if (b.equity === undefined || b.peakEquity <= 0n) return undefined;
  return Math.max(0, 1 - toFloat(b.equity) / toFloat(b.peakEquity));
}

/** What the bots' books add up to: harvested from them, protected, contributed to them. */
export function totals(state: PortfolioState): {
  harvested: Money;
  protected: Money;
  contributed: Money;
} {
  const bots = [...state.bots.values()];
  return {
    harvested: sum(bots.map((b) => b.harvested)),
    protected: sum(bots.map((b) => b.protected)),
    contributed: sum(bots.map((b) => b.contributed)),
  };
}

/** The floor a reserve may not be drawn below: its emergency part's minimum, else zero. */
const floorOf = (config: Config, reserve: string): Money => reserveFloor(config, reserve);

/** The exchange whose master account holds a reserve (one the config dropped: the primary's). */
const reserveExchange = (config: Config, reserve: string): string =>
  exchangeOfReserve(config, reserve) ?? config.primaryExchange;

const minute = (iso: string) => iso.slice(0, 16).replace('T', ' ');
const percent = (x: number) => `${(x * 100).toFixed(1)} %`;

const BOARD_HEAD = [
  'bot',
  'pool',
  'status',
  'balance',
  'capital base',
  'PnL',
  'B/C (harvest · refill)',
  'refills',
  'last action',
];

/** A cycle id (`20261202T0745Z-15m`) as a person reads it: `2026-12-02 07:45 UTC (15m)`. */
export function cycleLabel(cycleId: string): string {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})Z-(\w+)$/.exec(cycleId);
  return m ? `${m[1]}-${m[2]}-${m[3]} ${m[4]}:${m[5]} UTC (every ${m[6]})` : cycleId;
}

function lastActionText(a: LastAction | undefined): string {
  return a === undefined ? '' : `${a.kind} ${n(a.amount)} ${a.status} · ${minute(a.at)}`;
}

export function renderBoard(b: BoardInput): string {
  const { config, state } = b;
  const modeText =
    b.mode === 'normal'
      ? styleText('green', b.mode)
      : styleText(['bold', 'red'], b.mode.toUpperCase());
  const drawdown = drawdownOf(b);
  const books = totals(state);
  const fleet = healthCounts(b.health);
  const stop = config.emergencyStop?.maxDrawdownPercent;
  const reserveText = ([k, v]: [string, Money]) => {
    const floor = floorOf(config, k);
    const low = v < floor;
    const text = `${k} ${n(v)}${floor > 0n ? ` (floor ${n(floor)})` : ''}`;
    return low ? styleText('red', `${text} BELOW FLOOR`) : text;
  };
  // With several exchanges, each one's reserves together: each holds its own money (DESIGN.md §5).
  const reserves = hasVenues(config)
    ? [...config.exchanges.keys()]
        .map((x) => {
          const here = [...state.reserves].filter(([k]) => reserveExchange(config, k) === x);
          return `${x}: ${here.map(reserveText).join(' · ') || 'none'}`;
        })
        .join('  |  ')
    : [...state.reserves].map(reserveText).join(' · ');
  const header = [
    `${styleText('bold', `BOTFOLIO · ${config.portfolioId}`)}  cycle ${b.cycleNumber === undefined ? '' : `#${b.cycleNumber} `}${cycleLabel(b.cycleId)}  mode ${modeText}${b.nextCycleAt ? `  next cycle ${minute(b.nextCycleAt)} UTC` : ''}`,
    `Equity ${b.equity === undefined ? 'unknown (a balance is unknown)' : `${n(b.equity)} ${config.currency}`}  peak ${n(b.peakEquity)}  drawdown ${drawdown === undefined ? '—' : percent(drawdown)}${stop ? ` of the ${showRatio(stop)} % emergency stop` : ' (no emergency stop)'}`,
    `Reserves ${reserves}`,
    `Harvested ${n(books.harvested)} ${config.currency} in all · protected ${n(books.protected)} · contributed ${n(books.contributed)}`,
    ...(fleet === undefined ? [] : [fleet]),
    ...(b.risk === undefined ? [] : [exposureText(config, b.risk)]),
    ...(b.correlations === undefined ? [] : [correlationText(b.correlations)]),
  ];
  const withHealth = b.health !== undefined;
  const rows: string[][] = [];
  for (const r of botRows(b)) {
    const pnl =
      r.pnl === undefined
        ? '—'
        : r.pnl < 0n
          ? styleText('red', n(r.pnl))
          : styleText('green', n(r.pnl));
    const triggers = [
      r.harvestAt && `≥${ratioText(r.harvestAt)}`,
      r.refillAt && `≤${ratioText(r.refillAt)}`,
    ]
      .filter(Boolean)
      .join(' · ');
    const ratio = `${r.ratio === undefined ? '—' : r.ratio.toFixed(2)}${triggers ? ` (${triggers})` : ''}${r.compounding ? ' compounding' : ''}`;
    const refills = `${r.refills}${r.maxRefills === undefined ? '' : `/${r.maxRefills}`}${r.refillBlocked ? ' BLOCKED' : ''}`;
    rows.push([
      r.botId,
      r.pool,
      r.status,
      ...(withHealth ? [healthText(r.health)] : []),
      r.balance === undefined ? (r.status === 'unknown' ? 'unknown' : '—') : n(r.balance),
      r.capitalBase === undefined ? '—' : n(r.capitalBase),
      pnl,
      ratio,
      refills,
      lastActionText(r.lastAction),
    ]);
  }
  const inFlight = (b.inFlight ?? []).map(
    (e) =>
      `  ${e.id.slice(0, 8)} ${e.kind} ${n(e.amount)} ${e.from} → ${e.to}: ${e.status} since ${minute(e.updatedAt)}`,
  );
  const alerts = (b.alerts ?? []).map(renderAlert);
  return [
    ...header,
    renderTable(
      {
        head: [
          ...BOARD_HEAD.slice(0, 3),
          ...(withHealth ? ['health'] : []),
          ...BOARD_HEAD.slice(3),
        ],
        align: [
          'left',
          'left',
          'left',
          ...(withHealth ? ['left' as const] : []),
          'right',
          'right',
          'right',
        ],
        colour: process.stdout.isTTY,
      },
      rows,
    ),
    `In flight: ${inFlight.length === 0 ? 'none' : `\n${inFlight.join('\n')}`}`,
    ...(b.alerts === undefined
      ? []
      : [`Alerts: ${alerts.length === 0 ? 'none' : `\n${alerts.join('\n')}`}`]),
    ...(b.recentAlerts === undefined ? [] : [recentAlertsText(b.recentAlerts)]),
  ].join('\n');
}

/** A bot's health for a person: running in green, not running in red, not monitored as "—". */
function healthText(h: BotHealth | undefined): string {
  if (!h || h.status === 'not_monitored') return '—';
  if (h.status === 'running') return styleText('green', 'running');
  const since = h.lastSeen ? ` (seen ${minute(h.lastSeen)})` : ' (never seen)';
  return styleText('red', `${h.status.toUpperCase()}${h.status === 'stale' ? since : ''}`);
}

/** The board's counts of the fleet's health, for the header; undefined when none is monitored. */
export function healthCounts(
  health: ReadonlyMap<string, BotHealth> | undefined,
): string | undefined {
  if (!health) return undefined;
  const c = countByStatus(health);
  if (c.not_monitored === health.size) return undefined;
  return `Bots ${c.running} running · ${c.stale} stale · ${c.stopped} stopped · ${c.error} error${c.not_monitored > 0 ? ` · ${c.not_monitored} not monitored` : ''}`;
}

function recentAlertsText(sent: readonly SentAlert[]): string {
  const lines = sent.map((a) => `  ${minute(a.at)}  ${a.code}${a.about ? ` [${a.about}]` : ''}`);
  return `Alerts sent in the last 24 h: ${lines.length === 0 ? 'none' : `\n${lines.join('\n')}`}`;
}

/** The board for machines: every amount and ratio a decimal string, times ISO. */
export function boardJson(b: BoardInput): Record<string, unknown> {
  const m = (x: Money | undefined) => (x === undefined ? null : formatMoney(x));
  const drawdown = drawdownOf(b);
  return {
    portfolio_id: b.config.portfolioId,
    cycle_id: b.cycleId,
    mode: b.mode,
    equity: m(b.equity),
    peak_equity: m(b.peakEquity),
    drawdown: drawdown === undefined ? null : drawdown.toFixed(6),
    emergency_stop_percent: b.config.emergencyStop
      ? showRatio(b.config.emergencyStop.maxDrawdownPercent)
      : null,
    next_cycle_at: b.nextCycleAt ?? null,
    totals: Object.fromEntries(Object.entries(totals(b.state)).map(([k, v]) => [k, m(v)])),
    reserves: Object.fromEntries(
      [...b.state.reserves].map(([k, v]) => [
        k,
        {
          balance: m(v),
          floor: m(floorOf(b.config, k)),
          exchange: reserveExchange(b.config, k),
        },
      ]),
    ),
    bots: botRows(b).map((r) => ({
      bot_id: r.botId,
      pool: r.pool,
      exchange:
        b.config.bots.find((c) => c.botId === r.botId)?.exchange ??
        b.state.bots.get(r.botId)?.binding?.exchange ??
        null,
      status: r.status,
      balance: m(r.balance),
      capital_base: m(r.capitalBase),
      pnl: m(r.pnl),
      ratio: r.ratio === undefined ? null : r.ratio.toFixed(6),
      harvest_at: r.harvestAt ? showRatio(r.harvestAt) : null,
      refill_at: r.refillAt ? showRatio(r.refillAt) : null,
      refills: r.refills,
      max_refills: r.maxRefills ?? null,
      refill_blocked: r.refillBlocked,
      compounding: r.compounding,
      last_action: r.lastAction
        ? { ...r.lastAction, amount: formatMoney(r.lastAction.amount) }
        : null,
      ...(r.health && {
        health: {
          status: r.health.status,
          reason: r.health.reason,
          last_seen: r.health.lastSeen ?? null,
        },
      }),
    })),
    ...(b.health && { health_counts: countByStatus(b.health) }),
    in_flight: (b.inFlight ?? []).map((e) => ({
      id: e.id,
      kind: e.kind,
      amount: formatMoney(e.amount),
      from: e.from,
      to: e.to,
      status: e.status,
      since: e.updatedAt,
    })),
    recent_alerts: (b.recentAlerts ?? []).map((a) => ({ ...a })),
    alerts: (b.alerts ?? []).map((a) => ({
      severity: a.severity,
      code: a.code,
      bot_id: a.botId ?? null,
      message: a.message,
    })),
  };
}

export function renderAlert(a: Alert): string {
  const tag =
    a.severity === 'critical'
      ? styleText(['bold', 'red'], 'CRITICAL')
      : a.severity === 'warning'
        ? styleText('yellow', 'warning ')
        : styleText('dim', 'info    ');
  const about = a.botId ? ` [${a.botId}]` : a.bots ? ` [${a.bots.length} bots]` : '';
  return `  ${tag} ${a.code}${about}: ${a.message.replaceAll('\n', '\n      ')}`;
}

/** An amount for a person, or "unknown" (a total over a balance that is unknown). */
export const showAmount = (m: Money | undefined, decimals = 2): string =>
  m === undefined ? 'unknown' : formatMoney(m, decimals);
