/**
 * `botfolio bot ID`: one bot's story — its equity over time as a terminal chart (asciichart: a
 * small, dependency-free line plotter), its transfers (the journal's rows), and its metrics (total
 * PnL, daily win rate, Sharpe, max drawdown), each said with what it is computed from: the
 * performance snapshots the cycles recorded, flow-adjusted (money put in or taken out is not a
 * gain or a loss).
 */
import asciichart from 'asciichart';
import { botMetrics, WIN_RATE_NOTE } from '../../core/analytics.ts';
import type { BotConfig, Config } from '../../core/config.ts';
import { MIN_COMMON_DAYS } from '../../core/correlation.ts';
import { formatMoney, toFloat } from '../../core/money.ts';
import { isKnown } from '../../core/state.ts';
import type { Stores } from '../../core/store-ports.ts';
import { comparedBots, readPoolCorrelations } from '../../usecases/correlation.ts';
import { journalTable } from './transfers.ts';

/** How many snapshots the chart and the metrics read: the newest, oldest first. */
export const HISTORY_LIMIT = 2000;
/** The chart's width in points: longer histories are sampled down to it. */
const CHART_POINTS = 72;

/** Every `step`-th value and the last one: a history drawn in `points` columns. */
function sampled(values: readonly number[], points: number): number[] {
  if (values.length <= points) return [...values];
  const step = values.length / points;
  return Array.from({ length: points }, (_, i) => values[Math.floor(i * step)] ?? 0).concat(
    values.at(-1) ?? 0,
  );
}

const pct = (x: number | undefined) => (x === undefined ? '—' : `${(x * 100).toFixed(1)} %`);

export async function botCommand(
  config: Config,
  stores: Stores,
  botId: string,
  out: (text: string) => void = (t) => process.stdout.write(t),
): Promise<number> {
  const bot = config.bots.find((b) => b.botId === botId);
  const history = await stores.performance.history(config.portfolioId, botId, HISTORY_LIMIT);
  const transfers = await stores.journal.byBot(config.portfolioId, botId, 1000);
  if (!bot && history.length === 0 && transfers.length === 0) {
    process.stderr.write(
      `no bot ${botId} in portfolio ${config.portfolioId}: its bots are ${config.bots.map((b) => b.botId).join(', ')}\n`,
    );
    return 1;
  }
  const portfolio = await stores.portfolio.load(config.portfolioId);
  const state = portfolio?.bots.get(botId);
  const lines = [
    `bot ${botId}${bot ? `  pool ${bot.pool} · ${bot.exchange} sub-account ${bot.account}` : '  (no longer in the config)'}`,
  ];

  if (history.length < 2) lines.push('', 'equity: fewer than two cycles recorded yet — no chart');
  else {
    const first = history[0];
    const last = history.at(-1);
    lines.push(
      '',
      `equity (${config.currency}), ${history.length} cycles from ${first?.at.slice(0, 16)} to ${last?.at.slice(0, 16)} UTC`,
      asciichart.plot(
        sampled(
          history.map((s) => toFloat(s.balance)),
          CHART_POINTS,
        ),
        { height: 10, format: (x: number) => x.toFixed(2).padStart(10) },
      ),
    );
  }

  lines.push('', 'metrics');
  if (state && isKnown(state)) {
    const m = botMetrics(
      state,
      history.map((s) => ({ at: s.at, balance: s.balance, netContributed: s.netContributed })),
    );
    lines.push(
      `  total PnL     ${formatMoney(m.pnl, 2)} ${config.currency}  (balance ${formatMoney(state.balance, 2)} + harvested ${formatMoney(state.harvested, 2)} + protected ${formatMoney(state.protected, 2)} − contributed ${formatMoney(state.contributed, 2)}, from the books)`,
      `  win rate      ${pct(m.winRate)}  (${m.days} daily returns; ${WIN_RATE_NOTE})`,
      `  Sharpe        ${m.sharpe === undefined ? '—' : m.sharpe.toFixed(2)}  (the same ${m.days} daily returns, annualised × √365, risk-free 0)`,
      `  max drawdown  ${pct(m.maxDrawdown)}  (largest fall of the flow-adjusted equity over ${history.length} snapshots)`,
    );
  } else {
    lines.push(`  none yet: ${state ? 'its balance is unknown this cycle' : 'not funded yet'}`);
  }

  if (bot) lines.push(await correlationLine(config, stores, bot, portfolio?.asOf));

  lines.push('', `transfers (${transfers.length})`);
  lines.push(transfers.length === 0 ? '  none yet' : journalTable(transfers, config.currency));
  out(`${lines.join('\n')}\n`);
  return 0;
}

/**
 * The bot's average correlation with its pool mates' daily returns (DESIGN.md §11), over the
 * complete days before the last cycle's: unknown, never 0, without enough common days.
 */
async function correlationLine(
  config: Config,
  stores: Stores,
  bot: BotConfig,
  asOf: string | undefined,
): Promise<string> {
  const w = config.risk.correlationWindowDays;
  const mates = (comparedBots(config).get(bot.pool) ?? []).filter((b) => b !== bot.botId);
  const label = '  correlation  ';
  if (mates.length === 0)
    return `${label} —  (no enabled pool mate in ${bot.pool} to compare with)`;
  if (asOf === undefined) return `${label} unknown  (no cycle recorded yet)`;
  const [pool] = await readPoolCorrelations(
    config,
    stores.performance,
    asOf,
    new Map([[bot.pool, [bot.botId, ...mates]]]),
  );
  const mine = pool?.perBot.get(bot.botId);
  const over = `daily returns over the ${w} complete UTC days before ${asOf.slice(0, 10)}`;
  if (mine?.average === undefined) {
    return `${label} unknown  (fewer than ${MIN_COMMON_DAYS} common ${over} with any of its ${mates.length} pool mates, or returns that never varied)`;
  }
  const limit = config.risk.maxCorrelation;
  return `${label} ${mine.average.toFixed(2)}  (average Pearson correlation with ${mine.knownPairs} of its ${mates.length} pool mates in ${bot.pool}, ${over}, each pair on ≥ ${MIN_COMMON_DAYS} common days${limit === undefined ? '' : `; risk.max_correlation ${limit} applies to the pool's average`})`;
}
