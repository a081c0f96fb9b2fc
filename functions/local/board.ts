/**
 * The terminal status board, in the spirit of the launcher's status report: the portfolio, its
 * mode, equity and reserves, then one row per bot with its pool, balance, capital base, PnL and
 * the last thing Botfolio did for it.
 */
import { styleText } from 'node:util';
import Table from 'cli-table3';
import type { Alert } from '../core/alerts.ts';
import type { Config } from '../core/config.ts';
import { add, formatMoney, type Money, sub } from '../core/money.ts';
import type { PortfolioState } from '../core/state.ts';

const n = (m: Money) => formatMoney(m, 2);

export interface BoardInput {
  readonly config: Config;
  readonly state: PortfolioState;
  readonly cycleId: string;
  readonly cycleNumber?: number;
  readonly mode: string;
  readonly equity: Money;
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
    `Equity ${n(b.equity)} ${config.currency} (peak ${n(b.peakEquity)})   Reserves: ${reserves}`,
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
    const pnl = sub(add(add(s.balance, s.harvested), s.protected), s.contributed);
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
