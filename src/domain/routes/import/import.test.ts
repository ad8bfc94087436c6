import { expect } from 'chai';
import { validateObject } from '../../../validate/index.js';
import { routeName } from './convert.js';
import { importGatewayConfig } from './gateway-config.js';
import { importIngresses } from './ingress.js';

function upstream(section: Record<string, unknown>) {
  return importGatewayConfig({ upstream: section }, { hostnames: ['api.example.com'] });
}

const backend = (address: string, extra: Record<string, unknown> = {}) => ({ address, weight: 1, ...extra });

describe('routes import: gateway.yaml upstream', () => {
  const cases: [
    name: string,
    section: Record<string, unknown>,
    route: Record<string, unknown>,
    note: RegExp,
  ][] = [
    [
      'backends with different timeouts: the route takes the longest',
      { backends: [backend('http://a.svc', { timeout: '10s' }), backend('http://b.svc', { timeout: '1m' })] },
      { timeout: '1m' },
      /backends differ \(10s, 1m\); the route uses the longest, 1m/,
    ],
    [
      'the weighted algorithm: round robin over the weights',
      { backends: [backend('http://a.svc')], load_balancing: { algorithm: 'weighted' } },
      { loadBalancer: 'round_robin' },
      /weighted is round_robin over the backend weights/,
    ],
    [
      'a health-check timeout not shorter than its interval: half the interval',
      { backends: [backend('http://a.svc')], health_check: { enabled: true, interval: '4s', timeout: '5s' } },
      { healthCheck: { interval: '4s', timeout: '2000ms' } },
      /a timeout of 2000ms is used: it must be shorter than the interval/,
    ],
    [
      'a circuit breaker timeout in seconds, as the Ingress annotation spells it',
      { backends: [backend('http://a.svc')], circuit_breaker: { enabled: true, timeout_seconds: 90 } },
      { circuitBreaker: { timeout: '90s' } },
      /^$/,
    ],
    [
      'an unknown setting in the section',
      { backends: [backend('http://a.svc')], retry_budget: 3 },
      {},
      /upstream\.retry_budget: unknown setting; not imported/,
    ],
    [
      'a backend address that is no URL: that backend is left out',
      { backends: [backend('http://a.svc'), backend('a.svc:80')] },
      { backends: [{ url: 'http://a.svc', weight: 1 }] },
      /backends\[1\]\.address: "a\.svc:80" is not an http:\/\/ or https:\/\/ URL; backend left out/,
    ],
    [
      'sticky sessions',
      { backends: [backend('http://a.svc')], load_balancing: { sticky_sessions: true } },
      {},
      /sticky_sessions: not supported by RouteConfig; use ip_hash for affinity/,
    ],
  ];
  for (const [name, section, route, note] of cases) {
    it(`handles ${name}`, () => {
      const { manifests, notes } = upstream(section);
      expect(manifests).to.have.length(1);
      expect(validateObject(manifests[0])).to.deep.equal([]);
      expect(manifests[0]?.spec.routes[0]).to.deep.include(route);
      const said = notes.map((n) => `${n.source}: ${n.message}`).join('\n');
      expect(said).to.match(new RegExp(note.source, 'm'));
    });
  }

  it('imports nothing without host names, and says where they could come from', () => {
    const { manifests, notes } = importGatewayConfig({ upstream: { backends: [backend('http://a.svc')] } });
    expect(manifests).to.deep.equal([]);
    expect(notes.map((n) => n.message)).to.deep.equal([
      'no host names: pass --hostname (the upstream section has none, nor has ssl.auto_ssl.domains)',
    ]);
  });

  it('imports nothing without a usable backend', () => {
    const { manifests, notes } = upstream({ backends: [backend('ftp://files')] });
    expect(manifests).to.deep.equal([]);
    expect(notes.at(-1)?.message).to.equal('no usable backend: nothing to import');
  });
});

describe('routes import: Ingress', () => {
  const ingress = (spec: Record<string, unknown>, annotations: Record<string, string> = {}) => ({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name: 'web', namespace: 'shop', annotations },
    spec,
  });
  const rule = (host: string, ...paths: [path: string, type: string, service: string, port: number][]) => ({
    host,
    http: {
      paths: paths.map(([path, pathType, name, number]) => ({
        path,
        pathType,
        backend: { service: { name, port: { number } } },
      })),
    },
  });

  it('skips a path the gateway would normalise differently, and a repeated match', () => {
    const { manifests, notes } = importIngresses([
      ingress({
        rules: [
          rule(
            'a.example.com',
            ['/a/../b', 'Prefix', 's', 80],
            ['/x', 'Prefix', 's', 80],
            ['/x/', 'Prefix', 't', 80],
          ),
        ],
      }),
    ]);
    expect(manifests[0]?.spec.routes.map((r) => r.name)).to.deep.equal(['x']);
    expect(notes.map((n) => n.message)).to.deep.equal([
      "path must not contain a . or .. segment (allowed: letters, digits, -._~!$&'()*+,;=:@/ and %-escapes; no //, /./, /../, %2F or #); skipped",
      'Prefix /x is already routed by an earlier path (the first one is kept); skipped',
    ]);
  });

  it('refuses an extensions/v1beta1 Ingress with a note', () => {
    const { manifests, notes } = importIngresses([{ ...ingress({}), apiVersion: 'extensions/v1beta1' }]);
    expect(manifests).to.deep.equal([]);
    expect(notes[0]?.message).to.match(
      /extensions\/v1beta1 is not supported \(networking\.k8s\.io\/v1 only\)/,
    );
  });

  it('reports an annotation that is not JSON', () => {
    const { notes } = importIngresses([
      ingress(
        { rules: [rule('a.example.com', ['/', 'Prefix', 's', 80])] },
        { 'gateway.awesomeapi.com.br/rate-limit': 'fast' },
      ),
    ]);
    expect(notes.map((n) => `${n.source}: ${n.message}`)).to.deep.equal([
      'Ingress shop/web annotation gateway.awesomeapi.com.br/rate-limit: is not a JSON object; not imported',
    ]);
  });

  it('names routes after their paths, numbered when two paths give the same name', () => {
    const taken = new Set<string>();
    expect(['/', '/api/v1/', '/API/v1', '/_/'].map((p) => routeName(p, taken))).to.deep.equal([
      'root',
      'api-v1',
      'api-v1-2',
      'root-2',
    ]);
  });
});
