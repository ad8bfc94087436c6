import { expect } from 'chai';
import { CertificateResource } from '../../src/api/v1alpha1/index.js';
import { CertificateAnnotations } from '../../src/api/v1alpha1/labels.js';
import { dig, startBind, type BindServer } from '../support/bind.js';
import {
  CertificateProbe,
  certificate,
  createOpaqueSecret,
  secretEntry,
  verifiedChain,
  waitForGateways,
  withDnsNames,
  withRfc2136,
  withServer,
} from '../support/certificate-kit.js';
import { startOperatorHarness, type OperatorHarness } from '../support/operator-harness.js';
import { Pebble } from '../support/pebble.js';

describe('Certificate end to end: DNS-01 through RFC 2136 (real BIND, Pebble, API server, agents)', function () {
  this.timeout(120_000);
  let bind: BindServer;
  let pebble: Pebble;
  let h: OperatorHarness;

  before(async () => {
    bind = await startBind();
    // Pebble looks the TXT records up at BIND, the server the operator updates.
    pebble = await Pebble.start({ dnsServer: bind.address, validitySeconds: 3600 });
    h = await startOperatorHarness('cert-dns', { gateways: 2 });
  });
  after(async () => {
    await h.stop();
    await pebble.stop();
    await bind.stop();
  });

  it('issues a wildcard and apex certificate through TSIG-signed updates to BIND, verified to Pebble’s root, on every gateway, with the TXT records removed afterwards', async () => {
    const key = bind.keys.HMACSHA256;
    await createOpaqueSecret(h.client, h.namespace, 'bind-tsig', { secret: key.secret });
    await h.client.create(
      CertificateResource,
      certificate(
        h.namespace,
        'apex',
        withDnsNames('example.test', '*.example.test'),
        withServer(pebble.directoryUrl, pebble.caBundle),
        withRfc2136({
          nameserver: bind.address,
          tsigKeyName: key.name,
          tsigAlgorithm: 'HMACSHA256',
          secretName: 'bind-tsig',
          secretKey: 'secret',
        }),
      ),
    );
    const probe = new CertificateProbe(h.client, h.namespace, 'apex');
    const status = await probe.waitForIssued();

    const secret = await probe.secret();
    expect(secret?.type).to.equal('kubernetes.io/tls');
    expect(secret?.metadata.annotations?.[CertificateAnnotations.temporary]).to.equal('false');
    const chain = secretEntry(secret, 'tls.crt');
    const leaf = verifiedChain(chain, await pebble.rootCertificate());
    expect(leaf.dnsNames).to.have.members(['example.test', '*.example.test']);
    expect(leaf.fingerprintSHA256).to.equal(status.fingerprintSHA256);
    expect(status.revision).to.equal(1);

    await waitForGateways(h.gateways, h.namespace, 'apex', chain);
    await probe.waitFor('2/2 gateways', (s) => s?.gateways?.summary === '2/2');
    // Both challenges (apex and wildcard) used _acme-challenge.example.test; both values are gone.
    expect(await dig(bind, '_acme-challenge.example.test', 'TXT')).to.deep.equal([]);
  });
});
