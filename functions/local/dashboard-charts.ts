/**
 * The dashboard's charts, drawn on the server as SVG by the report's renderer (report.ts, ECharts
 * server-side): the page needs no charts library and fetches nothing but its JSON.
 */
import type { Config } from '../core/config.ts';
import { ratioToFloat, toFloat } from '../core/money.ts';
import type { PortfolioState } from '../core/state.ts';
import { drawdowns, floorOf, type PortfolioPoint, type sparkline } from './dashboard-data.ts';
import { svgOf } from './report.ts';

const grid = { left: 64, right: 24, top: 56, bottom: 30 };
const title = (text: string) => ({ text, left: 'center', textStyle: { fontSize: 14 } });

export function dashboardCharts(
  config: Config,
  state: PortfolioState,
  history: readonly PortfolioPoint[],
  sparks: ReadonlyMap<string, ReturnType<typeof sparkline>>,
): { equity: string; drawdown: string; reserves: string; bots: Record<string, string> } {
  const stop = config.emergencyStop?.maxDrawdownPercent;
  const dd = drawdowns(history);
  const equity = svgOf(
    {
      title: title(`Equity (${config.currency})`),
      grid: { ...grid, top: 40 },
      xAxis: { type: 'time' },
      yAxis: { type: 'value', scale: true },
      series: [
        {
          type: 'line',
          name: 'equity',
          showSymbol: false,
          data: history.map((p) => [p.at, p.equity]),
          markLine: {
            symbol: 'none',
            label: { formatter: 'peak', position: 'insideStartTop' },
            lineStyle: { type: 'dashed' },
            data: [{ yAxis: toFloat(state.peakEquity) }],
          },
        },
      ],
    },
    620,
    260,
  );
  const drawdown = svgOf(
    {
      title: title('Drawdown against the emergency stop'),
      grid,
      xAxis: { type: 'time' },
      yAxis: {
        type: 'value',
        max: 0,
        ...(stop !== undefined && { min: Math.min(-ratioToFloat(stop) / 100 - 0.05, ...dd) }),
        axisLabel: { formatter: (v: number) => `${Math.round(v * 100)} %` },
      },
      series: [
        {
          type: 'line',
          name: 'drawdown',
          showSymbol: false,
          areaStyle: { opacity: 0.25 },
          data: history.map((p, i) => [p.at, dd[i]]),
          ...(stop !== undefined && {
            markLine: {
              symbol: 'none',
              label: { formatter: 'emergency stop', position: 'insideStartTop' },
              lineStyle: { color: '#c0392b', type: 'dashed' },
              data: [{ yAxis: -ratioToFloat(stop) / 100 }],
            },
          }),
        },
      ],
    },
    620,
    260,
  );
  const names = [...state.reserves.keys()];
  const reserves = svgOf(
    {
      title: title(`Reserves (${config.currency}) against their floors`),
      legend: { top: 26 },
      grid: { ...grid, top: 60 },
      xAxis: { type: 'time' },
      yAxis: { type: 'value' },
      series: names.map((r) => ({
        type: 'line',
        name: `reserve:${r}`,
        step: 'end',
        showSymbol: false,
        data: history.map((p) => [p.at, p.reserves[r] ?? null]),
        ...(floorOf(config, r) > 0 && {
          markLine: {
            symbol: 'none',
            label: { formatter: `${r} floor`, position: 'insideStartTop' },
            lineStyle: { type: 'dashed' },
            data: [{ yAxis: floorOf(config, r) }],
          },
        }),
      })),
    },
    1260,
    260,
  );
  const bots: Record<string, string> = {};
  for (const [botId, s] of sparks) {
    bots[botId] = svgOf(
      {
        grid: { left: 2, right: 2, top: 4, bottom: 4 },
        xAxis: { type: 'category', show: false, data: s.at },
        yAxis: { type: 'value', show: false, scale: true },
        series: [
          { type: 'line', name: 'balance', showSymbol: false, data: s.balance },
          {
            type: 'line',
            name: 'capital base',
            showSymbol: false,
            step: 'end',
            lineStyle: { type: 'dashed', width: 1 },
            data: s.capitalBase,
          },
        ],
      },
      160,
      36,
    );
  }
  return { equity, drawdown, reserves, bots };
}
