import { expect } from 'chai';
import { CertificateResource } from '../../src/api/v1alpha1/index.js';
import { CertificateAnnotations } from '../../src/api/v1alpha1/labels.js';
import { createCertificateAuthority, issueCertificate } from '../../src/pki/x509.js';
import { CoreTypes } from '../../src/runtime/kube/resource.js';
import {
  CertificateProbe,
  certificate,
  gatewayFiles,
  readSecret,
  secretEntry,
  verifiedChain,
  waitForGateways,
  withDnsNames,
  withServer,
} from '../support/certificate-kit.js';
import { startOperatorHarness, type OperatorHarness } from '../support/operator-harness.js';
import { Pebble } from '../support/pebble.js';
import { eventually } from '../support/widgets.js';

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

describe('Certificate end to end: a Secret deleted or edited by hand is repaired (real Pebble, API server, agents)', function () {
  this.timeout(120_000);
  let pebble: Pebble;
  let h: OperatorHarness;

  before(async () => {
    pebble = await Pebble.start({ defaultIPv4: '127.0.0.2', validitySeconds: 3600 });
    h = await startOperatorHarness('cert-repair', { gateways: 2, httpPort: pebble.httpPort });
  });
  after(async () => {
    await h.stop();
    await pebble.stop();
  });

  async function issued(name: string): Promise<{ probe: CertificateProbe; chain: string; revision: number }> {
    await h.client.create(
      CertificateResource,
      certificate(
        h.namespace,
        name,
        withDnsNames(`${name}.example.test`),
        withServer(pebble.directoryUrl, pebble.caBundle),
      ),
    );
    const probe = new CertificateProbe(h.client, h.namespace, name);
    const status = await probe.waitForIssued();
    const chain = secretEntry(await probe.secret(), 'tls.crt');
    await waitForGateways(h.gateways, h.namespace, name, chain);
    return { probe, chain, revision: status.revision ?? 0 };
  }

  /** Waits for the next revision, checks it, and returns its chain. */
  async function repaired(probe: CertificateProbe, revision: number, replaced: string): Promise<string> {
    const status = await probe.waitForIssued(revision + 1);
    const secret = await probe.secret();
    expect(secret?.type).to.equal('kubernetes.io/tls');
    expect(secret?.metadata.annotations?.[CertificateAnnotations.revision]).to.equal(String(status.revision));
    expect(secret?.metadata.annotations?.[CertificateAnnotations.temporary]).to.equal('false');
    const chain = secretEntry(secret, 'tls.crt');
    expect(chain).to.not.equal(replaced);
    const leaf = verifiedChain(chain, await pebble.rootCertificate());
    expect(leaf.fingerprintSHA256).to.equal(status.fingerprintSHA256);
    await waitForGateways(h.gateways, h.namespace, probe.name, chain);
    return chain;
  }

  async function issuingEventAbout(probe: CertificateProbe, pattern: RegExp): Promise<void> {
    await eventually(
      async () => (await probe.events()).some((e) => e.reason === 'Issuing' && pattern.test(e.note)),
      // The Event is written after the repair it names, by the recorder's own queue: on a busy CI
      // machine 10 s was once not enough (stop 22's second run).
      60_000,
      `an Issuing Event matching ${pattern}`,
    );
  }

  it('issues and pushes a new certificate when the Secret is deleted by hand', async () => {
    const { probe, chain, revision } = await issued('deleted');
    await h.client.delete(CoreTypes.secret, h.namespace, 'deleted-tls');
    const restored = await repaired(probe, revision, chain);
    expect(gatewayFiles(h.gateways, h.namespace, 'deleted').every((f) => f.crt === restored)).to.equal(true);
    await issuingEventAbout(probe, /Secret deleted-tls does not exist/);
  });

  it('replaces a tls.crt overwritten with garbage by a new, valid certificate on the gateways', async () => {
    const { probe, chain, revision } = await issued('garbage');
    await h.client.mergePatch(CoreTypes.secret, h.namespace, 'garbage-tls', {
      data: { 'tls.crt': b64('this is not a certificate\n') },
    });
    await repaired(probe, revision, chain);
    await issuingEventAbout(probe, /Secret garbage-tls/);
  });

  it('replaces a certificate swapped by hand for another valid one (key and all) by one from the CA', async () => {
    const { probe, chain, revision } = await issued('swapped');
    const now = Date.now();
    const ca = await createCertificateAuthority(
      'hand-made CA',
      new Date(now - 60_000),
      new Date(now + 86_400_000),
    );
    const other = await issueCertificate(ca, {
      commonName: 'swapped.example.test',
      dnsNames: ['swapped.example.test'],
      usage: 'server',
      notBefore: new Date(now - 60_000),
      notAfter: new Date(now + 86_400_000),
    });
    await h.client.mergePatch(CoreTypes.secret, h.namespace, 'swapped-tls', {
      data: { 'tls.crt': b64(other.certPem + ca.certPem), 'tls.key': b64(other.keyPem) },
    });
    const restored = await repaired(probe, revision, other.certPem + ca.certPem);
    expect(restored).to.not.equal(chain);
    expect(secretEntry(await readSecret(h.client, h.namespace, 'swapped-tls'), 'tls.crt')).to.equal(restored);
    await issuingEventAbout(probe, /changed by hand/);
  });
});
