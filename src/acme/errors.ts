/**
 * Every failure of the ACME layer is an AcmeError: the problem type the server sent (RFC 8555
 * §6.7) or a local type when there was no problem document (server unreachable, polling gave
 * up, ...), the detail, Retry-After as an instant, and whether trying again can help. The
 * controller turns it into a condition reason and message, and into the next retry time.
 */

export const ACME_ERROR_PREFIX = 'urn:ietf:params:acme:error:';

/** Types for failures that come with no ACME problem document. */
export const LocalErrorType = {
  /** DNS, TCP or TLS failure reaching the ACME server (wrong URL, CA down, untrusted certificate). */
  unreachable: 'gateway-worker:unreachable',
  /** No answer in time, or an order/authorization still pending when polling gave up. */
  timeout: 'gateway-worker:timeout',
  /** An HTTP error status without a problem document (a proxy in the way, an outage page). */
  http: 'gateway-worker:http',
  /** The server answered something this client cannot use (missing field, unexpected state). */
  protocol: 'gateway-worker:protocol',
  /** The order became invalid without saying why. */
  orderInvalid: 'gateway-worker:orderInvalid',
  /** Another order for the same certificate is running in this process. */
  orderInFlight: 'gateway-worker:orderInFlight',
  /** The server offers no challenge of the solver's type (e.g. HTTP-01 for a wildcard). */
  unsupportedChallenge: 'gateway-worker:unsupportedChallenge',
  /** The issued certificate is for another key than the CSR's: the order was finalized before a crash. */
  keyMismatch: 'gateway-worker:keyMismatch',
  /** The solver failed to present or clean up a challenge (gateway push, DNS provider). */
  solver: 'gateway-worker:solver',
  /** The caller cancelled (operator shutting down). */
  aborted: 'gateway-worker:aborted',
} as const;

/**
 * Problem types that describe the request itself: the same spec will fail the same way, so
 * the controller should report them and wait for a change instead of retrying on a timer.
 */
const USER_ERRORS = new Set([
  'badCSR',
  'badPublicKey',
  'badRevocationReason',
  'badSignatureAlgorithm',
  'caa',
  'externalAccountRequired',
  'invalidContact',
  'invalidProfile',
  'malformed',
  'rejectedIdentifier',
  'unsupportedContact',
  'unsupportedIdentifier',
  'userActionRequired',
  'unsupportedChallenge',
]);

export interface AcmeProblemDocument {
  readonly type?: unknown;
  readonly detail?: unknown;
  readonly status?: unknown;
  readonly subproblems?: unknown;
  readonly identifier?: unknown;
}

export interface AcmeErrorInit {
  readonly type: string;
  readonly detail: string;
  readonly status?: number;
  readonly retryAfter?: Date;
  readonly url?: string;
  readonly subproblems?: readonly AcmeSubproblem[];
  readonly cause?: unknown;
}

export interface AcmeSubproblem {
  readonly type: string;
  readonly detail: string;
  readonly identifier?: string;
}

export class AcmeError extends Error {
  /** ACME problem type URN (urn:ietf:params:acme:error:…) or a {@link LocalErrorType}. */
  readonly type: string;
  readonly detail: string;
  /** HTTP status of the failed response, when there was one. */
  readonly status: number | undefined;
  /** Not before this instant: from Retry-After (seconds or HTTP-date). */
  readonly retryAfter: Date | undefined;
  /** The URL of the failed request. */
  readonly url: string | undefined;
  readonly subproblems: readonly AcmeSubproblem[];

  constructor(init: AcmeErrorInit) {
    super(init.detail, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'AcmeError';
    this.type = init.type;
    this.detail = init.detail;
    this.status = init.status;
    this.retryAfter = init.retryAfter;
    this.url = init.url;
    this.subproblems = init.subproblems ?? [];
  }

  /** The short name of the type: "rateLimited", "unreachable", ... */
  get code(): string {
    const colon = this.type.lastIndexOf(':');
    return this.type.slice(colon + 1);
  }

  /** A condition reason: "RateLimited", "Unreachable", "RejectedIdentifier", ... */
  get reason(): string {
    const code = this.code;
    return code.charAt(0).toUpperCase() + code.slice(1);
  }

  get rateLimited(): boolean {
    return this.type === `${ACME_ERROR_PREFIX}rateLimited`;
  }

  /**
   * Whether the same request can succeed later without a spec change. False for user errors
   * (rejected name, invalid e-mail, bad CSR, ...): say so in a condition and wait for an edit.
   * An unreachable server is retryable (the CA may be down), though its message belongs in the
   * condition too.
   */
  get retryable(): boolean {
    if (this.type === `${ACME_ERROR_PREFIX}compound` && this.subproblems.length > 0) {
      return this.subproblems.some((p) => !USER_ERRORS.has(shortName(p.type)));
    }
    return !USER_ERRORS.has(this.code);
  }

  /** One line for a condition message or a log. */
  override toString(): string {
    const when = this.retryAfter ? ` (retry after ${this.retryAfter.toISOString()})` : '';
    return `${this.code}: ${this.detail}${when}`;
  }

  static fromProblem(
    problem: AcmeProblemDocument,
    context: { status?: number; retryAfter?: Date; url?: string; prefix?: string } = {},
  ): AcmeError {
    const type = typeof problem.type === 'string' && problem.type ? problem.type : LocalErrorType.protocol;
    const detail = typeof problem.detail === 'string' ? problem.detail : 'no detail given';
    const status = typeof problem.status === 'number' ? problem.status : context.status;
    const subproblems = Array.isArray(problem.subproblems)
      ? problem.subproblems.filter(isRecord).map(toSubproblem)
      : [];
    return new AcmeError({
      type,
      detail: context.prefix ? `${context.prefix}: ${detail}` : detail,
      status,
      retryAfter: context.retryAfter,
      url: context.url,
      subproblems,
    });
  }
}

/** Keeps an AcmeError; wraps anything else (a plain Error from acme-client) as a protocol error. */
export function toAcmeError(error: unknown): AcmeError {
  if (error instanceof AcmeError) return error;
  const detail = error instanceof Error ? error.message : String(error);
  return new AcmeError({ type: LocalErrorType.protocol, detail, cause: error });
}

export function isProblemDocument(body: unknown): body is AcmeProblemDocument & { type: string } {
  return isRecord(body) && typeof body.type === 'string';
}

function shortName(type: string): string {
  return type.slice(type.lastIndexOf(':') + 1);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function toSubproblem(problem: Record<string, unknown>): AcmeSubproblem {
  const identifier = isRecord(problem.identifier) ? problem.identifier.value : undefined;
  return {
    type: typeof problem.type === 'string' ? problem.type : LocalErrorType.protocol,
    detail: typeof problem.detail === 'string' ? problem.detail : '',
    ...(typeof identifier === 'string' ? { identifier } : {}),
  };
}
