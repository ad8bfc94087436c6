import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { parseAllDocuments } from 'yaml';
import type { RouteConfig } from '../api/v1alpha1/index.js';
import { compileRoutes } from '../domain/routes/index.js';
import { validateText, withDefaults } from '../validate/index.js';
import { main, type Output } from './main.js';
import { GATEWAY_CONFIG_FILE } from '../../test/fixtures/gateway-reference/paths.js';

async function run(argv: string[]): Promise<{ code: number; stdout: string; stderr: string[] }> {
  let stdout = '';
  let stderr = '';
  const out: Output = { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text) };
  const code = await main(argv, {}, out);
  return { code, stdout, stderr: stderr.split('\n').filter(Boolean) };
}

function documents(text: string): RouteConfig[] {
  return parseAllDocuments(text).map((d) => d.toJS() as RouteConfig);
}

const INGRESSES = `
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: shop
  namespace: web
  annotations:
    gateway.awesomeapi.com.br/upstream-timeout: "45"
    gateway.awesomeapi.com.br/rate-limit: '{"requests_per_minute": 1200, "burst": 100, "key": "header:X-Api-Key"}'
    gateway.awesomeapi.com.br/load-balancer: '{"algorithm": "least_connections", "sticky_sessions": true, "health_check": {"path": "/ready", "interval": "10s"}}'
    gateway.awesomeapi.com.br/circuit-breaker: '{"enabled": true, "failure_threshold": 7, "timeout_seconds": 30, "half_open_max_calls": 2}'
    gateway.awesomeapi.com.br/cors: '{"enabled": true}'
    gateway.awesomeapi.com.br/auth-type: '{"auth_type": "jwt"}'
    gateway.awesomeapi.com.br/ssl-redirect: "true"
    gateway.awesomeapi.com.br/backend-protocol: http
    gateway.awesomeapi.com.br/teleport: "yes"
    nginx.ingress.kubernetes.io/rewrite-target: /
spec:
  ingressClassName: gateway
  tls:
    - hosts: [shop.example.com]
      secretName: shop-tls
  rules:
    - host: shop.example.com
      http:
        paths:
          - path: /
            pathType: Prefix
            backend: { service: { name: storefront, port: { number: 80 } } }
          - path: /api/v1
            pathType: Prefix
            backend: { service: { name: api, port: { number: 8080 } } }
          - path: /metrics
            pathType: Exact
            backend: { service: { name: api, port: { name: metrics } } }
    - host: admin.example.com
      http:
        paths:
          - path: /
            pathType: ImplementationSpecific
            backend: { service: { name: admin, port: { number: 80 } } }
---
apiVersion: v1
kind: Service
metadata: { name: storefront, namespace: web }
---
apiVersion: v1
kind: List
items:
  - apiVersion: networking.k8s.io/v1
    kind: Ingress
    metadata: { name: docs, namespace: web }
    spec:
      defaultBackend: { service: { name: docs, port: { number: 8000 } } }
      rules:
        - http:
            paths:
              - path: /guide
                pathType: Prefix
                backend: { service: { name: guide, port: { number: 80 } } }
`;

describe('gateway-worker routes import (CLI)', () => {
  let dir: string;
  let ingressFile: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'routes-import-'));
    ingressFile = join(dir, 'ingresses.yaml');
    await writeFile(ingressFile, INGRESSES);
  });

  after(() => rm(dir, { recursive: true, force: true }));

  it("imports the gateway's upstream section as one RouteConfig that validates and compiles", async () => {
    const { code, stdout, stderr } = await run(['routes', 'import', '--gateway-config', GATEWAY_CONFIG_FILE]);
    expect(code).to.equal(0);
    expect(validateText(stdout).problems).to.deep.equal([]);
    const [manifest, ...rest] = documents(stdout);
    expect(rest).to.deep.equal([]);
    expect(manifest?.metadata.name).to.equal('upstream');
    expect(manifest?.spec).to.deep.equal({
      hostnames: ['gateway.example.com', '*.api.example.com'],
      routes: [
        {
          name: 'default',
          backends: [
            { url: 'http://localhost:3000', weight: 1 },
            { url: 'http://localhost:3001', weight: 1 },
          ],
          timeout: '30s',
          loadBalancer: 'round_robin',
          healthCheck: {
            path: '/health',
            interval: '30s',
            timeout: '5s',
            unhealthyThreshold: 3,
            expectedStatus: 200,
          },
          circuitBreaker: { failureThreshold: 5, timeout: '60s', halfOpenMaxCalls: 3 },
        },
      ],
    });
    // Nothing the section says is dropped without a word.
    const said = stderr.join('\n');
    for (const setting of [
      'ssl.auto_ssl.domains: used as',
      'upstream.backends[0].max_connections: not supported',
      'upstream.backends[1].max_connections: not supported',
      'upstream.backends[*].name: not imported',
      'upstream.load_balancing.session_cookie: not imported (sticky_sessions is off)',
      'upstream.backends[0].address: http://localhost:3000 is the gateway pod itself',
    ]) {
      expect(said).to.include(setting);
    }
    expect(stderr.at(-1)).to.match(/^routes import: 1 RouteConfig, \d+ notes$/);

    const stored = withDefaults(manifest) as RouteConfig;
    const result = compileRoutes({
      routeConfigs: [
        {
          namespace: 'default',
          name: 'upstream',
          creationTimestamp: '2024-01-01T00:00:00Z',
          generation: 1,
          spec: stored.spec,
        },
      ],
      services: new Map(),
      certificates: new Set(),
      wafRuleSets: new Map(),
    }).get('default/upstream');
    expect(result?.accepted.status).to.equal('True');
    expect(result?.resolvedRefs.status).to.equal('True');
  });

  it('takes host names, namespace and name from the command line', async () => {
    const { code, stdout, stderr } = await run([
      'routes',
      'import',
      '--gateway-config',
      GATEWAY_CONFIG_FILE,
      '--hostname',
      'api.example.org',
      '--namespace=edge',
      '--name',
      'legacy',
    ]);
    expect(code).to.equal(0);
    const [manifest] = documents(stdout);
    expect(manifest?.metadata).to.deep.include({ name: 'legacy', namespace: 'edge' });
    expect(manifest?.spec.hostnames).to.deep.equal(['api.example.org']);
    expect(stderr.join('\n')).to.not.include('ssl.auto_ssl.domains');
  });

  it('imports Ingresses: one RouteConfig per host, annotations on every route, every unsupported item reported', async () => {
    const { code, stdout, stderr } = await run(['routes', 'import', '--ingress', ingressFile]);
    expect(code).to.equal(0);
    expect(validateText(stdout).problems).to.deep.equal([]);
    const manifests = documents(stdout);
    expect(manifests.map((m) => `${m.metadata.namespace ?? ''}/${m.metadata.name ?? ''}`)).to.deep.equal([
      'web/shop-shop-example-com',
      'web/shop-admin-example-com',
    ]);
    const settings = {
      timeout: '45s',
      loadBalancer: 'least_connections',
      rateLimit: { requestsPerMinute: 1200, burst: 100 },
      healthCheck: { path: '/ready', interval: '10s' },
      circuitBreaker: { failureThreshold: 7, timeout: '30s', halfOpenMaxCalls: 2 },
    };
    expect(manifests[0]?.spec).to.deep.equal({
      hostnames: ['shop.example.com'],
      routes: [
        {
          name: 'root',
          match: { path: { type: 'Prefix', value: '/' } },
          backends: [{ service: { name: 'storefront', port: 80 } }],
          ...settings,
        },
        {
          name: 'api-v1',
          match: { path: { type: 'Prefix', value: '/api/v1' } },
          backends: [{ service: { name: 'api', port: 8080 } }],
          ...settings,
        },
      ],
    });
    expect(manifests[1]?.spec.routes.map((r) => r.match.path.type)).to.deep.equal(['Prefix']);
    expect(manifests[0]?.metadata.annotations).to.deep.equal({
      'gateway.awesomeapi.com.br/imported-from': 'Ingress web/shop',
    });

    const said = stderr.map((line) => line.replace(`${ingressFile}: `, ''));
    const expected = [
      /Ingress web\/shop annotation gateway\.awesomeapi\.com\.br\/auth-type: not supported by RouteConfig/,
      /annotation gateway\.awesomeapi\.com\.br\/cors: not supported/,
      /annotation gateway\.awesomeapi\.com\.br\/ssl-redirect: not supported/,
      /annotation gateway\.awesomeapi\.com\.br\/teleport: unknown gateway annotation/,
      /annotation gateway\.awesomeapi\.com\.br\/rate-limit key: "header:X-Api-Key" is not supported: RouteConfig limits per client IP/,
      /annotation gateway\.awesomeapi\.com\.br\/load-balancer sticky_sessions: not supported/,
      /spec\.tls\[0\]: TLS comes from a gateway-worker Certificate: create one \(secretName shop-tls\)/,
      /spec\.rules\[0\]\.http\.paths\[2\]\.backend\.service\.port: RouteConfig names a Service port by number, not by name \(metrics\); skipped/,
      /spec\.rules\[1\]\.http\.paths\[0\]\.pathType: ImplementationSpecific is imported as Prefix/,
      /: document 2: kind Service is not an Ingress; skipped$/,
      /Ingress web\/docs rules without a host: a RouteConfig needs host names: pass --hostname/,
    ];
    for (const line of expected)
      expect(
        said.some((s) => line.test(s)),
        String(line),
      ).to.equal(true);
    // Annotations of other Ingress controllers are not the gateway's business.
    expect(said.join('\n')).to.not.include('nginx.ingress');
  });

  it('imports rules without a host, and a default backend, under --hostname', async () => {
    const { code, stdout } = await run([
      'routes',
      'import',
      '--ingress',
      ingressFile,
      '--hostname',
      'docs.example.com',
    ]);
    expect(code).to.equal(0);
    const docs = documents(stdout).find((m) => m.metadata.name === 'docs');
    expect(docs?.spec).to.deep.equal({
      hostnames: ['docs.example.com'],
      routes: [
        {
          name: 'guide',
          match: { path: { type: 'Prefix', value: '/guide' } },
          backends: [{ service: { name: 'guide', port: 80 } }],
        },
        {
          name: 'root',
          match: { path: { type: 'Prefix', value: '/' } },
          backends: [{ service: { name: 'docs', port: 8000 } }],
        },
      ],
    });
  });

  const failures: [what: string, args: string[], code: number, message: RegExp][] = [
    ['no subcommand', ['routes'], 2, /^gateway-worker routes: which subcommand\?/],
    ['an unknown subcommand', ['routes', 'export'], 2, /^gateway-worker routes: unknown subcommand "export"/],
    [
      'nothing to import',
      ['routes', 'import'],
      2,
      /nothing to import: give --gateway-config FILE and\/or --ingress FILE/,
    ],
    ['an unknown flag', ['routes', 'import', '--ingress', 'x', '--force'], 2, /unknown argument "--force"/],
    ['a flag without its value', ['routes', 'import', '--ingress'], 2, /--ingress needs a value/],
    [
      'an unreadable file',
      ['routes', 'import', '--gateway-config', '/nonexistent/gateway.yaml'],
      1,
      /cannot read \/nonexistent\/gateway\.yaml/,
    ],
  ];
  for (const [what, args, code, message] of failures) {
    it(`exits ${code} for ${what}`, async () => {
      const result = await run(args);
      expect(result.code).to.equal(code);
      expect(result.stdout).to.equal('');
      expect(result.stderr[0]).to.match(message);
    });
  }

  it('exits 1 naming the file for YAML that does not parse', async () => {
    const bad = join(dir, 'bad.yaml');
    await writeFile(bad, 'upstream: [unclosed\n');
    const result = await run(['routes', 'import', '--gateway-config', bad]);
    expect(result.code).to.equal(1);
    expect(result.stderr[0]).to.match(new RegExp(`^gateway-worker routes import: ${bad}: not valid YAML`));
  });

  it('exits 1 when nothing can be imported, saying why', async () => {
    const empty = join(dir, 'no-upstream.yaml');
    await writeFile(empty, 'server:\n  bind_address: 0.0.0.0:8080\n');
    const result = await run(['routes', 'import', '--gateway-config', empty]);
    expect(result).to.deep.equal({
      code: 1,
      stdout: '',
      stderr: [
        `routes import: ${empty} upstream: missing: nothing to import`,
        'routes import: nothing could be imported',
      ],
    });
  });
});
