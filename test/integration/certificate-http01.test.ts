import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import {
  CertificateResource,
  RouteConfigResource,
  statusOf,
  type Certificate,
  type RouteConfig,
} from '../../src/api/v1alpha1/index.js';
import { CertificateAnnotations } from '../../src/api/v1alpha1/labels.js';
import { CoreTypes, type KubeObject } from '../../src/runtime/kube/resource.js';
import { findCondition } from '../../src/runtime/status/conditions.js';
import { verifyChain } from '../support/acme-kit.js';
import { startOperatorHarness, type OperatorHarness } from '../support/operator-harness.js';
import { Pebble } from '../support/pebble.js';
import { eventually } from '../support/widgets.js';

type Secret = KubeObject & { data?: Record<string, string> };

describe('Certificate end to end: HTTP-01 through the gateways (real Pebble, API server, agents)', function () {
  this.timeout(120_000);
  let pebble: Pebble;
  let h: OperatorHarness;

  before(async () => {
    // Every name resolves to gateway-0, which answers HTTP-01 on Pebble's validation port.
    pebble = await Pebble.start({ defaultIPv4: '127.0.0.2', validitySeconds: 3600 });
    h = await startOperatorHarness('cert-http', { gateways: 3, httpPort: pebble.httpPort });
  });
  after(async () => {
    await h.stop();
    await pebble.stop();
  });

  it('issues through the gateways, stores a verified chain, and pushes it to every gateway', async () => {
    await h.client.create<Certificate>(CertificateResource, {
      apiVersion: 'gateway.awesomeapi.com.br/v1alpha1',
      kind: 'Certificate',
      metadata: { namespace: h.namespace, name: 'shop' },
      spec: {
        secretName: 'shop-tls',
        dnsNames: ['shop.example.test', 'www.shop.example.test'],
        acme: {
          server: pebble.directoryUrl,
          email: 'admin@shop.example.test',
          caBundle: Buffer.from(pebble.caBundle).toString('base64'),
          solver: { http01: {} },
        },
      },
    } as unknown as Certificate);
    const get = () => h.client.get<Certificate>(CertificateResource, h.namespace, 'shop');
    // Ready comes with the Secret; revision and order state with the issuance's own status write.
    await eventually(
      async () => {
        const status = statusOf(await get());
        return (
          findCondition(status?.conditions, 'Ready')?.status === 'True' &&
          status?.revision === 1 &&
          status.order?.state === 'valid'
        );
      },
      60_000,
      'Ready=True with revision 1 stored',
    );
    const secret = await h.client.get<Secret>(CoreTypes.secret, h.namespace, 'shop-tls');
    expect(secret.type).to.equal('kubernetes.io/tls');
    expect(secret.metadata.annotations?.[CertificateAnnotations.temporary]).to.equal('false');
    const chain = Buffer.from(secret.data?.['tls.crt'] ?? '', 'base64').toString('utf8');
    const [leaf, ...rest] =
      chain.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g) ?? [];
    const verified = verifyChain(leaf ?? '', rest.join(''), await pebble.rootCertificate());
    expect(verified.subjectAltName).to.include('shop.example.test');

    await eventually(
      async () => statusOf(await get())?.gateways?.summary === '3/3',
      30_000,
      'the certificate on every gateway',
    );
    for (const g of h.gateways.simulated.gateways) {
      const onGateway = readFileSync(join(g.dir, 'certs', `${h.namespace}_shop.crt`), 'utf8');
      expect(onGateway).to.equal(chain);
    }
    const status = statusOf(await get());
    expect(status?.revision).to.equal(1);
    expect(status?.order?.state).to.equal('valid');
    expect(Date.parse(status?.renewalTime ?? '')).to.be.lessThan(Date.parse(status?.notAfter ?? ''));
  });

  it('sends a route that uses the certificate only after the certificate reached each gateway', async () => {
    const certFile = (dir: string) => join(dir, 'certs', `${h.namespace}_api.crt`);
    const routesFile = (dir: string) => join(dir, 'routes.yaml');
    const violations: string[] = [];
    const watching = setInterval(() => {
      for (const g of h.gateways.simulated.gateways) {
        const routes = existsSync(routesFile(g.dir)) ? readFileSync(routesFile(g.dir), 'utf8') : '';
        if (routes.includes(`${h.namespace}_api`) && !existsSync(certFile(g.dir))) violations.push(g.name);
      }
    }, 5);
    try {
      // The route first: it is held (answering 503) until its certificate is on the gateways.
      await h.client.create<RouteConfig>(RouteConfigResource, {
        apiVersion: 'gateway.awesomeapi.com.br/v1alpha1',
        kind: 'RouteConfig',
        metadata: { namespace: h.namespace, name: 'api' },
        spec: {
          hostnames: ['api.example.test'],
          tls: { certificateRef: { name: 'api' } },
          routes: [{ name: 'all', backends: [{ url: 'https://backend.example.test' }] }],
        },
      } as unknown as RouteConfig);
      await eventually(
        async () =>
          findCondition(
            statusOf(await h.client.get<RouteConfig>(RouteConfigResource, h.namespace, 'api'))?.conditions,
            'ResolvedRefs',
          )?.status === 'False',
        30_000,
        'the route waiting for its certificate',
      );
      await h.client.create<Certificate>(CertificateResource, {
        apiVersion: 'gateway.awesomeapi.com.br/v1alpha1',
        kind: 'Certificate',
        metadata: { namespace: h.namespace, name: 'api' },
        spec: {
          secretName: 'api-tls',
          dnsNames: ['api.example.test'],
          acme: {
            server: pebble.directoryUrl,
            caBundle: Buffer.from(pebble.caBundle).toString('base64'),
            solver: { http01: {} },
          },
        },
      } as unknown as Certificate);
      await eventually(
        () =>
          h.gateways.simulated.gateways.every(
            (g) =>
              existsSync(routesFile(g.dir)) &&
              readFileSync(routesFile(g.dir), 'utf8').includes(`${h.namespace}_api`),
          ),
        60_000,
        'the route with its certificate on every gateway',
      );
    } finally {
      clearInterval(watching);
    }
    expect(violations, 'a gateway had the route before the certificate').to.deep.equal([]);
    for (const g of h.gateways.simulated.gateways) expect(existsSync(certFile(g.dir))).to.equal(true);
  });
});
