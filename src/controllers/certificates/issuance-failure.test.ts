import { expect } from 'chai';
import { AcmeError, LocalErrorType } from '../../acme/index.js';
import { certificate, withStatus } from '../../domain/acme/builders.test-support.js';
import { ApiError } from '../../runtime/kube/errors.js';
import { issuanceFailure } from './issuance-failure.js';

const NOW = new Date(Date.UTC(2026, 0, 1, 12));
const acme = (name: string) => `urn:ietf:params:acme:error:${name}`;

describe('what a failed issuance attempt records', () => {
  it('an unreachable CA: transient, counted as such, retried in 24–30 s, the order kept for resuming', () => {
    const cert = certificate(
      'c1',
      withStatus({ observedGeneration: 1, order: { url: 'https://ca/order/1', state: 'pending' } }),
    );
    const error = new AcmeError({
      type: LocalErrorType.unreachable,
      detail: 'cannot reach the ACME server https://ca: connect ECONNREFUSED',
    });
    const failure = issuanceFailure(cert, error, NOW);
    expect(failure.failure).to.equal('Transient');
    expect(failure.counts).to.deep.equal({ failedIssuanceAttempts: 1, transientFailures: 1 });
    expect(failure.message).to.match(/^unreachable: cannot reach .*ECONNREFUSED \(a transient fault/);
    const delay = (failure.nextRetryTime?.getTime() ?? 0) - NOW.getTime();
    expect(delay).to.be.within(24_000, 30_000);
    expect(failure.patch).to.not.have.property('order');
    expect(failure.patch).to.include({ failedIssuanceAttempts: 1, transientFailures: 1 });
  });

  it('an invalid order after an outage: definitive, 1 h (the outage does not stretch it)', () => {
    const cert = certificate(
      'c1',
      withStatus({ observedGeneration: 1, failedIssuanceAttempts: 6, transientFailures: 6 }),
    );
    const error = new AcmeError({ type: acme('incorrectResponse'), detail: 'a.example: 404 for the token' });
    const failure = issuanceFailure(cert, error, NOW);
    expect(failure.failure).to.equal('Definitive');
    expect(failure.message).to.equal('incorrectResponse: a.example: 404 for the token');
    expect(failure.patch).to.include({
      failedIssuanceAttempts: 7,
      transientFailures: 6,
      nextRetryTime: '2026-01-01T13:00:00Z',
    });
  });

  it('a rejected e-mail: terminal, no next retry time, the order dropped', () => {
    const error = new AcmeError({ type: acme('invalidContact'), detail: 'forbidden domain', status: 400 });
    const failure = issuanceFailure(certificate('c1'), error, NOW);
    expect(failure.failure).to.equal('Terminal');
    expect(failure.nextRetryTime).to.equal(undefined);
    expect(failure.patch).to.include({ nextRetryTime: null, order: null });
    expect(failure.message).to.match(/not retried until the spec changes/);
  });

  it('honours a Retry-After later than the back-off', () => {
    const retryAfter = new Date(NOW.getTime() + 2 * 3_600_000);
    const error = new AcmeError({ type: acme('rateLimited'), detail: 'too many', retryAfter });
    expect(issuanceFailure(certificate('c1'), error, NOW).patch).to.include({
      nextRetryTime: '2026-01-01T14:00:00Z',
    });
  });

  it('an API server that is overloaded is transient; one that refuses (RBAC) is definitive', () => {
    const cert = certificate('c1');
    expect(issuanceFailure(cert, new ApiError(503, 'ServiceUnavailable', 'etcd'), NOW).failure).to.equal(
      'Transient',
    );
    expect(
      issuanceFailure(cert, new ApiError(403, 'Forbidden', 'secrets is forbidden'), NOW).failure,
    ).to.equal('Definitive');
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6443'), { code: 'ECONNREFUSED' });
    expect(issuanceFailure(cert, refused, NOW).failure).to.equal('Transient');
  });

  it('starts counting again when the spec changed since the failures were counted', () => {
    const cert = certificate(
      'c1',
      withStatus({ observedGeneration: 0, failedIssuanceAttempts: 5, transientFailures: 0 }),
    );
    const failure = issuanceFailure(cert, new Error('boom'), NOW);
    expect(failure.counts).to.deep.equal({ failedIssuanceAttempts: 1, transientFailures: 0 });
  });
});
