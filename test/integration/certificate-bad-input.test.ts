import { expect } from 'chai';
import { CertificateResource, type CertificateStatus } from '../../src/api/v1alpha1/index.js';
import { findCondition } from '../../src/runtime/status/conditions.js';
import { AcmeFront } from '../support/acme-front.js';
import { startBind, type BindServer } from '../support/bind.js';
import {
  CertificateProbe,
  certificate,
  createOpaqueSecret,
  gatewayFiles,
  secretEntry,
  waitForGateways,
  withDnsNames,
  withEmail,
  withRfc2136,
  withServer,
} from '../support/certificate-kit.js';
import { startOperatorHarness, type OperatorHarness } from '../support/operator-harness.js';
import { Pebble } from '../support/pebble.js';

describe('Certificate end to end: bad input ends in a clear condition and deletes nothing (real BIND, Pebble, API server, agents)', function () {
  this.timeout(120_000);
  let bind: BindServer;
  let pebble: Pebble;
  let front: AcmeFront;
  let h: OperatorHarness;

  before(async () => {
    bind = await startBind();
    pebble = await Pebble.start({ dnsServer: bind.address, validitySeconds: 3600 });
    front = await AcmeFront.start({ port: pebble.listenPort, caBundle: pebble.caBundle, tls: pebble.tls });
    // The default back-off: 1 h after a definitive failure, none after a terminal one (each of
    // those cases sees exactly one attempt), 30 s after a transient one (the unreachable server
    // is checked on its first failure).
    h = await startOperatorHarness('cert-bad', { gateways: 2 });
    await createOpaqueSecret(h.client, h.namespace, 'bind-tsig', { secret: bind.keys.HMACSHA256.secret });
  });
  after(async () => {
    await h.stop();
    await front.stop();
    await pebble.stop();
    await bind.stop();
  });

  const dns01 = () =>
    withRfc2136({
      nameserver: bind.address,
      tsigKeyName: bind.keys.HMACSHA256.name,
      tsigAlgorithm: 'HMACSHA256',
      secretName: 'bind-tsig',
      secretKey: 'secret',
    });

  /**
   * Issues `name` for `<name>.example.test`, applies `edit` to its spec, waits for the failed
   * attempt, and checks what every case must show: Ready=False naming the cause, one failed
   * attempt, a next retry time, and the Secret (and the gateways' copy) exactly as before.
   */
  async function failsAfter(
    name: string,
    edit: object,
    cause: RegExp,
    retried: 'retried' | 'not retried' = 'retried',
  ): Promise<CertificateStatus> {
    await h.client.create(
      CertificateResource,
      certificate(
        h.namespace,
        name,
        withDnsNames(`${name}.example.test`),
        withServer(pebble.directoryUrl, pebble.caBundle),
        withEmail('ops@example.test'),
        dns01(),
      ),
    );
    const probe = new CertificateProbe(h.client, h.namespace, name);
    const good = await probe.waitForIssued();
    const secretBefore = await probe.secret();
    const chain = secretEntry(secretBefore, 'tls.crt');
    await waitForGateways(h.gateways, h.namespace, name, chain);

    await h.client.mergePatch(CertificateResource, h.namespace, name, { spec: edit });
    const failed = await probe.waitFor(
      'a failed attempt under the edited spec',
      (s) =>
        s?.observedGeneration === 2 &&
        (s.failedIssuanceAttempts ?? 0) >= 1 &&
        !!s.lastFailureTime &&
        cause.test(findCondition(s.conditions, 'Ready')?.message ?? ''),
    );
    const ready = findCondition(failed.conditions, 'Ready');
    expect(ready?.status).to.equal('False');
    expect(ready?.message).to.match(/^Issuance failed: /);
    expect(failed.lastFailureMessage).to.match(cause);
    expect(failed.failedIssuanceAttempts).to.equal(1);
    if (retried === 'retried') {
      expect(Date.parse(failed.nextRetryTime ?? '')).to.be.greaterThan(
        Date.parse(failed.lastFailureTime ?? ''),
      );
    } else {
      // No timer: the next attempt waits for a spec change.
      expect(failed.nextRetryTime).to.equal(undefined);
      expect(ready?.message).to.match(/Not retried until the spec changes\.$/);
      expect(findCondition(failed.conditions, 'Issuing')?.message).to.match(
        /no retry can fix it; waiting for a change to the spec/,
      );
    }
    // Nothing was written to the Secret, and the gateways still serve the last good certificate.
    const secretAfter = await probe.secret();
    expect(secretAfter?.metadata.resourceVersion).to.equal(secretBefore?.metadata.resourceVersion);
    expect(secretAfter?.data).to.deep.equal(secretBefore?.data);
    expect(failed.fingerprintSHA256).to.equal(good.fingerprintSHA256);
    expect(findCondition(failed.conditions, 'Temporary')?.status).to.equal('False');
    expect(gatewayFiles(h.gateways, h.namespace, name).map((f) => f.crt)).to.deep.equal([chain, chain]);
    return failed;
  }

  it('an unreachable ACME server: Ready=False says the server cannot be reached, a transient fault retried within 30 s', async () => {
    const failed = await failsAfter(
      'unreachable',
      { acme: { server: 'https://127.0.0.1:1/dir' } },
      /unreachable: cannot reach the ACME server https:\/\/127\.0\.0\.1:1: .*ECONNREFUSED.*a transient fault/,
    );
    expect(failed.transientFailures).to.equal(1);
    const wait = Date.parse(failed.nextRetryTime ?? '') - Date.parse(failed.lastFailureTime ?? '');
    expect(wait).to.be.within(20_000, 31_000);
  });

  it('an e-mail address the CA rejects: Ready=False carries the CA’s invalidContact problem, and no retry is scheduled', async () => {
    // Another CA (the front) whose policy refuses the contact, as Let's Encrypt refuses
    // addresses at domains it cannot deliver to. Pebble itself only refuses addresses the API
    // server's e-mail format check refuses first.
    const detail = 'contact email "ops@forbidden.example" has forbidden domain "forbidden.example"';
    front.inject(
      'newAccount',
      400,
      { type: 'urn:ietf:params:acme:error:invalidContact', detail, status: 400 },
      {},
      100,
    );
    await failsAfter(
      'contact',
      { acme: { server: front.directoryUrl, email: 'ops@forbidden.example' } },
      /invalidContact: contact email "ops@forbidden\.example" has forbidden domain/,
      'not retried',
    );
    expect(front.count('newOrder')).to.equal(0);
  });

  it('a name in a zone the RFC 2136 server does not serve: Ready=False names the server and the zone it lacks', async () => {
    await failsAfter(
      'zone',
      { dnsNames: ['zone.example.test', 'app.unknown.test'] },
      /solver: presenting the dns-01 challenge for app\.unknown\.test: 127\.0\.0\.1:\d+ refused the SOA query .*not authoritative for any zone containing _acme-challenge\.app\.unknown\.test\./,
    );
  });
});
