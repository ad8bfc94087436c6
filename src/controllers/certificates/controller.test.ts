import { expect } from 'chai';
import { CertificateResource, statusOf, type Certificate } from '../../api/v1alpha1/index.js';
import {
  certificate,
  tlsSecretFor,
  withServer,
  withStatus,
  withTemporary,
} from '../../domain/acme/builders.test-support.js';
import { TerminalError } from '../../runtime/controller/controller.js';
import { CoreTypes } from '../../runtime/kube/resource.js';
import { findCondition } from '../../runtime/status/conditions.js';
import { pushOwner } from '../push-owners.js';
import { CertificateHarness, DOWN_CA } from './harness.test-support.js';

const SECOND = 1000;
const OWNER = pushOwner('Certificate', 'default/c1');

function issuing(cert: Certificate) {
  return findCondition(statusOf(cert)?.conditions, 'Issuing');
}

/** The reconcile's own status writes: compare-and-swap patches (an attempt's patches are plain). */
function statusWrites(h: CertificateHarness): number {
  return h.kube.writes.filter(
    (w) => w.resource === 'certificates' && w.subresource === 'status' && w.conditional,
  ).length;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe('Certificate controller, gather → plan → execute (fake API server, real ACME client against a closed port)', function () {
  this.timeout(20_000);
  let h: CertificateHarness;

  beforeEach(() => {
    h = new CertificateHarness();
  });
  afterEach(async () => {
    await h.stop();
  });

  it('claims the first attempt in the Issuing condition with one status write, then starts exactly one attempt', async () => {
    h.seed(certificate('c1', withServer(DOWN_CA)));
    await h.reconcile('c1');
    expect(statusWrites(h)).to.equal(1);
    const claimed = issuing(h.certificate('c1'));
    expect(claimed).to.include({ status: 'True', reason: 'DoesNotExist' });
    expect(claimed?.message).to.match(/attempt 1 in progress since 2026-01-01T00:00:00Z/);
    expect(h.reconciler.attempts.running('default/c1')).to.not.equal(undefined);
    expect(h.events.map((e) => e.reason)).to.deep.equal(['Issuing']);

    // While it runs, another reconcile starts nothing and writes nothing.
    await h.reconcile('c1');
    expect(statusWrites(h)).to.equal(1);
    expect(h.events.map((e) => e.reason)).to.deep.equal(['Issuing']);
  });

  it('records an unreachable CA as a transient failure: the next attempt within 30 s, not 1 h, and a warn line in the log', async () => {
    h.seed(certificate('c1', withServer(DOWN_CA)));
    await h.reconcile('c1');
    await h.attemptEnded('c1');
    const failed = statusOf(h.certificate('c1'));
    expect(failed).to.include({ failedIssuanceAttempts: 1, transientFailures: 1 });
    expect(failed?.lastFailureMessage).to.match(
      /^unreachable: cannot reach the ACME server https:\/\/127\.0\.0\.1:1: .*ECONNREFUSED.*\(a transient fault/,
    );
    const next = Date.parse(failed?.nextRetryTime ?? '');
    expect(next - h.clock.now()).to.be.within(24 * SECOND, 30 * SECOND);
    const warning = h.logs.find((l) => l.msg === 'certificate issuance failed');
    expect(warning?.level).to.equal('warn');
    expect(warning?.fields).to.include({ failure: 'Transient', reconcileID: 'r1', name: 'c1', attempt: 1 });
    expect(h.events.map((e) => e.reason)).to.deep.equal(['Issuing', 'Failed']);
    expect(h.enqueued).to.deep.equal(['default/c1']);

    // Backing off: the condition says until when, and the reconcile asks to come back then.
    const result = await h.reconcile('c1');
    expect(result?.requeueAfterMs).to.equal(next - h.clock.now());
    expect(issuing(h.certificate('c1'))?.message).to.include(
      `attempt 1 failed; the next attempt is at ${failed?.nextRetryTime ?? ''}`,
    );
    expect(h.reconciler.attempts.running('default/c1')).to.equal(undefined);

    h.clock.advance(next - h.clock.now());
    await h.reconcile('c1');
    expect(issuing(h.certificate('c1'))?.message).to.match(/attempt 2 in progress since/);
    expect(h.reconciler.attempts.running('default/c1')).to.not.equal(undefined);
  });

  it('does not start a second attempt from a cache that has not seen the first one’s failure yet', async () => {
    h.seed(certificate('c1', withServer(DOWN_CA)));
    await h.reconcile('c1');
    h.kube.pauseCache();
    await h.attemptEnded('c1');
    expect(statusOf(h.certificate('c1'))?.failedIssuanceAttempts).to.equal(1);

    // Same second: the claim it would write is already there, so a no-op compare-and-swap checks the cache.
    const sameSecond = await h.reconcile('c1');
    expect(sameSecond).to.deep.equal({ requeueAfterMs: 100 });
    expect(h.reconciler.attempts.running('default/c1')).to.equal(undefined);
    // A second later: the new claim itself is refused.
    h.clock.advance(SECOND);
    const later = await h.reconcile('c1');
    expect(later).to.deep.equal({ requeueAfterMs: 100 });
    expect(h.reconciler.attempts.running('default/c1')).to.equal(undefined);

    h.kube.resumeCache();
    await h.reconcile('c1');
    expect(h.reconciler.attempts.running('default/c1')).to.equal(undefined);
    expect(issuing(h.certificate('c1'))?.message).to.match(/attempt 1 failed; the next attempt is at/);
  });

  it('carries on after a restart from what status says: the attempt that was running is claimed again', async () => {
    h.seed(certificate('c1', withServer(DOWN_CA)));
    await h.reconcile('c1');
    await h.stop();
    const stopped = statusOf(h.certificate('c1'));
    expect(stopped?.failedIssuanceAttempts ?? 0).to.equal(0);

    h.restart();
    h.clock.advance(5 * SECOND);
    await h.reconcile('c1');
    expect(issuing(h.certificate('c1'))?.message).to.match(
      /attempt 1 in progress since 2026-01-01T00:00:05Z/,
    );
    expect(h.reconciler.attempts.running('default/c1')).to.not.equal(undefined);
  });

  it('a failure no retry can fix (a rejected e-mail) is not retried on a timer: the reconcile ends with a TerminalError', async () => {
    h.seed(
      certificate(
        'c1',
        withServer(DOWN_CA),
        withStatus({
          observedGeneration: 1,
          failedIssuanceAttempts: 1,
          transientFailures: 0,
          lastFailureTime: '2026-01-01T00:00:00Z',
          lastFailureMessage:
            'invalidContact: contact email "ops@forbidden.example" has forbidden domain (no retry can fix this: not retried until the spec changes)',
        }),
      ),
    );
    h.clock.advance(24 * 3_600_000);
    const error = await rejection(h.reconcile('c1'));
    expect(error).to.be.instanceOf(TerminalError);
    expect((error as Error).message).to.match(/no retry can fix it: invalidContact/);
    expect(h.reconciler.attempts.running('default/c1')).to.equal(undefined);
    const cert = h.certificate('c1');
    expect(issuing(cert)?.message).to.match(/waiting for a change to the spec/);
    expect(findCondition(statusOf(cert)?.conditions, 'Ready')?.message).to.match(
      /^Issuance failed: invalidContact: .*Not retried until the spec changes\.$/,
    );

    // A new e-mail: a new generation, the back-off reset, and an attempt at once.
    await h.kube.mergePatch(CertificateResource, 'default', 'c1', {
      spec: { acme: { email: 'ops@example.test' } },
    });
    await h.reconcile('c1');
    const retried = h.certificate('c1');
    expect(statusOf(retried)).to.include({ observedGeneration: 2, failedIssuanceAttempts: 0 });
    expect(statusOf(retried)?.lastFailureMessage).to.equal(undefined);
    expect(h.reconciler.attempts.running('default/c1')).to.not.equal(undefined);
  });

  it('stops the attempt of an outdated spec and claims a new one for the current spec', async () => {
    h.seed(certificate('c1', withServer(DOWN_CA)));
    await h.reconcile('c1');
    const first = h.reconciler.attempts.running('default/c1');
    expect(first?.generation).to.equal(1);
    await h.kube.mergePatch(CertificateResource, 'default', 'c1', { spec: { dnsNames: ['b.example'] } });
    await h.reconcile('c1');
    await h.attemptEnded('c1');
    // The interrupted attempt recorded nothing; the reconcile after it claims one for generation 2.
    expect(statusOf(h.certificate('c1'))?.failedIssuanceAttempts ?? 0).to.equal(0);
    expect(h.logs.some((l) => l.msg === 'certificate issuance interrupted')).to.equal(true);
    h.clock.advance(SECOND);
    await h.reconcile('c1');
    expect(h.reconciler.attempts.running('default/c1')?.generation).to.equal(2);
  });

  it('serves a temporary certificate `after` into issuance: the Secret and the claim with its revision in one status write', async () => {
    h.seed(certificate('c1', withServer(DOWN_CA), withTemporary({ after: '1m' })));
    await h.reconcile('c1');
    await h.attemptEnded('c1');
    await h.reconcile('c1');
    const writesBefore = statusWrites(h);
    h.clock.advance(61 * SECOND);
    await h.reconcile('c1');
    expect(statusWrites(h) - writesBefore).to.equal(1);
    const secret = h.kube.stored(CoreTypes.secret, 'default', 'c1-tls');
    expect(secret?.metadata.annotations?.['gateway.awesomeapi.com.br/temporary']).to.equal('true');
    expect(secret?.metadata.annotations?.['gateway.awesomeapi.com.br/revision']).to.equal('1');
    expect(statusOf(h.certificate('c1'))?.revision).to.equal(1);
    expect(h.events.map((e) => e.reason)).to.include('TemporaryIssued');

    await h.reconcile('c1');
    const served = h.certificate('c1');
    expect(findCondition(statusOf(served)?.conditions, 'Temporary')?.status).to.equal('True');
    expect(h.publisher.published.get(OWNER)?.[0]?.temporary).to.equal(true);
  });

  it('costs no write in a steady state, and comes back at the renewal time', async () => {
    const cert = certificate('c1');
    h.seed(cert);
    h.seedSecret(await tlsSecretFor(cert));
    await h.reconcile('c1');
    // Published in the first pass; the gateways' answer (2/2) is the second pass's news.
    await h.reconcile('c1');
    expect(statusOf(h.certificate('c1'))?.gateways?.summary).to.equal('2/2');
    const writes = h.kube.writes.length;
    const result = await h.reconcile('c1');
    expect(h.kube.writes.length).to.equal(writes);
    const status = statusOf(h.certificate('c1'));
    expect(findCondition(status?.conditions, 'Ready')?.status).to.equal('True');
    expect(result?.requeueAfterMs).to.equal(
      Math.min(Date.parse(status?.renewalTime ?? '') - h.clock.now(), 24 * 3_600_000),
    );
    expect(h.reconciler.attempts.running('default/c1')).to.equal(undefined);
  });

  it('waits for a Secret cache that is behind our own write instead of issuing again', async () => {
    const cert = certificate('c1', withStatus({ observedGeneration: 1, revision: 2 }));
    h.seed(cert);
    h.kube.pauseCache();
    h.seedSecret(await tlsSecretFor(cert, { revision: 2 }));
    const result = await h.reconcile('c1');
    expect(result).to.deep.equal({ requeueAfterMs: 250 });
    expect(h.kube.writes).to.deep.equal([]);
    expect(h.reconciler.attempts.running('default/c1')).to.equal(undefined);

    h.kube.resumeCache();
    await h.reconcile('c1');
    expect(findCondition(statusOf(h.certificate('c1'))?.conditions, 'Ready')?.status).to.equal('True');
    expect(h.reconciler.attempts.running('default/c1')).to.equal(undefined);
  });

  it('withdraws a deleted Certificate from the gateways and stops its attempt', async () => {
    // A certificate for other names: served, and replaced by an attempt.
    const cert = certificate('c1', withServer(DOWN_CA));
    h.seed(cert);
    h.seedSecret(await tlsSecretFor(cert, { dnsNames: ['old.example'] }));
    await h.reconcile('c1');
    expect(h.publisher.published.has(OWNER)).to.equal(true);
    expect(h.reconciler.attempts.running('default/c1')).to.not.equal(undefined);
    await h.kube.delete(CertificateResource, 'default', 'c1');
    await h.reconcile('c1');
    await h.attemptEnded('c1');
    expect(h.publisher.published.has(OWNER)).to.equal(false);
    expect(h.reconciler.attempts.running('default/c1')).to.equal(undefined);
    expect(h.logs.some((l) => l.msg === 'certificate issuance interrupted')).to.equal(true);
  });
});
