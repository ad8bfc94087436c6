import { expect } from 'chai';
import {
  countFailure,
  nextRetryTime,
  NO_FAILURES,
  retryBackoff,
  transientBackoff,
  type FailureCounts,
} from './backoff.js';
import { failureClass, type FailureClass } from './failure-class.js';

const HOUR = 3_600_000;
const MINUTE = 60_000;
const FAILED = new Date(Date.UTC(2026, 0, 1));

function after(...classes: FailureClass[]): FailureCounts {
  return classes.reduce(countFailure, NO_FAILURES);
}

describe('issuance retry back-off', () => {
  const cases: [string, number, number][] = [
    ['does not wait before the first attempt', 0, 0],
    ['waits 1 h after the first failure', 1, HOUR],
    ['doubles to 2 h after the second', 2, 2 * HOUR],
    ['doubles to 4 h after the third', 3, 4 * HOUR],
    ['reaches 32 h after the sixth', 6, 32 * HOUR],
    ['stays at 32 h after the seventh', 7, 32 * HOUR],
    ['stays at 32 h after a thousand', 1000, 32 * HOUR],
  ];
  for (const [name, attempts, expected] of cases) {
    it(`${name} (${attempts} failures → ${expected / HOUR} h)`, () => {
      expect(retryBackoff(attempts)).to.equal(expected);
    });
  }

  it('takes a configured start and limit', () => {
    expect([1, 2, 3, 4, 5].map((n) => retryBackoff(n, { initialMs: 1000, maxMs: 5000 }))).to.deep.equal([
      1000, 2000, 4000, 5000, 5000,
    ]);
  });

  it('retries a transient failure after 30 s, doubling to 4 min, without jitter', () => {
    expect([1, 2, 3, 4, 5, 6, 50].map((n) => transientBackoff(n))).to.deep.equal([
      30_000, 60_000, 120_000, 240_000, 240_000, 240_000, 240_000,
    ]);
  });

  it('takes at most a fifth off a transient delay as jitter, and never adds to it', () => {
    for (const jitter of [0, 0.25, 0.5, 0.999, 1, -3, 7, Number.NaN]) {
      const delay = transientBackoff(9, {}, jitter);
      expect(delay, `jitter ${jitter}`).to.be.within(0.8 * 4 * MINUTE, 4 * MINUTE);
    }
    expect(transientBackoff(1, {}, 0.5)).to.equal(27_000);
  });

  it('schedules a definitive failure after the back-off, or after Retry-After when that is later', () => {
    const twice = after('Definitive', 'Definitive');
    expect(nextRetryTime({ failedAt: FAILED, failure: 'Definitive', counts: twice })?.toISOString()).to.equal(
      '2026-01-01T02:00:00.000Z',
    );
    const retryAfter = new Date(Date.UTC(2026, 0, 1, 5));
    expect(
      nextRetryTime({ failedAt: FAILED, failure: 'Definitive', counts: twice, retryAfter })?.toISOString(),
    ).to.equal('2026-01-01T05:00:00.000Z');
    const early = new Date(Date.UTC(2026, 0, 1, 0, 10));
    expect(
      nextRetryTime({
        failedAt: FAILED,
        failure: 'Definitive',
        counts: twice,
        retryAfter: early,
      })?.toISOString(),
    ).to.equal('2026-01-01T02:00:00.000Z');
  });

  it('schedules a transient failure within minutes, not an hour, however long the outage', () => {
    const outage = after(...Array<FailureClass>(40).fill('Transient'));
    const next = nextRetryTime({ failedAt: FAILED, failure: 'Transient', counts: outage, jitter: 0.3 });
    expect(next?.getTime()).to.be.within(FAILED.getTime() + 3 * MINUTE, FAILED.getTime() + 4 * MINUTE);
  });

  it('does not let an outage stretch the wait after the next definitive failure', () => {
    const counts = after('Transient', 'Transient', 'Transient', 'Transient', 'Transient', 'Definitive');
    expect(counts).to.deep.equal({ failedIssuanceAttempts: 6, transientFailures: 5 });
    expect(nextRetryTime({ failedAt: FAILED, failure: 'Definitive', counts })?.toISOString()).to.equal(
      '2026-01-01T01:00:00.000Z',
    );
  });

  it('does not schedule a terminal failure at all: only a spec change starts again', () => {
    expect(nextRetryTime({ failedAt: FAILED, failure: 'Terminal', counts: after('Terminal') })).to.equal(
      undefined,
    );
  });

  it('rounds up to whole seconds, as status stores them', () => {
    const failedAt = new Date(FAILED.getTime() + 400);
    const next = nextRetryTime({ failedAt, failure: 'Transient', counts: after('Transient') });
    expect(next?.toISOString()).to.equal('2026-01-01T00:00:31.000Z');
  });
});

describe('failure classes', () => {
  const acme = (name: string) => `urn:ietf:params:acme:error:${name}`;
  const cases: [string, Parameters<typeof failureClass>[0], FailureClass][] = [
    ['an unreachable CA is transient', { acmeType: 'gateway-worker:unreachable' }, 'Transient'],
    ['a CA that did not answer in time is transient', { acmeType: 'gateway-worker:timeout' }, 'Transient'],
    ['a 503 error page is transient', { acmeType: 'gateway-worker:http', httpStatus: 503 }, 'Transient'],
    ['a 404 error page is definitive', { acmeType: 'gateway-worker:http', httpStatus: 404 }, 'Definitive'],
    ['serverInternal is transient', { acmeType: acme('serverInternal'), httpStatus: 500 }, 'Transient'],
    ['an invalid order is definitive', { acmeType: 'gateway-worker:orderInvalid' }, 'Definitive'],
    ['a failed challenge is definitive', { acmeType: acme('incorrectResponse') }, 'Definitive'],
    ['a rejected identifier is definitive', { acmeType: acme('rejectedIdentifier') }, 'Definitive'],
    ['a rate limit is definitive (with its Retry-After)', { acmeType: acme('rateLimited') }, 'Definitive'],
    ['a rejected e-mail is terminal', { acmeType: acme('invalidContact') }, 'Terminal'],
    [
      'a missing external account binding is terminal',
      { acmeType: acme('externalAccountRequired') },
      'Terminal',
    ],
    ['a profile the CA does not offer is terminal', { acmeType: acme('invalidProfile') }, 'Terminal'],
    [
      'a compound problem is terminal only when every part is',
      { acmeType: acme('compound'), subproblemTypes: [acme('unsupportedIdentifier'), acme('caa')] },
      'Definitive',
    ],
    [
      'a compound problem of refused identifiers is terminal',
      { acmeType: acme('compound'), subproblemTypes: [acme('unsupportedIdentifier')] },
      'Terminal',
    ],
    ['an API server that did not answer is transient', { noAnswer: true }, 'Transient'],
    ['an API server 503 is transient', { httpStatus: 503 }, 'Transient'],
    ['API throttling (429) is transient', { httpStatus: 429 }, 'Transient'],
    ['an API server 403 (RBAC) is definitive', { httpStatus: 403 }, 'Definitive'],
    ['anything else is definitive', {}, 'Definitive'],
  ];
  for (const [name, facts, expected] of cases) {
    it(name, () => {
      expect(failureClass(facts)).to.equal(expected);
    });
  }
});
