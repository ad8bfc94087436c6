/**
 * The chart's monitoring: the PrometheusRule's rules pass `promtool check rules` and their unit
 * tests (`promtool test rules`, test/chart/prometheus-rules.test.yaml); the Grafana dashboards
 * match the dashboard schema, their PromQL parses, and every metric they and the rules name is
 * one the code registers; both render from the chart only when switched on.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { expect } from 'chai';
import { parse, stringify } from 'yaml';
import { findAsset } from '../../src/envtest/assets.js';
import { releaseTempDir, trackTempDir } from '../../src/envtest/processes.js';
import { CHART_DIR, parseObjects, runTool, succeeded } from '../support/install-tools.js';

const root = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));
const RULES = root('helm/gateway-worker/files/prometheus-rules.yaml');
const DASHBOARDS = root('helm/gateway-worker/files/dashboards');
const RULE_TESTS = root('test/chart/prometheus-rules.test.yaml');

interface Dashboard {
  uid: string;
  title: string;
  panels: { title: string; targets: { expr: string }[] }[];
}

function dashboards(): { file: string; dashboard: Dashboard }[] {
  return readdirSync(DASHBOARDS)
    .filter((f) => f.endsWith('.json'))
    .map((file) => ({
      file,
      dashboard: JSON.parse(readFileSync(join(DASHBOARDS, file), 'utf8')) as Dashboard,
    }));
}

/** Every metric name registered in src (prom-client's `name: '...'`), with a histogram's series. */
function registeredMetrics(): Set<string> {
  const names = new Set<string>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) {
        for (const m of readFileSync(path, 'utf8').matchAll(/name: '([a-z_:][a-z0-9_:]*)'/g)) {
          const name = m[1] ?? '';
          for (const suffix of ['', '_bucket', '_sum', '_count']) names.add(name + suffix);
        }
      }
    }
  };
  walk(root('src'));
  return names;
}

/** Metric names in a PromQL expression: identifiers not followed by "(" and not label names or keywords. */
function metricNames(expr: string): string[] {
  const stripped = expr
    .replaceAll('$__rate_interval', '5m')
    .replace(/\{[^}]*\}/g, '')
    .replace(/by \([^)]*\)/g, '');
  const keywords = new Set([
    'sum',
    'max',
    'min',
    'rate',
    'increase',
    'histogram_quantile',
    'time',
    'by',
    'le',
  ]);
  return [...stripped.matchAll(/\b([a-z_][a-z0-9_]*)\b(?!\s*\()/g)]
    .map((m) => m[1] ?? '')
    .filter((name) => name.includes('_') && !keywords.has(name) && !name.startsWith('$'));
}

describe('monitoring in the chart: PrometheusRule and Grafana dashboards', function () {
  this.timeout(60_000);
  let dir: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'gateway-worker-monitoring-'));
    trackTempDir(dir);
  });
  after(() => releaseTempDir(dir));

  it('promtool check rules accepts the alert rules', async () => {
    const out = succeeded(
      await runTool(findAsset('promtool'), ['check', 'rules', RULES]),
      'promtool check rules',
    );
    expect(out).to.match(/SUCCESS: 7 rules found/);
  });

  it('promtool test rules passes the alerts unit tests', async () => {
    const result = await runTool(findAsset('promtool'), ['test', 'rules', RULE_TESTS]);
    succeeded(result, 'promtool test rules');
    expect(result.stdout).to.contain('SUCCESS');
  });

  it('the dashboards match the dashboard schema and have distinct uids', () => {
    const schema = JSON.parse(
      readFileSync(root('test/fixtures/grafana-dashboard.schema.json'), 'utf8'),
    ) as object;
    const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
    const found = dashboards();
    expect(found.map((d) => d.file).sort()).to.deep.equal(['fleet-traffic.json', 'operator.json']);
    for (const { file, dashboard } of found) {
      expect(validate(dashboard), `${file}: ${JSON.stringify(validate.errors)}`).to.equal(true);
    }
    expect(new Set(found.map((d) => d.dashboard.uid)).size).to.equal(found.length);
  });

  it("the dashboards' PromQL parses (promtool) and every metric named in dashboards and rules exists", async () => {
    const exprs = dashboards().flatMap(({ dashboard }) =>
      dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr)),
    );
    const asRules = {
      groups: [
        {
          name: 'dashboard-expressions',
          // Grafana fills $__rate_interval in; any range parses the same.
          rules: exprs.map((expr, i) => ({
            record: `dashboard:expr_${i}`,
            expr: expr.replaceAll('$__rate_interval', '5m'),
          })),
        },
      ],
    };
    const file = join(dir, 'dashboard-exprs.yaml');
    writeFileSync(file, stringify(asRules));
    succeeded(
      await runTool(findAsset('promtool'), ['check', 'rules', file]),
      'promtool check rules (dashboard PromQL)',
    );

    const rules = parse(readFileSync(RULES, 'utf8')) as { groups: { rules: { expr: string }[] }[] };
    const known = registeredMetrics();
    const used = new Set(
      [...exprs, ...rules.groups.flatMap((g) => g.rules.map((r) => r.expr))].flatMap(metricNames),
    );
    expect(used.size).to.be.greaterThan(15);
    expect([...used].filter((name) => !known.has(name))).to.deep.equal([]);
  });

  const template = async (...flags: string[]) =>
    parseObjects(
      succeeded(
        await runTool(findAsset('helm'), [
          'template',
          'gateway-worker',
          CHART_DIR,
          '--namespace',
          'gw',
          ...flags,
        ]),
        'helm template',
      ),
    );

  it('renders neither by default, and both when switched on', async () => {
    const defaults = await template();
    expect(defaults.filter((o) => o.kind === 'PrometheusRule')).to.deep.equal([]);
    expect(defaults.filter((o) => o.metadata.labels?.['grafana_dashboard'] !== undefined)).to.deep.equal([]);

    const on = await template(
      '--set',
      'grafanaDashboards.enabled=true',
      '--set',
      'prometheusRule.enabled=true',
      '--set',
      'grafanaDashboards.annotations.grafana_folder=Gateway',
    );
    const maps = on.filter((o) => o.kind === 'ConfigMap' && o.metadata.labels?.['grafana_dashboard'] === '1');
    expect(maps.map((m) => m.metadata.name).sort()).to.deep.equal([
      'gateway-worker-dashboard-fleet-traffic',
      'gateway-worker-dashboard-operator',
    ]);
    for (const map of maps) {
      const data = (map as unknown as { data: Record<string, string> }).data;
      const [name, json] = Object.entries(data)[0] ?? ['', ''];
      expect(JSON.parse(json)).to.deep.equal(JSON.parse(readFileSync(join(DASHBOARDS, name), 'utf8')));
      expect(map.metadata.annotations).to.deep.equal({ grafana_folder: 'Gateway' });
    }
    const rule = on.find((o) => o.kind === 'PrometheusRule') as unknown as { spec: unknown } | undefined;
    expect(rule?.spec).to.deep.equal(parse(readFileSync(RULES, 'utf8')));
  });
});
