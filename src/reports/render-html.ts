/**
 * HTML rendering: one self-contained page (inline CSS with print styles, charts as inline SVG
 * drawn on the server, no JavaScript), so it opens from a mail attachment or a file and prints
 * cleanly. Every text from data is escaped; numbers are shown with separators and carry their
 * exact value in `data-value`.
 */
import type { ReportModel } from '../domain/reports/report-model.js';
import { SECTION_TITLES, type ReportSection } from '../domain/reports/sections.js';
import { barChart, capacityChart, latencyChart, trafficChart } from './charts.js';
import { escapeHtml } from './html-escape.js';
import { sectionTables, type Cell, type Table } from './report-tables.js';

const STYLE = `
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2937;margin:0 auto;max-width:860px;padding:24px;line-height:1.4}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;border-bottom:2px solid #2563eb;padding-bottom:4px;margin-top:32px}
h3{font-size:14px;margin:18px 0 6px}.meta{color:#6b7280;font-size:13px}
table{border-collapse:collapse;width:100%;font-size:12.5px;margin:6px 0 12px}
th,td{border:1px solid #e5e7eb;padding:4px 6px;text-align:left;vertical-align:top}
th{background:#f3f4f6}td.num{text-align:right;font-variant-numeric:tabular-nums}
.cards{display:flex;flex-wrap:wrap;gap:10px}.card{border:1px solid #e5e7eb;border-radius:6px;padding:8px 12px;min-width:120px}
.card .label{font-size:11px;color:#6b7280;text-transform:uppercase}.card .value{font-size:18px;font-weight:600}
.chart svg{max-width:100%;height:auto}.empty{color:#6b7280;font-style:italic}
@media print{body{max-width:none;padding:0}h2{break-after:avoid}section,table,.chart{break-inside:avoid}a{color:inherit;text-decoration:none}}
`;

function formatNumber(value: number): string {
  return value.toLocaleString('en-US', { maximumFractionDigits: 3 });
}

/** An empty name is data (requests no route matched), but an empty cell reads as a fault. */
function cell(value: Cell, column: string, emptyName: string): string {
  if (value === null) return `<td class="num" data-column="${escapeHtml(column)}">–</td>`;
  if (typeof value === 'number')
    return `<td class="num" data-column="${escapeHtml(column)}" data-value="${value}">${formatNumber(value)}</td>`;
  if (value === '')
    return `<td class="none" data-column="${escapeHtml(column)}" data-value="">${emptyName}</td>`;
  return `<td data-column="${escapeHtml(column)}">${escapeHtml(value)}</td>`;
}

function emptyName(t: Table, column: string): string {
  return column === 'route' || t.name === 'top_routes' ? '(no route)' : '(none)';
}

function table(t: Table): string {
  const head = `<h3>${escapeHtml(t.title)}</h3>`;
  if (t.rows.length === 0)
    return `${head}<p class="empty" data-table="${escapeHtml(t.name)}">None in this window.</p>`;
  const columns = t.columns.map((c) => `<th>${escapeHtml(c.replace(/_/g, ' '))}</th>`).join('');
  const rows = t.rows
    .map(
      (r) =>
        `<tr>${r.map((v, i) => cell(v, t.columns[i] ?? '', emptyName(t, t.columns[i] ?? ''))).join('')}</tr>`,
    )
    .join('\n');
  return `${head}<table data-table="${escapeHtml(t.name)}"><thead><tr>${columns}</tr></thead><tbody>\n${rows}\n</tbody></table>`;
}

function card(id: string, label: string, value: number, suffix = ''): string {
  return `<div class="card"><div class="label">${escapeHtml(label)}</div><div class="value" id="${id}" data-value="${value}">${formatNumber(value)}${suffix}</div></div>`;
}

function chart(svg: string): string {
  return `<div class="chart">${svg}</div>`;
}

function sectionBody(model: ReportModel, section: ReportSection): string {
  const parts: string[] = [];
  if (section === 'traffic' && model.traffic) {
    const t = model.traffic;
    parts.push(
      `<div class="cards">${[
        card('total-requests', 'Requests', t.requests),
        card('total-errors', 'Errors', t.errors),
        card('error-rate', 'Error rate', t.errorRatePercent, ' %'),
        card('average-rps', 'Average req/s', t.averageRps),
        card('bytes-in', 'Bytes in', t.bytesIn),
        card('bytes-out', 'Bytes out', t.bytesOut),
      ].join('')}</div>`,
    );
    if (t.series.length > 0) parts.push(chart(trafficChart(t)));
    return parts.join('\n');
  }
  if (section === 'top' && model.top) {
    if (model.top.routes.length > 0) parts.push(chart(barChart('Top routes', model.top.routes)));
    if (model.top.statusClasses.length > 0)
      parts.push(chart(barChart('Status classes', model.top.statusClasses)));
  }
  if (section === 'latency' && model.latency && model.latency.length > 0)
    parts.push(chart(latencyChart(model.latency)));
  const tables = sectionTables(model, section);
  // The daily peaks are drawn per route; their long table stays in the CSV and JSON.
  parts.push(...tables.filter((t) => t.name !== 'capacity_daily_peaks').map(table));
  if (section === 'capacity' && model.capacity)
    for (const row of model.capacity.slice(0, 5))
      if (row.days.length > 0) parts.push(chart(capacityChart(row)));
  return parts.join('\n');
}

export function renderHtml(model: ReportModel, title = 'Gateway report'): string {
  const scope = model.namespace === null ? 'all namespaces' : `namespace ${model.namespace}`;
  const sections = model.sections
    .map(
      (s) =>
        `<section id="section-${s}"><h2>${escapeHtml(SECTION_TITLES[s])}</h2>\n${sectionBody(model, s)}\n</section>`,
    )
    .join('\n');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body><header><h1>${escapeHtml(title)}</h1>
<p class="meta">Window ${escapeHtml(model.window)}: ${escapeHtml(model.since)} – ${escapeHtml(model.until)} · ${escapeHtml(scope)} · generated ${escapeHtml(model.generatedAt)}</p></header>
${sections}
</body></html>
`;
}
