import { expect } from 'chai';
import { statusOf, type Certificate } from '../../api/v1alpha1/index.js';
import { certificate, storedFor, withStatus, DAY } from '../../domain/acme/builders.test-support.js';
import { describeCertificate, type StoredSecret } from '../../domain/certs/index.js';
import { findCondition } from '../../runtime/status/conditions.js';
import { planCertificate, type ActPlan, type CertificateFacts } from './plan.js';

const NOW = new Date(Date.UTC(2026, 0, 1, 12));
const AT = (offsetMs: number) => new Date(NOW.getTime() + offsetMs);

function facts(cert: Certificate | undefined, more: Partial<CertificateFacts> = {}): CertificateFacts {
  return {
    now: NOW,
    cert,
    stored: undefined,
    description: undefined,
    secretRevision: undefined,
    secretCacheBehind: false,
    attempt: undefined,
    push: { selected: 2, synced: 0, failed: 0, summary: '0/2', failures: [] },
    publishedVersion: undefined,
    ...more,
  };
}

function act(plan: ReturnType<typeof planCertificate>): ActPlan {
  if (plan.kind !== 'act') throw new Error(`expected an act plan, got ${plan.kind}`);
  return plan;
}

function withSecret(stored: StoredSecret): Partial<CertificateFacts> {
  return { stored, description: describeCertificate(stored.data['tls.crt'] ?? ''), secretRevision: 1 };
}

const failed = (more: object = {}) =>
  withStatus({
    observedGeneration: 1,
    failedIssuanceAttempts: 2,
    transientFailures: 2,
    lastFailureTime: '2026-01-01T11:59:00Z',
    lastFailureMessage: 'unreachable: cannot reach the ACME server (a transient fault …)',
    nextRetryTime: '2026-01-01T12:00:30Z',
    ...more,
  });

describe('the Certificate plan (pure)', () => {
  it('a deleted Certificate: withdraw and forget', () => {
    expect(planCertificate(facts(undefined)).kind).to.equal('gone');
  });

  it('a Secret cache behind our own write: decide nothing, look again shortly', () => {
    expect(planCertificate(facts(certificate('c1'), { secretCacheBehind: true }))).to.deep.include({
      kind: 'wait',
      requeueAfterMs: 250,
    });
  });

  it('no Secret: claims attempt 1 in the Issuing condition and starts it', () => {
    const plan = act(planCertificate(facts(certificate('c1'))));
    expect(plan.startAttempt).to.equal(true);
    expect(findCondition(plan.status.conditions, 'Issuing')).to.include({
      status: 'True',
      reason: 'DoesNotExist',
    });
    expect(findCondition(plan.status.conditions, 'Issuing')?.message).to.match(
      /attempt 1 in progress since 2026-01-01T12:00:00Z\.$/,
    );
    expect(plan.events.map((e) => e.reason)).to.deep.equal(['Issuing']);
  });

  it('backing off after a transient failure: no attempt, a wake-up at nextRetryTime, the count kept', () => {
    const plan = act(planCertificate(facts(certificate('c1', failed()))));
    expect(plan.startAttempt).to.equal(false);
    expect(plan.wakeAt?.toISOString()).to.equal('2026-01-01T12:00:30.000Z');
    expect(plan.status).to.include({ failedIssuanceAttempts: 2, transientFailures: 2 });
    expect(findCondition(plan.status.conditions, 'Issuing')?.message).to.match(
      /attempt 2 failed; the next attempt is at 2026-01-01T12:00:30Z\.$/,
    );
  });

  it('the retry time reached: attempt 3 is claimed', () => {
    const plan = act(planCertificate({ ...facts(certificate('c1', failed())), now: AT(30_000) }));
    expect(plan.startAttempt).to.equal(true);
    expect(findCondition(plan.status.conditions, 'Issuing')?.message).to.match(/attempt 3 in progress/);
  });

  it('a terminal failure: no attempt and no timer, stalled with the cause', () => {
    const cert = certificate(
      'c1',
      failed({ nextRetryTime: undefined, lastFailureMessage: 'invalidContact: no' }),
    );
    const plan = act(planCertificate(facts(cert)));
    expect(plan.startAttempt).to.equal(false);
    expect(plan.stalled).to.match(/no retry can fix it: invalidContact: no/);
  });

  it('an attempt still finishing after its terminal failure was recorded: stalled, not in progress', () => {
    const cert = certificate(
      'c1',
      failed({ nextRetryTime: undefined, lastFailureMessage: 'invalidContact: no' }),
    );
    const attempt = { generation: 1, startedAt: AT(-5000), number: 2 };
    const plan = act(planCertificate(facts(cert, { attempt })));
    expect(plan.startAttempt).to.equal(false);
    expect(plan.abortAttempt).to.equal(undefined);
    expect(findCondition(plan.status.conditions, 'Issuing')?.message).to.match(
      /attempt 2 failed and no retry can fix it; waiting for a change to the spec\.$/,
    );
  });

  it('a spec changed since the failures: counts reset, an attempt at once', () => {
    const cert = certificate('c1', failed({ observedGeneration: 1 }));
    cert.metadata.generation = 2;
    const plan = act(planCertificate(facts(cert)));
    expect(plan.startAttempt).to.equal(true);
    expect(plan.status).to.include({ failedIssuanceAttempts: 0, transientFailures: 0 });
    expect(plan.status.nextRetryTime).to.equal(undefined);
  });

  it('an attempt running for an older spec is stopped, and none is started in the same pass', () => {
    const cert = certificate('c1');
    cert.metadata.generation = 2;
    const plan = act(
      planCertificate(facts(cert, { attempt: { generation: 1, startedAt: AT(-5000), number: 1 } })),
    );
    expect(plan.abortAttempt).to.equal('the spec changed');
    expect(plan.startAttempt).to.equal(true);
  });

  it('a running attempt for this spec is left alone and shown in progress', () => {
    const plan = act(
      planCertificate(
        facts(certificate('c1'), { attempt: { generation: 1, startedAt: AT(-5000), number: 1 } }),
      ),
    );
    expect(plan.startAttempt).to.equal(false);
    expect(plan.abortAttempt).to.equal(undefined);
    expect(findCondition(plan.status.conditions, 'Issuing')?.message).to.match(
      /attempt 1 in progress since 2026-01-01T11:59:55Z/,
    );
  });

  it('a valid certificate: published, Ready, a wake-up at the renewal time, and failures cleared', async () => {
    const cert = certificate('c1', failed());
    const stored = await storedFor(cert, { notBefore: new Date(NOW.getTime() - DAY) });
    const plan = act(planCertificate(facts(cert, withSecret(stored))));
    expect(plan.publication?.resource.temporary).to.equal(false);
    expect(findCondition(plan.status.conditions, 'Ready')?.status).to.equal('True');
    expect(plan.wakeAt?.getTime()).to.equal(plan.renewal?.getTime());
    expect(plan.status).to.include({ failedIssuanceAttempts: 0, revision: 1 });
    expect(plan.status.lastFailureMessage).to.equal(undefined);
  });

  it('a new version about to be published is not reported as synced from the last one', async () => {
    const cert = certificate('c1');
    const stored = await storedFor(cert, { notBefore: new Date(NOW.getTime() - DAY) });
    const synced = { selected: 2, synced: 2, failed: 0, summary: '2/2', failures: [] };
    const fresh = act(planCertificate(facts(cert, { ...withSecret(stored), push: synced })));
    expect(fresh.status.gateways?.summary).to.equal('0/2');
    const version = fresh.publication?.resource.version;
    const same = act(
      planCertificate(facts(cert, { ...withSecret(stored), push: synced, publishedVersion: version })),
    );
    expect(same.status.gateways?.summary).to.equal('2/2');
  });

  it('no certificate `after` into issuance: a temporary one under the next revision', () => {
    const cert = certificate(
      'c1',
      withStatus({
        observedGeneration: 1,
        revision: 4,
        conditions: [
          {
            type: 'Issuing',
            status: 'True',
            reason: 'DoesNotExist',
            message: '…',
            lastTransitionTime: '2026-01-01T11:58:00Z',
          },
        ],
      }),
    );
    const plan = act(planCertificate(facts(cert)));
    expect(plan.temporary?.revision).to.equal(5);
    expect(statusOf({ status: plan.status })?.revision).to.equal(5);
  });
});
