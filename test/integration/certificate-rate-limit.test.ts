import { expect } from 'chai';
import { rfc3339 } from '../../src/domain/certs/index.js';
import { CertificateResource } from '../../src/api/v1alpha1/index.js';
import { findCondition } from '../../src/runtime/status/conditions.js';
import { AcmeFront } from '../support/acme-front.js';
import {
  CertificateProbe,
  certificate,
  secretEntry,
  verifiedChain,
  waitForGateways,
  withDnsNames,
  withServer,
} from '../support/certificate-kit.js';
import { startOperatorHarness, type OperatorHarness } from '../support/operator-harness.js';
import { Pebble } from '../support/pebble.js';

/** How far ahead the injected Retry-After lies: well past the 1 s back-off configured below. */
const RETRY_AFTER_MS = 6_000;

describe('Certificate end to end: a rate-limited CA with Retry-After (Pebble behind a front that injects 429)', function () {
  this.timeout(120_000);
  let pebble: Pebble;
  let front: AcmeFront;
  let h: OperatorHarness;

  before(async () => {
    pebble = await Pebble.start({ defaultIPv4: '127.0.0.2', validitySeconds: 3600 });
    front = await AcmeFront.start({ port: pebble.listenPort, caBundle: pebble.caBundle, tls: pebble.tls });
    // A 1 s back-off: if the next attempt waits longer, it is Retry-After that made it wait.
    h = await startOperatorHarness('cert-429', {
      gateways: 2,
      httpPort: pebble.httpPort,
      config: { certificateRetryInitialSeconds: 1, certificateRetryMaxSeconds: 2 },
    });
  });
  after(async () => {
    await h.stop();
    await front.stop();
    await pebble.stop();
  });

  it('waits exactly until the Retry-After of a rateLimited newOrder, says so in status, and then makes one order', async () => {
    // An HTTP-date has whole seconds.
    const retryAfter = new Date(Math.ceil((Date.now() + RETRY_AFTER_MS) / 1000) * 1000);
    front.rateLimit('newOrder', { retryAfter, detail: 'too many new orders for limited.example.test' });
    await h.client.create(
      CertificateResource,
      certificate(
        h.namespace,
        'limited',
        withDnsNames('limited.example.test'),
        withServer(front.directoryUrl, pebble.caBundle),
      ),
    );
    const probe = new CertificateProbe(h.client, h.namespace, 'limited');
    const limited = await probe.waitFor(
      'the rate-limited failure in status',
      (s) => (s?.failedIssuanceAttempts ?? 0) >= 1 && !!s?.nextRetryTime,
    );
    expect(limited.failedIssuanceAttempts).to.equal(1);
    expect(limited.lastFailureMessage).to.equal('rateLimited: too many new orders for limited.example.test');
    expect(Date.parse(limited.nextRetryTime ?? '')).to.equal(retryAfter.getTime());
    const ready = await probe.waitFor('the Ready condition to name the rate limit', (s) =>
      /rateLimited/.test(findCondition(s?.conditions, 'Ready')?.message ?? ''),
    );
    expect(findCondition(ready.conditions, 'Ready')).to.include({ status: 'False' });
    expect(findCondition(ready.conditions, 'Ready')?.message).to.include(rfc3339(retryAfter));

    const issued = await probe.waitForIssued();
    const chain = secretEntry(await probe.secret(), 'tls.crt');
    verifiedChain(chain, await pebble.rootCertificate());
    await waitForGateways(h.gateways, h.namespace, 'limited', chain);

    const newOrders = front.requests.filter((r) => r.resource === 'newOrder');
    expect(newOrders.filter((r) => r.injected).map((r) => r.status)).to.deep.equal([429]);
    const forwarded = newOrders.filter((r) => !r.injected);
    expect(forwarded).to.not.deep.equal([]);
    for (const request of forwarded) {
      expect(request.at.getTime(), 'a newOrder reached Pebble before Retry-After').to.be.at.least(
        retryAfter.getTime(),
      );
    }
    expect(front.count('newOrder', { status: 201 })).to.equal(1);
    expect(issued.nextRetryTime).to.equal(undefined);
    expect(issued.lastFailureMessage).to.equal(undefined);
  });
});
