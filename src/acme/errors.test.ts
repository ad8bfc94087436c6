import { expect } from 'chai';
import { ACME_ERROR_PREFIX, AcmeError, LocalErrorType, toAcmeError } from './errors.js';

const problem = (name: string, extra: object = {}): AcmeError =>
  AcmeError.fromProblem({ type: `${ACME_ERROR_PREFIX}${name}`, detail: `${name} happened`, ...extra });

describe('AcmeError', () => {
  it('keeps the problem type, detail, status and Retry-After instant', () => {
    const retryAfter = new Date('2026-01-01T01:00:00Z');
    const error = AcmeError.fromProblem(
      { type: `${ACME_ERROR_PREFIX}rateLimited`, detail: 'too many orders', status: 429 },
      { retryAfter, url: 'https://ca.example/new-order' },
    );
    expect(error).to.include({
      type: `${ACME_ERROR_PREFIX}rateLimited`,
      detail: 'too many orders',
      status: 429,
    });
    expect(error.retryAfter).to.equal(retryAfter);
    expect(error.rateLimited).to.equal(true);
    expect(error.reason).to.equal('RateLimited');
    expect(error.message).to.equal('too many orders');
    expect(String(error)).to.equal('rateLimited: too many orders (retry after 2026-01-01T01:00:00.000Z)');
  });

  it('calls errors in the request itself user errors, and the rest retryable', () => {
    for (const name of [
      'rejectedIdentifier',
      'invalidContact',
      'unsupportedContact',
      'badCSR',
      'caa',
      'externalAccountRequired',
      'malformed',
    ]) {
      expect(problem(name).retryable, name).to.equal(false);
    }
    for (const name of [
      'rateLimited',
      'serverInternal',
      'connection',
      'dns',
      'incorrectResponse',
      'badNonce',
      'orderNotReady',
    ]) {
      expect(problem(name).retryable, name).to.equal(true);
    }
    expect(new AcmeError({ type: LocalErrorType.unreachable, detail: 'x' }).retryable).to.equal(true);
    expect(new AcmeError({ type: LocalErrorType.unsupportedChallenge, detail: 'x' }).retryable).to.equal(
      false,
    );
  });

  it('judges a compound problem by its subproblems', () => {
    const userOnly = problem('compound', {
      subproblems: [
        {
          type: `${ACME_ERROR_PREFIX}rejectedIdentifier`,
          detail: 'no',
          identifier: { type: 'dns', value: 'a.example' },
        },
        { type: `${ACME_ERROR_PREFIX}caa`, detail: 'no' },
      ],
    });
    expect(userOnly.retryable).to.equal(false);
    expect(userOnly.subproblems[0]).to.deep.equal({
      type: `${ACME_ERROR_PREFIX}rejectedIdentifier`,
      detail: 'no',
      identifier: 'a.example',
    });
    const mixed = problem('compound', {
      subproblems: [{ type: `${ACME_ERROR_PREFIX}dns`, detail: 'timeout' }],
    });
    expect(mixed.retryable).to.equal(true);
  });

  it('prefixes the detail with what it is about, and wraps foreign errors as protocol errors', () => {
    expect(
      AcmeError.fromProblem({ type: `${ACME_ERROR_PREFIX}dns`, detail: 'NXDOMAIN' }, { prefix: 'a.example' })
        .detail,
    ).to.equal('a.example: NXDOMAIN');
    const wrapped = toAcmeError(new Error('Creating a new order did not return an order link'));
    expect(wrapped.type).to.equal(LocalErrorType.protocol);
    expect(wrapped.code).to.equal('protocol');
    const same = problem('dns');
    expect(toAcmeError(same)).to.equal(same);
  });
});
