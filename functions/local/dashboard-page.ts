/**
 * The dashboard's one page: inline CSS and script, nothing fetched but `/api/dashboard`, polled
 * every `refreshMs`. Text goes in with `textContent`; only the server's own SVG charts are set as
 * markup. It shows, and offers no action: halting stays a CLI command.
 */

const STYLE = `
body{font:14px/1.4 system-ui,sans-serif;margin:16px 24px;color:#222;background:#fafafa}
header{display:flex;gap:24px;align-items:baseline;flex-wrap:wrap}
h1{font-size:20px;margin:0}h2{font-size:15px;margin:18px 0 6px}
.mode{font-weight:700;padding:2px 10px;border-radius:4px;background:#2e7d32;color:#fff;text-transform:uppercase}
.mode.halted,.mode.black_swan{background:#c62828}
.figures{display:flex;gap:18px;flex-wrap:wrap}.figures div{background:#fff;border:1px solid #ddd;border-radius:4px;padding:6px 12px}
.figures b{display:block;font-size:18px}
.charts{display:flex;flex-wrap:wrap;gap:8px}.charts>div{background:#fff;border:1px solid #ddd}
table{border-collapse:collapse;background:#fff}th,td{padding:3px 9px;border-bottom:1px solid #e4e4e4;text-align:right;white-space:nowrap}
th:first-child,td:first-child,td.l,th.l{text-align:left}
.low{color:#c62828;font-weight:600}.muted{color:#777}
ul{padding-left:18px;margin:4px 0}pre{background:#fff;border:1px solid #ddd;padding:6px;overflow:auto;font-size:12px}
#error{color:#c62828}
`;

const SCRIPT = `
const $ = (id) => document.getElementById(id);
const money = (x) => x === null || x === undefined ? '—' : Number(x).toFixed(2);
const pct = (x) => x === null || x === undefined ? '—' : (Number(x) * 100).toFixed(1) + ' %';
function cell(tr, text, cls) { const td = document.createElement('td'); td.textContent = text; if (cls) td.className = cls; tr.append(td); return td; }
function render(d) {
  $('error').textContent = '';
  if (!d.ready) { $('waiting').textContent = d.message; return; }
  $('waiting').textContent = '';
  const s = d.status, b = s.board;
  $('mode').textContent = b.mode; $('mode').className = 'mode ' + b.mode;
  $('cycle').textContent = b.cycle_id;
  $('as-of').textContent = s.as_of;
  $('equity').textContent = money(b.equity) + ' ' + d.currency;
  $('peak').textContent = money(b.peak_equity);
  $('drawdown').textContent = pct(b.drawdown) + (b.emergency_stop_percent ? ' of ' + b.emergency_stop_percent + ' % stop' : ' (no stop)');
  $('next').textContent = b.next_cycle_at ?? '—';
  $('updated').textContent = d.generated_at;
  $('transfer-count').textContent = String(d.transfer_count);
  $('chart-equity').innerHTML = d.charts.equity;
  $('chart-drawdown').innerHTML = d.charts.drawdown;
  $('chart-reserves').innerHTML = d.charts.reserves;
  const reserves = $('reserves'); reserves.replaceChildren();
  for (const [name, r] of Object.entries(b.reserves)) {
    const tr = document.createElement('tr'); tr.dataset.reserve = name;
    cell(tr, 'reserve:' + name); const low = Number(r.balance) < Number(r.floor);
    cell(tr, money(r.balance), low ? 'low' : ''); cell(tr, Number(r.floor) > 0 ? money(r.floor) : '—');
    cell(tr, low ? 'BELOW FLOOR' : '', 'l'); reserves.append(tr);
  }
  const bots = $('bots'); bots.replaceChildren();
  for (const r of b.bots) {
    const tr = document.createElement('tr'); tr.dataset.bot = r.bot_id;
    cell(tr, r.bot_id); cell(tr, r.pool, 'l'); cell(tr, r.status, 'l');
    cell(tr, money(r.balance)); cell(tr, money(r.capital_base)); cell(tr, money(r.pnl));
    const ratio = r.ratio === null ? '—' : Number(r.ratio).toFixed(2);
    cell(tr, ratio + ' (≥' + (r.harvest_at ?? '—') + ' · ≤' + (r.refill_at ?? '—') + ')', 'l');
    cell(tr, r.refills + (r.max_refills === null ? '' : '/' + r.max_refills) + (r.refill_blocked ? ' BLOCKED' : '') + (r.compounding ? ' compounding' : ''), 'l');
    cell(tr, r.last_action ? r.last_action.kind + ' ' + money(r.last_action.amount) + ' ' + r.last_action.status : '—', 'l');
    const spark = cell(tr, '', 'l'); spark.className = 'spark'; spark.innerHTML = d.charts.bots[r.bot_id] ?? '';
    bots.append(tr);
  }
  const open = new Set([...document.querySelectorAll('#transfers details[open]')].map((e) => e.parentElement.dataset.transfer));
  const transfers = $('transfers'); transfers.replaceChildren();
  for (const t of d.transfers) {
    const li = document.createElement('li'); li.dataset.transfer = t.id;
    const det = document.createElement('details'); if (open.has(t.id)) det.open = true;
    const sum = document.createElement('summary');
    sum.textContent = t.createdAt.slice(0, 19).replace('T', ' ') + '  ' + t.kind + ' ' + money(t.amount) + ' ' + d.currency + '  ' + t.from + ' → ' + t.to + '  ' + t.status;
    const pre = document.createElement('pre'); pre.textContent = t.story;
    det.append(sum, pre); li.append(det); transfers.append(li);
  }
  if (d.transfers.length === 0) transfers.textContent = 'no transfers yet';
  const alerts = $('alerts'); alerts.replaceChildren();
  for (const a of b.recent_alerts) {
    const li = document.createElement('li'); li.dataset.alert = a.code;
    li.textContent = a.at.slice(0, 19).replace('T', ' ') + '  ' + a.code + (a.about ? ' [' + a.about + ']' : '');
    alerts.append(li);
  }
  if (b.recent_alerts.length === 0) alerts.textContent = 'no alerts in the last 24 hours';
  const flight = $('in-flight'); flight.replaceChildren();
  for (const e of b.in_flight) { const li = document.createElement('li'); li.textContent = e.kind + ' ' + money(e.amount) + ' ' + e.from + ' → ' + e.to + ' ' + e.status + ' since ' + e.since; flight.append(li); }
  if (b.in_flight.length === 0) flight.textContent = 'none';
}
async function poll() {
  try {
    const r = await fetch('/api/dashboard', { cache: 'no-store' });
    render(await r.json());
  } catch (e) { $('error').textContent = 'cannot read the dashboard: ' + e; }
  document.body.dataset.polls = String(Number(document.body.dataset.polls ?? 0) + 1);
  setTimeout(poll, REFRESH_MS);
}
poll();
`;

const escapeHtml = (s: string) =>
  s.replace(
    /[&<>"]/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string,
  );

export function dashboardPage(o: { portfolioId: string; refreshMs: number }): string {
  const id = escapeHtml(o.portfolioId);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Botfolio · ${id}</title><style>${STYLE}</style></head>
<body>
<header><h1>Botfolio · ${id}</h1><span id="mode" class="mode">…</span>
<span class="muted">books as of <span id="as-of">—</span> · cycle <span id="cycle">—</span> · next <span id="next">—</span> · updated <span id="updated">—</span> (every ${o.refreshMs / 1000}s; read-only)</span></header>
<p id="waiting" class="muted"></p><p id="error"></p>
<section class="figures">
<div>equity<b id="equity">—</b></div><div>peak<b id="peak">—</b></div><div>drawdown<b id="drawdown">—</b></div><div>transfers<b id="transfer-count">—</b></div>
</section>
<h2>Portfolio</h2>
<div class="charts"><div id="chart-equity"></div><div id="chart-drawdown"></div><div id="chart-reserves"></div></div>
<h2>Reserves</h2>
<table><thead><tr><th>reserve</th><th>balance</th><th>floor</th><th></th></tr></thead><tbody id="reserves"></tbody></table>
<h2>Bots</h2>
<table><thead><tr><th>bot</th><th class="l">pool</th><th class="l">status</th><th>balance</th><th>capital base</th><th>PnL</th><th class="l">B/C (harvest · refill)</th><th class="l">refills</th><th class="l">last action</th><th class="l">balance · capital base</th></tr></thead><tbody id="bots"></tbody></table>
<h2>In flight</h2><ul id="in-flight"></ul>
<h2>Transfers (newest first; click one for its story)</h2><ul id="transfers"></ul>
<h2>Alerts (last 24 hours)</h2><ul id="alerts"></ul>
<script>const REFRESH_MS = ${Math.max(500, Math.round(o.refreshMs))};${SCRIPT}</script>
</body></html>
`;
}
