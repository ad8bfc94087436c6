import { expect } from 'chai';
import { CertificateResource } from '../../src/api/v1alpha1/index.js';
import { CertificateAnnotations } from '../../src/api/v1alpha1/labels.js';
import { describeCertificate } from '../../src/domain/certs/index.js';
import { findCondition } from '../../src/runtime/status/conditions.js';
import {
  CertificateProbe,
  certificate,
  gatewayFiles,
  secretEntry,
  verifiedChain,
  waitForGateways,
  withDnsNames,
  withServer,
  withTemporaryAfter,
} from '../support/certificate-kit.js';
import { startOperatorHarness, type OperatorHarness } from '../support/operator-harness.js';
import { Pebble } from '../support/pebble.js';
import { eventually } from '../support/widgets.js';

const AFTER_MS = 2_000;
/** Short enough that the second case sees its real certificate expire. */
const VALIDITY_SECONDS = 16;

describe('Certificate end to end: temporary certificates while the CA is down (real Pebble, API server, agents)', function () {
  this.timeout(120_000);
  let pebble: Pebble;
  let h: OperatorHarness;

  before(async () => {
    pebble = await Pebble.start({ defaultIPv4: '127.0.0.2', validitySeconds: VALIDITY_SECONDS });
    // Failed attempts (the CA down: transient ones) are retried after 1 s, then at most every
    // 2 s, instead of 30 s doubling (transient) or 1 h doubling (definitive).
    h = await startOperatorHarness('cert-temp', {
      gateways: 3,
      httpPort: pebble.httpPort,
      config: {
        certificateRetryInitialSeconds: 1,
        certificateRetryMaxSeconds: 2,
        certificateTransientRetryInitialSeconds: 1,
        certificateTransientRetryMaxSeconds: 2,
      },
    });
  });
  after(async () => {
    await h.stop();
    await pebble.stop();
  });

  it('serves a marked temporary certificate on every gateway once `after` has passed without one from the CA, and replaces it with the real one as soon as the CA is back', async () => {
    await pebble.stopPebble();
    await h.client.create(
      CertificateResource,
      certificate(
        h.namespace,
        'down',
        withDnsNames('down.example.test', 'www.down.example.test'),
        withServer(pebble.directoryUrl, pebble.caBundle),
        withTemporaryAfter('2s'),
      ),
    );
    const probe = new CertificateProbe(h.client, h.namespace, 'down');
    const temporary = await probe.waitForCondition('Temporary', 'True');
    const issuing = findCondition(temporary.conditions, 'Issuing');
    expect(issuing?.status).to.equal('True');
    expect(findCondition(temporary.conditions, 'Ready')).to.include({
      status: 'False',
      reason: 'TemporaryCertificate',
    });
    expect(temporary.failedIssuanceAttempts).to.be.at.least(1);
    expect(temporary.lastFailureMessage).to.match(/^unreachable: cannot reach the ACME server/);

    const secret = await probe.secret();
    expect(secret?.metadata.annotations?.[CertificateAnnotations.temporary]).to.equal('true');
    const chain = secretEntry(secret, 'tls.crt');
    const stand = describeCertificate(chain);
    expect(stand.isTemporary).to.equal(true);
    expect(stand.dnsNames).to.have.members(['down.example.test', 'www.down.example.test']);
    // Not before `after` into issuance (X.509 and condition times have whole seconds).
    expect(stand.notBefore.getTime()).to.be.at.least(
      Date.parse(issuing?.lastTransitionTime ?? '') + AFTER_MS,
    );
    expect(stand.notAfter.getTime() - stand.notBefore.getTime()).to.be.at.most(14 * 24 * 3_600_000);
    await waitForGateways(h.gateways, h.namespace, 'down', chain);
    await eventually(
      async () => (await probe.events()).some((e) => e.reason === 'TemporaryIssued' && e.type === 'Warning'),
      10_000,
      'a TemporaryIssued Event',
    );

    await pebble.startAgain();
    // The temporary certificate was revision 1.
    const real = await probe.waitForIssued(2);
    const realSecret = await probe.secret();
    expect(realSecret?.metadata.annotations?.[CertificateAnnotations.temporary]).to.equal('false');
    const realChain = secretEntry(realSecret, 'tls.crt');
    const leaf = verifiedChain(realChain, await pebble.rootCertificate());
    expect(leaf.isTemporary).to.equal(false);
    expect(leaf.fingerprintSHA256).to.equal(real.fingerprintSHA256);
    await waitForGateways(h.gateways, h.namespace, 'down', realChain);
  });

  it('keeps a valid real certificate in service while re-issuance fails, and only when it expires serves a temporary one, until the CA is back', async () => {
    await pebble.startAgain();
    await h.client.create(
      CertificateResource,
      certificate(
        h.namespace,
        'kept',
        withDnsNames('kept.example.test'),
        withServer(pebble.directoryUrl, pebble.caBundle),
      ),
    );
    const probe = new CertificateProbe(h.client, h.namespace, 'kept');
    await probe.waitForIssued();
    await pebble.stopPebble();
    const before = await probe.waitForCondition('Ready', 'True');
    const realChain = secretEntry(await probe.secret(), 'tls.crt');
    expect(describeCertificate(realChain).fingerprintSHA256).to.equal(before.fingerprintSHA256);
    await waitForGateways(h.gateways, h.namespace, 'kept', realChain);

    // A new name: the stored certificate no longer matches the spec, and the CA is down. (The
    // first issuance ran under the default `after` of 1m, so it needed no temporary either.)
    await h.client.mergePatch(CertificateResource, h.namespace, 'kept', {
      spec: {
        dnsNames: ['kept.example.test', 'new.kept.example.test'],
        temporaryCertificate: { after: '2s' },
      },
    });
    const late = await probe.waitFor('a failure later than `after` into the re-issuance', (s) => {
      const issuing = findCondition(s?.conditions, 'Issuing');
      return (
        issuing?.status === 'True' &&
        issuing.observedGeneration === 2 &&
        Date.parse(s?.lastFailureTime ?? '') > Date.parse(issuing.lastTransitionTime) + AFTER_MS
      );
    });
    // Attempts of one Certificate start one after another, each from a reconcile that finishes
    // (temporary certificate decided and written) before the next reconcile can start the next
    // attempt. Two more failures mean a reconcile that ran after `after` has finished.
    const failing = await probe.waitFor(
      'two more failed attempts',
      (s) => (s?.failedIssuanceAttempts ?? 0) >= (late.failedIssuanceAttempts ?? 0) + 2,
    );
    const notAfter = Date.parse(before.notAfter ?? '');
    expect(Date.parse(failing.lastFailureTime ?? '')).to.be.lessThan(notAfter);
    const secret = await probe.secret();
    expect(secret?.metadata.annotations?.[CertificateAnnotations.temporary]).to.equal('false');
    expect(secretEntry(secret, 'tls.crt')).to.equal(realChain);
    expect(findCondition(failing.conditions, 'Temporary')?.status).to.equal('False');
    expect(gatewayFiles(h.gateways, h.namespace, 'kept').map((f) => f.crt)).to.deep.equal([
      realChain,
      realChain,
      realChain,
    ]);
    expect((await probe.events()).map((e) => e.reason)).to.not.include('TemporaryIssued');

    // Expired: now, and only now, a temporary certificate with the new names takes over.
    const expired = await probe.waitForCondition('Temporary', 'True', VALIDITY_SECONDS * 1000 + 10_000);
    const temporaryChain = secretEntry(await probe.secret(), 'tls.crt');
    const stand = describeCertificate(temporaryChain);
    expect(stand.isTemporary).to.equal(true);
    expect(stand.notBefore.getTime()).to.be.at.least(Math.floor(notAfter / 1000) * 1000);
    expect(stand.dnsNames).to.have.members(['kept.example.test', 'new.kept.example.test']);
    expect(expired.failedIssuanceAttempts).to.be.at.least(2);
    await waitForGateways(h.gateways, h.namespace, 'kept', temporaryChain);

    await pebble.startAgain();
    // Revision 1 was the first real certificate, 2 the temporary one.
    await probe.waitForIssued(3);
    const renewedChain = secretEntry(await probe.secret(), 'tls.crt');
    const leaf = verifiedChain(renewedChain, await pebble.rootCertificate());
    expect(leaf.dnsNames).to.have.members(['kept.example.test', 'new.kept.example.test']);
    await waitForGateways(h.gateways, h.namespace, 'kept', renewedChain);
  });
});
