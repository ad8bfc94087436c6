/**
 * Charts drawn on the server as SVG with ECharts' server-side rendering, so the HTML report
 * needs no JavaScript and prints as it shows. Animation is off (SSR draws the final frame only),
 * and each chart is disposed once rendered: an undisposed SSR chart keeps its zrender tree.
 */
import * as echarts from 'echarts';
import type { CapacityRow, LatencyRow, TopRow, TrafficSummary } from '../domain/reports/report-model.js';

const WIDTH = 760;
const HEIGHT = 280;
const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#d97706', '#7c3aed', '#0891b2'];

function render(option: echarts.EChartsCoreOption, height = HEIGHT): string {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: WIDTH, height });
  try {
    chart.setOption({ animation: false, color: COLORS, ...option });
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}

function hourLabel(timeMs: number): string {
  return new Date(timeMs).toISOString().slice(5, 16).replace('T', ' ');
}

/** Requests and errors per step of the window. */
export function trafficChart(traffic: TrafficSummary): string {
  return render({
    title: { text: 'Requests per step', left: 'center', textStyle: { fontSize: 13 } },
    legend: { bottom: 0, data: ['requests', 'errors'] },
    grid: { left: 60, right: 20, top: 40, bottom: 60 },
    xAxis: { type: 'category', data: traffic.series.map((p) => hourLabel(p.timeMs)) },
    yAxis: { type: 'value' },
    series: [
      { name: 'requests', type: 'line', showSymbol: false, data: traffic.series.map((p) => p.requests) },
      { name: 'errors', type: 'line', showSymbol: false, data: traffic.series.map((p) => p.errors) },
    ],
  });
}

/** Horizontal bars of a top-N table. */
export function barChart(title: string, rows: readonly TopRow[]): string {
  const shown = [...rows].reverse();
  return render(
    {
      title: { text: title, left: 'center', textStyle: { fontSize: 13 } },
      grid: { left: 220, right: 40, top: 40, bottom: 30 },
      xAxis: { type: 'value' },
      yAxis: { type: 'category', data: shown.map((r) => truncate(r.name || '(none)', 36)) },
      series: [{ type: 'bar', data: shown.map((r) => r.requests) }],
    },
    Math.max(160, 60 + 24 * rows.length),
  );
}

/** p50/p95/p99 per route, the busiest routes only. */
export function latencyChart(rows: readonly LatencyRow[]): string {
  const shown = rows.slice(0, 10);
  const names = shown.map((r) => truncate(r.route || '(no route)', 30));
  return render({
    title: { text: 'Latency per route (ms)', left: 'center', textStyle: { fontSize: 13 } },
    legend: { bottom: 0, data: ['p50', 'p95', 'p99'] },
    grid: { left: 60, right: 20, top: 40, bottom: 90 },
    xAxis: { type: 'category', data: names, axisLabel: { rotate: 20 } },
    yAxis: { type: 'value' },
    series: (['p50Ms', 'p95Ms', 'p99Ms'] as const).map((key, i) => ({
      name: ['p50', 'p95', 'p99'][i],
      type: 'bar',
      data: shown.map((r) => r[key] ?? 0),
    })),
  });
}

/** A route's daily peaks, its fitted line and the 30-day forecast. */
export function capacityChart(row: CapacityRow): string {
  const labels = row.days.map((d) => new Date(d.dayMs).toISOString().slice(5, 10));
  const series: { name: string; type: 'bar' | 'line'; data: (number | null)[]; symbolSize?: number }[] = [
    { name: 'daily peak (req/s)', type: 'bar', data: row.days.map((d) => d.peakRps) },
  ];
  if (row.slopeRpsPerDay !== null && row.forecastPeakRps !== null) {
    labels.push('+30d');
    series.push({
      name: 'forecast',
      type: 'line',
      data: [...row.days.map(() => null), row.forecastPeakRps],
      symbolSize: 8,
    });
  }
  return render(
    {
      title: {
        text: `Daily peaks: ${truncate(row.route || '(no route)', 60)}`,
        left: 'center',
        textStyle: { fontSize: 13 },
      },
      legend: { bottom: 0 },
      grid: { left: 60, right: 20, top: 40, bottom: 60 },
      xAxis: { type: 'category', data: labels },
      yAxis: { type: 'value' },
      series,
    },
    240,
  );
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
