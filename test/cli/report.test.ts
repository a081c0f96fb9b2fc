/** `botfolio backtest --report`: one self-contained HTML file of SVG charts and the metrics. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type HTMLElement, parse } from 'node-html-parser';
import { describe, expect, it } from 'vitest';
import { botfolio } from '../helpers/cli.ts';

const ARGS = ['--config', 'examples/spec-portfolio.json', '--curves', 'examples/spec-curves.csv'];
const BOTS = ['1h_lorentzian_sol', '4h_swing_btc', '5m_scalping_sol', '15m_momentum_eth'];

const temp = (name: string) => join(mkdtempSync(join(tmpdir(), 'botfolio-report-')), name);

/** The figure's chart: its caption, its SVG and the texts drawn in it. */
function figureOf(page: HTMLElement, id: string) {
  const figure = page.querySelector(`figure#${id}`);
  if (!figure) throw new Error(`no figure ${id}`);
  const svg = figure.querySelector('svg');
  return {
    caption: figure.querySelector('figcaption')?.text ?? '',
    svg,
    texts: (svg?.querySelectorAll('text') ?? []).map((t) => t.text),
  };
}

/** Every address the page could fetch: src/href attributes, CSS url()s, scripts, links. */
function externalReferences(html: string): string[] {
  const page = parse(html);
  // Any attribute naming an address (the SVG namespaces are names, not addresses).
  const refs = page
    .querySelectorAll('*')
    .flatMap((e) => Object.entries(e.attributes))
    .filter(([name, value]) => !name.startsWith('xmlns') && /:\/\/|^\/\//.test(value))
    .map(([name, value]) => `${name}=${value}`);
  const urls = [...html.matchAll(/url\(([^)]*)\)/g)]
    .map((m) => m[1] ?? '')
    .filter((u) => !u.startsWith('#'));
  const tags = page.querySelectorAll('script,link,iframe,img').map((e) => e.tagName);
  return [...refs, ...urls, ...tags];
}

describe('botfolio backtest --report', () => {
  it('writes the equity, drawdown, reserves, transfers and each bot as inline SVG, and the metrics', () => {
    const file = temp('report.html');
    const r = botfolio('backtest', ...ARGS, '--report', file, '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).cycles).toBe(61); // the command's own output is unchanged
    expect(r.stderr).toContain(`report written to ${file}`);
    const html = readFileSync(file, 'utf8');
    const page = parse(html);

    const equity = figureOf(page, 'equity');
    expect(equity.caption).toBe('Equity (USDT): with and without the manager');
    expect(equity.texts).toContain('with the manager');
    expect(equity.texts).toContain('no manager (each bot keeps its allocation)');
    expect(page.querySelector('figure#equity')?.getAttribute('data-series')).toBe('2');
    expect(figureOf(page, 'drawdown').texts).toContain('emergency stop');
    expect(figureOf(page, 'reserves').texts).toEqual(
      expect.arrayContaining([
        'reserve:emergency',
        'reserve:low_frequency',
        'reserve:high_frequency',
      ]),
    );
    expect(figureOf(page, 'transfers').texts).toEqual(
      expect.arrayContaining(['allocation', 'harvest']),
    );
    for (const bot of BOTS) {
      const f = figureOf(page, `bot-${bot}`);
      expect(f.caption).toMatch(new RegExp(`^${bot} \\(`));
      expect(f.texts).toEqual(expect.arrayContaining(['balance', 'capital base']));
    }
    expect(page.querySelectorAll('figure svg')).toHaveLength(4 + BOTS.length);
    expect(page.querySelector('figure#heatmap')).toBeNull();
    const rows = page
      .querySelectorAll('#metrics tbody tr')
      .map((tr) => tr.querySelector('th')?.text);
    expect(rows).toEqual(
      expect.arrayContaining(['end equity (USDT)', 'max drawdown', 'transfers']),
    );

    expect(externalReferences(html)).toEqual([]);
  });

  it('draws a sweep’s heat map of the two parameters asked for, and its ranking', () => {
    const sweep = temp('sweep.json');
    writeFileSync(
      sweep,
      JSON.stringify({
        parameters: {
          'pools.low_frequency.harvest_threshold': [1.15, 1.5],
          'loss_recovery.refill_target': [0.5, 0.75],
          'black_swan_protection.safety_allocation': [0.1, 0.2],
        },
      }),
    );
    const file = temp('sweep.html');
    const r = botfolio(
      'backtest',
      ...ARGS,
      '--sweep',
      sweep,
      '--report',
      file,
      '--heatmap',
      'black_swan_protection.safety_allocation,pools.low_frequency.harvest_threshold',
    );
    expect(r.code).toBe(0);
    const html = readFileSync(file, 'utf8');
    const page = parse(html);
    const heat = figureOf(page, 'heatmap');
    expect(heat.caption).toBe(
      'Sweep: best end equity by black_swan_protection.safety_allocation × pools.low_frequency.harvest_threshold',
    );
    expect(heat.texts).toEqual(expect.arrayContaining(['0.1', '0.2', '1.15', '1.5']));
    expect(page.querySelectorAll('#sweep tbody tr')).toHaveLength(9); // 8 sets and the current config
    expect(externalReferences(html)).toEqual([]);
  });

  it('refuses a heat map of a parameter the sweep does not vary, writing nothing', () => {
    const sweep = temp('sweep.json');
    writeFileSync(
      sweep,
      JSON.stringify({ parameters: { 'loss_recovery.refill_target': [0.5, 0.75] } }),
    );
    const file = temp('never.html');
    const r = botfolio(
      'backtest',
      ...ARGS,
      '--sweep',
      sweep,
      '--report',
      file,
      '--heatmap',
      'compound_threshold',
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /--heatmap compound_threshold: compound_threshold is not a swept parameter/,
    );
    expect(() => readFileSync(file)).toThrow();
  });
});
