/**
 * What kind of failure ended an issuance attempt, which decides when to try again:
 *
 * - `Transient`: the CA could not be reached, answered 5xx, or did not answer in time (and the
 *   same for the Kubernetes API). Nothing is wrong with the request; retry soon (30 s doubling
 *   to 4 min), so the certificate follows within minutes of the CA's return.
 * - `Definitive`: the CA answered and refused (order or authorization invalid, rejected
 *   identifier, rate limit, a challenge that could not be presented). Retry on cert-manager's
 *   schedule, 1 h doubling to 32 h: the cause may be outside the spec (DNS, CAA, a policy).
 * - `Terminal`: the spec itself is what the CA refuses (its e-mail, profile or identifiers, a
 *   missing external account binding). No retry can fix it; wait for the spec to change.
 *
 * Plain input, so the ACME client and the Kubernetes client can each describe their errors
 * without this module importing either.
 */

export type FailureClass = 'Transient' | 'Definitive' | 'Terminal';

export interface FailureFacts {
  /**
   * The ACME problem type (urn:ietf:params:acme:error:…) or a local type such as
   * `gateway-worker:unreachable`; undefined for a failure that is not the CA's.
   */
  readonly acmeType?: string;
  /** The HTTP status of the failed answer (the CA's or the API server's); 0 or undefined for none. */
  readonly httpStatus?: number;
  /** For a compound ACME problem: the subproblems' types. */
  readonly subproblemTypes?: readonly string[];
  /** A network-level failure with no answer at all (connection refused, reset, time-out). */
  readonly noAnswer?: boolean;
}

/** Problem types (their short names) that only a spec change can fix. */
const TERMINAL = new Set([
  'invalidContact',
  'unsupportedContact',
  'externalAccountRequired',
  'invalidProfile',
  'unsupportedIdentifier',
  'unsupportedChallenge',
]);

/** Types that mean the CA (or the path to it) failed, not the request. */
const TRANSIENT = new Set(['unreachable', 'timeout', 'serverInternal', 'badNonce', 'orderInFlight']);

function shortName(type: string): string {
  return type.slice(type.lastIndexOf(':') + 1);
}

function classOfType(type: string, httpStatus: number | undefined): FailureClass {
  const name = shortName(type);
  if (TERMINAL.has(name)) return 'Terminal';
  if (TRANSIENT.has(name)) return 'Transient';
  // An error page without a problem document: a 5xx is an outage, a 4xx a refusal.
  if (name === 'http') return httpStatus !== undefined && httpStatus >= 500 ? 'Transient' : 'Definitive';
  return 'Definitive';
}

export function failureClass(facts: FailureFacts): FailureClass {
  if (facts.acmeType !== undefined) {
    const subproblems = facts.subproblemTypes ?? [];
    if (shortName(facts.acmeType) === 'compound' && subproblems.length > 0) {
      const classes = subproblems.map((type) => classOfType(type, undefined));
      // Terminal only when every name is refused for a spec reason; otherwise the worst of the rest.
      if (classes.every((c) => c === 'Terminal')) return 'Terminal';
      return classes.includes('Definitive') || classes.includes('Terminal') ? 'Definitive' : 'Transient';
    }
    return classOfType(facts.acmeType, facts.httpStatus);
  }
  if (facts.noAnswer) return 'Transient';
  const status = facts.httpStatus ?? 0;
  // The API server overloaded, restarting or throttling us: the same read works a moment later.
  if (status >= 500 || status === 429) return 'Transient';
  return 'Definitive';
}

/** How lastFailureMessage and the conditions say what kind of failure it was. */
export function failureClassText(failure: FailureClass): string {
  switch (failure) {
    case 'Transient':
      return 'a transient fault (the server could not be reached, failed or did not answer): retried on the short back-off';
    case 'Definitive':
      return 'retried on the long back-off';
    case 'Terminal':
      return 'no retry can fix this: not retried until the spec changes';
  }
}
