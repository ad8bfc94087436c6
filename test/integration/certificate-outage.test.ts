import { expect } from 'chai';
import { CertificateResource } from '../../src/api/v1alpha1/index.js';
import { CertificateAnnotations } from '../../src/api/v1alpha1/labels.js';
import { findCondition } from '../../src/runtime/status/conditions.js';
import {
  CertificateProbe,
  certificate,
  secretEntry,
  verifiedChain,
  waitForGateways,
  withDnsNames,
  withServer,
  withTemporaryAfter,
} from '../support/certificate-kit.js';
import { startOperatorHarness, type OperatorHarness } from '../support/operator-harness.js';
import { Pebble } from '../support/pebble.js';

const MINUTE = 60_000;
/** The promise: the real certificate within 5 minutes of the CA's return. */
const AFTER_RETURN_MS = 5 * MINUTE;

describe('Certificate end to end: a CA outage under the default back-off (real Pebble, API server, agents)', function () {
  this.timeout(12 * MINUTE);
  let pebble: Pebble;
  let h: OperatorHarness;

  before(async () => {
    pebble = await Pebble.start({ defaultIPv4: '127.0.0.2', validitySeconds: 3600 });
    // No CERTIFICATE_*RETRY* settings: the defaults a user gets.
    h = await startOperatorHarness('cert-outage', { gateways: 2, httpPort: pebble.httpPort });
  });
  after(async () => {
    await h.stop();
    await pebble.stop();
  });

  it('serves a temporary certificate while the CA is down, retries on the short back-off, and has the real one within 5 minutes of the CA’s return', async () => {
    await pebble.stopPebble();
    await h.client.create(
      CertificateResource,
      certificate(
        h.namespace,
        'outage',
        withDnsNames('outage.example.test'),
        withServer(pebble.directoryUrl, pebble.caBundle),
        withTemporaryAfter('5s'),
      ),
    );
    const probe = new CertificateProbe(h.client, h.namespace, 'outage');
    const temporary = await probe.waitForCondition('Temporary', 'True');
    const temporaryChain = secretEntry(await probe.secret(), 'tls.crt');
    await waitForGateways(h.gateways, h.namespace, 'outage', temporaryChain);

    // Several failed attempts, each transient and each followed by a retry minutes away at most.
    // The attempt records its failure; the reconcile after it says so in the Issuing condition.
    const failing = await probe.waitFor(
      'a second transient failure, and the Issuing condition backing off',
      (s) =>
        (s?.transientFailures ?? 0) >= 2 &&
        /attempt \d+ failed; the next attempt is at /.test(
          findCondition(s?.conditions, 'Issuing')?.message ?? '',
        ),
      2 * MINUTE,
    );
    expect(temporary.lastFailureMessage).to.match(
      /^unreachable: cannot reach the ACME server .*a transient fault/,
    );
    expect(failing.failedIssuanceAttempts).to.equal(failing.transientFailures);
    const wait = Date.parse(failing.nextRetryTime ?? '') - Date.parse(failing.lastFailureTime ?? '');
    expect(wait).to.be.within(1, 4 * MINUTE + 1000);

    await pebble.startAgain();
    const returned = Date.now();
    // The temporary certificate was revision 1.
    const real = await probe.waitForIssued(2, AFTER_RETURN_MS);
    expect(Date.now() - returned).to.be.lessThan(AFTER_RETURN_MS);
    console.error(
      'REAL-CERT-AFTER-RETURN-MS',
      Date.now() - returned,
      JSON.stringify(failing.nextRetryTime),
      new Date(returned).toISOString(),
    );
    const secret = await probe.secret();
    expect(secret?.metadata.annotations?.[CertificateAnnotations.temporary]).to.equal('false');
    const chain = secretEntry(secret, 'tls.crt');
    const leaf = verifiedChain(chain, await pebble.rootCertificate());
    expect(leaf.fingerprintSHA256).to.equal(real.fingerprintSHA256);
    expect(real.transientFailures).to.equal(0);
    await waitForGateways(h.gateways, h.namespace, 'outage', chain);
  });
});
