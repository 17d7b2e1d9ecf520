/**
 * `GET /dashboard`: the built-in dashboard for users without Grafana. Plain HTML and one inline script that calls
 * only this gateway's API with the key the user enters (or `?key=`), so it shows only that key's tenant; charts are
 * inline SVG. Each panel sets `data-points` once drawn, for the browser test.
 */
const STYLE = `body{font:14px/1.4 system-ui,sans-serif;margin:1rem 2rem;color:#222}h1{font-size:1.3rem}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(520px,1fr));gap:1rem}
section{border:1px solid #ddd;border-radius:6px;padding:.5rem 1rem}h2{font-size:1rem;margin:.3rem 0}
svg{width:100%;height:220px}table{border-collapse:collapse;width:100%}td,th{padding:2px 6px;text-align:left;border-bottom:1px solid #eee}
.legend span{margin-right:1rem}.err{color:#b00}`;

const SCRIPT = String.raw`
const COLORS = ['#1f77b4', '#2ca02c', '#d62728', '#ff7f0e', '#9467bd', '#8c564b'];
const qs = new URLSearchParams(location.search);
const keyInput = document.getElementById('key');
keyInput.value = qs.get('key') || sessionStorage.getItem('mailstream.key') || '';
const minutes = Number(qs.get('minutes') || 60);
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => '&#' + c.charCodeAt(0) + ';');
const iso = (ms) => new Date(ms).toISOString().slice(0, 16);
async function api(path) {
  const r = await fetch('/api/v1' + path, { headers: { authorization: keyInput.value } });
  if (!r.ok) throw new Error(path + ': HTTP ' + r.status);
  return (await r.json()).results;
}
// a line chart: series {name, points: [[t, v]]}, optional horizontal threshold line
function lines(panel, series, opts = {}) {
  const el = document.querySelector('[data-panel="' + panel + '"]');
  const W = 600, H = 200, P = 36;
  const all = series.flatMap((s) => s.points);
  const t0 = Math.min(...all.map((p) => p[0]), Date.now() - minutes * 60000), t1 = Math.max(...all.map((p) => p[0]), Date.now());
  const vmax = Math.max(1, ...all.map((p) => p[1]), opts.threshold || 0);
  const x = (t) => P + ((t - t0) / Math.max(1, t1 - t0)) * (W - 2 * P);
  const y = (v) => H - P / 2 - (v / vmax) * (H - P);
  let svg = '<svg viewBox="0 0 ' + W + ' ' + H + '" role="img"><line x1="' + P + '" y1="' + y(0) + '" x2="' + (W - P) + '" y2="' + y(0) + '" stroke="#999"/>'
    + '<text x="2" y="12" font-size="10">' + esc(Math.round(vmax)) + (opts.unit || '') + '</text>';
  if (opts.threshold) svg += '<line class="slo" x1="' + P + '" x2="' + (W - P) + '" y1="' + y(opts.threshold) + '" y2="' + y(opts.threshold) + '" stroke="#d62728" stroke-dasharray="4"/>';
  series.forEach((s, i) => {
    if (!s.points.length) return;
    const d = s.points.map((p, j) => (j ? 'L' : 'M') + x(p[0]).toFixed(1) + ' ' + y(p[1]).toFixed(1)).join(' ');
    svg += '<path class="series" d="' + d + '" fill="none" stroke="' + COLORS[i % COLORS.length] + '" stroke-width="2"/>';
    for (const p of s.points) svg += '<circle cx="' + x(p[0]).toFixed(1) + '" cy="' + y(p[1]).toFixed(1) + '" r="2.5" fill="' + COLORS[i % COLORS.length] + '"/>';
  });
  el.innerHTML = svg + '</svg><div class="legend">' + series.map((s, i) => '<span style="color:' + COLORS[i % COLORS.length] + '">■ ' + esc(s.name) + '</span>').join('')
    + (opts.threshold ? '<span style="color:#d62728">- - SLO ' + esc(opts.threshold) + (opts.unit || '') + '</span>' : '') + '</div>';
  el.dataset.points = String(all.length);
}
function table(panel, rows, cols) {
  const el = document.querySelector('[data-panel="' + panel + '"]');
  const max = Math.max(1, ...rows.map((r) => r[cols[cols.length - 1]]));
  el.innerHTML = '<table><tr>' + cols.map((c) => '<th>' + esc(c) + '</th>').join('') + '</tr>' + rows.map((r) => '<tr>'
    + cols.map((c, i) => '<td>' + (i === cols.length - 1 ? '<svg width="120" height="10" style="width:120px;height:10px"><rect class="bar" width="'
      + Math.max(1, 120 * r[c] / max) + '" height="10" fill="#1f77b4"/></svg> ' : '') + esc(r[c]) + '</td>').join('') + '</tr>').join('') + '</table>';
  el.dataset.points = String(rows.length);
}
async function load() {
  sessionStorage.setItem('mailstream.key', keyInput.value);
  const now = Date.now(), from = Math.floor((now - minutes * 60000) / 60000) * 60000, to = Math.ceil((now + 1) / 60000) * 60000;
  const range = 'from=' + iso(from) + '&to=' + iso(to);
  const status = document.getElementById('status');
  try {
    const metrics = ['count_sent', 'count_delivered', 'count_bounce', 'count_delayed', 'count_spam_complaint'];
    const ts = await api('/metrics/deliverability/time-series?precision=1min&metrics=' + metrics.join(',') + '&' + range);
    lines('volume', metrics.map((m) => ({ name: m.replace('count_', ''), points: ts.map((r) => [Date.parse(r.ts), r[m]]) })));
    for (const [kind, slo] of [['bulk', 3600], ['transactional', 30]]) {
      const lat = await api('/metrics/latency?span=launch&precision=1min&kind=' + kind + '&' + range);
      lines('latency-' + kind, ['p50', 'p95', 'p99'].map((q) => ({ name: q, points: lat.map((r) => [Date.parse(r.ts), r[q] / 1000]) })),
        { threshold: slo, unit: 's' });
    }
    const lag = await api('/metrics/lag');
    table('lag', lag.map((g) => ({ stage: g.stage, 'oldest (s)': Math.round(g.lagSeconds), records: g.lagRecords })), ['stage', 'oldest (s)', 'records']);
    table('reasons', (await api('/metrics/deliverability/bounce-reason?limit=10&' + range))
      .map((r) => ({ reason: r.reason, category: r.bounce_category_name, bounces: r.count_bounce })), ['reason', 'category', 'bounces']);
    table('domains', (await api('/metrics/deliverability/domain?metrics=count_bounce,count_sent&limit=10&' + range))
      .filter((r) => r.count_bounce > 0).sort((a, b) => b.count_bounce - a.count_bounce).slice(0, 10)
      .map((r) => ({ domain: r.domain, sent: r.count_sent, bounces: r.count_bounce })), ['domain', 'sent', 'bounces']);
    status.textContent = 'updated ' + new Date().toLocaleTimeString();
    document.body.dataset.loaded = String(Number(document.body.dataset.loaded || 0) + 1);
  } catch (err) { status.textContent = err.message; status.className = 'err'; }
}
document.getElementById('go').onclick = load;
if (keyInput.value) { load(); setInterval(load, Number(qs.get('refresh') || 15) * 1000); }
`;

/** The page. */
export function dashboardPage(): string {
  const panel = (id: string, title: string) => `<section><h2>${title}</h2><div data-panel="${id}">no data yet</div></section>`;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>mailstream dashboard</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>${STYLE}</style></head><body>
<h1>mailstream</h1><p><label>API key <input id="key" type="password" size="40" autocomplete="off"></label>
<button id="go">Show</button> <span id="status"></span></p><div class="grid">
${panel('volume', 'Messages per minute: sent, delivered, bounced, deferred, complaints')}
${panel('latency-bulk', 'Bulk: launch → delivery p50 / p95 / p99 (s) against the SLO')}
${panel('latency-transactional', 'Transactional: launch → delivery p50 / p95 / p99 (s) against the SLO')}
${panel('lag', 'Consumer lag by stage')}
${panel('reasons', 'Top bounce reasons')}
${panel('domains', 'Top bounce domains')}
</div><script>${SCRIPT}</script></body></html>`;
}
