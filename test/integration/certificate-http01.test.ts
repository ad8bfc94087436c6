import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { CertificateResource, statusOf, type Certificate } from '../../src/api/v1alpha1/index.js';
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
    await eventually(
      async () => findCondition(statusOf(await get())?.conditions, 'Ready')?.status === 'True',
      60_000,
      'Ready=True',
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
});
