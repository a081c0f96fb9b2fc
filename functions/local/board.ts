/**
 * The terminal status board, in the spirit of the launcher's status report: the portfolio, its
 * mode, equity and reserves, then one row per bot with its pool, balance, capital base, PnL and
 * the last thing Botfolio did for it.
 */
import { styleText } from 'node:util';
import Table from 'cli-table3';
import type { Alert } from '../core/alerts.ts';
import { totalPnl } from '../core/analytics.ts';
import type { Config } from '../core/config.ts';
import { formatMoney, type Money } from '../core/money.ts';
import { isKnown, type PortfolioState } from '../core/state.ts';

const n = (m: Money) => formatMoney(m, 2);

export interface BoardInput {
  readonly config: Config;
  readonly state: PortfolioState;
  readonly cycleId: string;
  readonly cycleNumber?: number;
  readonly mode: string;
  /** Undefined while a bot's balance is unknown. */
  readonly equity: Money | undefined;
  readonly peakEquity: Money;
  /** Last action per bot, e.g. "harvest 30.00 ✓". */
  readonly lastAction: ReadonlyMap<string, string>;
}

export function renderBoard(b: BoardInput): string {
  const { config, state } = b;
  const modeText =
    b.mode === 'normal'
      ? styleText('green', b.mode)
      : styleText(['bold', 'red'], b.mode.toUpperCase());
  const reserves = [...state.reserves].map(([k, v]) => `${k} ${n(v)}`).join(' · ');
  const header = [
    styleText('bold', `BOTFOLIO · ${config.portfolioId}`) +
      `  cycle ${b.cycleNumber === undefined ? '' : `#${b.cycleNumber} `}${b.cycleId}  mode ${modeText}`,
    `Equity ${b.equity === undefined ? 'unknown (a balance is unknown)' : `${n(b.equity)} ${config.currency}`} (peak ${n(b.peakEquity)})   Reserves: ${reserves}`,
  ];
  const table = new Table({
    head: ['bot', 'pool', 'balance', 'capital base', 'PnL', 'last action'],
    colAligns: ['left', 'left', 'right', 'right', 'right', 'left'],
    style: process.stdout.isTTY
      ? { head: ['cyan'], compact: true }
      : { head: [], border: [], compact: true },
  });
  for (const bot of config.bots) {
    const s = state.bots.get(bot.botId);
    if (!s) {
      table.push([
        bot.botId,
        bot.pool,
        '—',
        '—',
        '—',
        b.lastAction.get(bot.botId) ?? (bot.enabled ? 'not funded' : 'disabled'),
      ]);
      continue;
    }
    if (!isKnown(s)) {
      table.push([
        bot.botId,
        bot.pool,
        'unknown',
        n(s.capitalBase),
        '—',
        b.lastAction.get(bot.botId) ?? '',
      ]);
      continue;
    }
    const pnl = totalPnl(s);
    const pnlText = pnl < 0n ? styleText('red', n(pnl)) : styleText('green', n(pnl));
    table.push([
      bot.botId,
      bot.pool,
      n(s.balance),
      n(s.capitalBase),
      pnlText,
      b.lastAction.get(bot.botId) ?? '',
    ]);
  }
  return `${header.join('\n')}\n${table.toString()}`;
}

export function renderAlert(a: Alert): string {
  const tag =
    a.severity === 'critical'
      ? styleText(['bold', 'red'], 'CRITICAL')
      : a.severity === 'warning'
        ? styleText('yellow', 'warning ')
        : styleText('dim', 'info    ');
  return `  ${tag} ${a.code}${a.botId ? ` [${a.botId}]` : ''}: ${a.message}`;
}

/** An amount for a person, or "unknown" (a total over a balance that is unknown). */
export const showAmount = (m: Money | undefined, decimals = 2): string =>
  m === undefined ? 'unknown' : formatMoney(m, decimals);
