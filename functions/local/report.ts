/**
 * The backtest report (`botfolio backtest … --report out.html`): one self-contained HTML file —
 * inline CSS, inline SVG charts, no script and no address to fetch — drawn from the numbers of
 * core/report-data.ts.
 *
 * Charts: Apache ECharts' server-side rendering to SVG strings (`init(null, null, { renderer:
 * 'svg', ssr: true })` + `renderToSVGString()`). Chosen over Vega-Lite → vega `toSVG()` because it is
 * one package with no dependencies of its own (vega-lite brings vega's two dozen), needs no DOM
 * or canvas to draw SVG, has the chart kinds the report needs (time-axis lines and areas, scatter,
 * heat map with a visual map, mark lines for floors and the emergency stop), and the modular
 * `echarts/core` import keeps what the CLI bundles to those kinds.
 */
import { HeatmapChart, LineChart, ScatterChart } from 'echarts/charts';
import {
  GridComponent,
  LegendComponent,
  MarkLineComponent,
  TitleComponent,
  VisualMapComponent,
} from 'echarts/components';
import * as echarts from 'echarts/core';
import { SVGRenderer } from 'echarts/renderers';
import type { Line, ReportData } from '../core/report-data.ts';
import { TRANSFER_KINDS } from '../core/transfer.ts';

echarts.use([
  LineChart,
  ScatterChart,
  HeatmapChart,
  GridComponent,
  LegendComponent,
  MarkLineComponent,
  TitleComponent,
  VisualMapComponent,
  SVGRenderer,
]);

type Option = Parameters<echarts.EChartsType['setOption']>[0];

/** One chart as an SVG string. */
export function svgOf(option: Option, width: number, height: number): string {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height });
  try {
    chart.setOption({ animation: false, ...option });
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}

const WIDE = 960;
const TALL = 320;

const lineSeries = (times: readonly string[], l: Line, extra: Record<string, unknown> = {}) => ({
  type: 'line',
  name: l.name,
  showSymbol: false,
  connectNulls: false,
  data: l.values.map((v, i) => [times[i], v]),
  ...extra,
});

const base = (title: string, legend: boolean) => ({
  title: { text: title, left: 'center', textStyle: { fontSize: 15 } },
  ...(legend && { legend: { top: 32 } }),
  grid: { left: 70, right: 30, top: legend ? 70 : 44, bottom: 36 },
  xAxis: { type: 'time' },
});

/** A chart of the report: its id in the page, its title, the names of its series, its SVG. */
export interface Chart {
  readonly id: string;
  readonly title: string;
  readonly series: readonly string[];
  readonly svg: string;
}

function chart(id: string, title: string, option: Option, w = WIDE, h = TALL): Chart {
  const series = ((option as { series?: { name?: string }[] }).series ?? []).map(
    (s) => s.name ?? '',
  );
  return { id, title, series, svg: svgOf({ ...base(title, series.length > 1), ...option }, w, h) };
}

/** Every chart of the report, in page order. */
export function reportCharts(d: ReportData): Chart[] {
  const t = d.times;
  const charts: Chart[] = [
    chart('equity', `Equity (${d.currency}): with and without the manager`, {
      yAxis: { type: 'value', scale: true },
      series: d.equity.map((l) => lineSeries(t, l)),
    }),
    chart('drawdown', 'Underwater: fall from the peak', {
      yAxis: { type: 'value', axisLabel: { formatter: (v: number) => `${Math.round(v * 100)} %` } },
      series: d.drawdown.map((l, i) =>
        lineSeries(t, l, {
          areaStyle: { opacity: 0.25 },
          ...(i === 0 &&
            d.emergencyStop !== undefined && {
              markLine: {
                symbol: 'none',
                label: { formatter: 'emergency stop', position: 'insideStartTop' },
                lineStyle: { color: '#c0392b', type: 'dashed' },
                data: [{ yAxis: d.emergencyStop }],
              },
            }),
        }),
      ),
    }),
    chart('reserves', `Reserves (${d.currency}) and their floors`, {
      yAxis: { type: 'value' },
      series: d.reserves.map((l) => {
        const floor = d.floors.get(l.name) ?? 0;
        return lineSeries(t, l, {
          step: 'end',
          ...(floor > 0 && {
            markLine: {
              symbol: 'none',
              label: { formatter: `${l.name} floor`, position: 'insideStartTop' },
              lineStyle: { type: 'dashed' },
              data: [{ yAxis: floor }],
            },
          }),
        });
      }),
    }),
    chart('transfers', `Transfers on the timeline (${d.currency})`, {
      xAxis: { type: 'time', min: t[0], max: t.at(-1) },
      yAxis: { type: 'value' },
      series: TRANSFER_KINDS.filter((k) => d.transfers.some((x) => x.kind === k)).map((kind) => ({
        type: 'scatter',
        name: kind,
        symbolSize: 8,
        data: d.transfers.filter((x) => x.kind === kind).map((x) => [x.at, x.amount]),
      })),
    }),
  ];
  for (const b of d.bots) {
    charts.push(
      chart(
        `bot-${b.botId}`,
        `${b.botId} (${b.pool})`,
        {
          title: { text: `${b.botId} (${b.pool})`, left: 8, top: 6, textStyle: { fontSize: 13 } },
          legend: { top: 28, right: 8, itemHeight: 8, textStyle: { fontSize: 10 } },
          grid: { left: 52, right: 12, top: 52, bottom: 28 },
          yAxis: { type: 'value', scale: true },
          series: [
            lineSeries(t, b.balance),
            lineSeries(t, b.capitalBase, { step: 'end', lineStyle: { type: 'dashed' } }),
          ],
        },
        460,
        220,
      ),
    );
  }
  const h = d.heatmap;
  if (h) {
    const values = h.cells.map((c) => c[2]);
    charts.push(
      chart(
        'heatmap',
        `Sweep: best end equity by ${h.x}${h.y ? ` × ${h.y}` : ''}`,
        {
          title: {
            text: `Sweep: best end equity by ${h.x}${h.y ? ` × ${h.y}` : ''}`,
            left: 'center',
            textStyle: { fontSize: 15 },
          },
          grid: { left: 110, right: 120, top: 44, bottom: 60 },
          xAxis: {
            type: 'category',
            data: [...h.xs],
            name: h.x,
            nameLocation: 'middle',
            nameGap: 30,
          },
          yAxis: {
            type: 'category',
            data: [...h.ys],
            name: h.y ?? '',
            nameLocation: 'middle',
            nameGap: 60,
          },
          visualMap: {
            min: Math.min(...values),
            max: Math.max(...values),
            calculable: false,
            orient: 'vertical',
            right: 10,
            top: 'middle',
          },
          series: [
            {
              type: 'heatmap',
              name: 'end equity',
              label: { show: true },
              data: h.cells.map((c) => [...c]),
            },
          ],
        },
        WIDE,
        Math.max(260, 120 + 40 * h.ys.length),
      ),
    );
  }
  return charts;
}

const escapeHtml = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );

const figure = (c: Chart) =>
  `<figure id="${escapeHtml(c.id)}" data-series="${c.series.length}"><figcaption>${escapeHtml(c.title)}</figcaption>${c.svg}</figure>`;

/** The whole report page. */
export function reportHtml(d: ReportData, extraTables = ''): string {
  const charts = reportCharts(d);
  const main = charts.filter((c) => !c.id.startsWith('bot-') && c.id !== 'heatmap');
  const bots = charts.filter((c) => c.id.startsWith('bot-'));
  const heatmap = charts.find((c) => c.id === 'heatmap');
  const rows = d.metrics
    .map(
      (m) =>
        `<tr><th>${escapeHtml(m.label)}</th><td>${escapeHtml(m.managed)}</td><td>${escapeHtml(m.unmanaged)}</td></tr>`,
    )
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(d.title)}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:24px auto;max-width:1000px;color:#222;background:#fff}
h1{font-size:20px}h2{font-size:16px;margin-top:28px}
figure{margin:12px 0}figcaption{position:absolute;left:-9999px}
.multiples{display:grid;grid-template-columns:repeat(2,1fr);gap:8px}
.multiples figure{margin:0}
table{border-collapse:collapse;margin:8px 0}th,td{padding:3px 10px;border-bottom:1px solid #ddd;text-align:right}
th:first-child,#sweep th{text-align:left}
</style></head><body>
<h1>${escapeHtml(d.title)}</h1>
<p>${escapeHtml(d.times[0] ?? '')} → ${escapeHtml(d.times.at(-1) ?? '')} · amounts in ${escapeHtml(d.currency)}</p>
<h2>Metrics</h2>
<table id="metrics"><thead><tr><th></th><th>with the manager</th><th>no manager</th></tr></thead><tbody>${rows}</tbody></table>
${extraTables}
<h2>Portfolio</h2>
${main.map(figure).join('\n')}
<h2>Bots</h2>
<div class="multiples">${bots.map(figure).join('\n')}</div>
${heatmap ? `<h2>Sweep</h2>\n${figure(heatmap)}` : ''}
</body></html>
`;
}

/** A table of a sweep's ranked outcomes, for the report. */
export function sweepTable(
  rows: readonly { label: string; endEquity: number; maxDrawdown: number; transfers: number }[],
): string {
  const body = rows
    .map(
      (o, i) =>
        `<tr><td>${i + 1}</td><th>${escapeHtml(o.label)}</th><td>${o.endEquity.toFixed(2)}</td><td>${(o.maxDrawdown * 100).toFixed(1)} %</td><td>${o.transfers}</td></tr>`,
    )
    .join('');
  return `<h2>Sweep ranking</h2>
<table id="sweep"><thead><tr><th>#</th><th>parameters</th><th>end equity</th><th>max drawdown</th><th>transfers</th></tr></thead><tbody>${body}</tbody></table>`;
}
