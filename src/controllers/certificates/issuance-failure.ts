/**
 * What a failed issuance attempt records in status: the failure's class (transient, definitive,
 * terminal), the counts, the message and the next retry time, all from the error and the
 * status the attempt started from. Pure; the attempt writes the patch.
 */
import { AcmeError } from '../../acme/index.js';
import { statusOf, type Certificate } from '../../api/v1alpha1/index.js';
import {
  ORDER_CLEARED_PATCH,
  countFailure,
  failureClass,
  failureClassText,
  nextRetryTime,
  stableJitter,
  NO_FAILURES,
  type FailureClass,
  type FailureCounts,
  type FailureFacts,
  type RetryOptions,
} from '../../domain/acme/index.js';
import { rfc3339 } from '../../domain/certs/index.js';
import { ApiError } from '../../runtime/kube/errors.js';

export interface IssuanceFailure {
  readonly failure: FailureClass;
  /** "code: detail" for the CA's errors, the error's message otherwise; then the class when it is not the usual one. */
  readonly message: string;
  readonly counts: FailureCounts;
  readonly failedAt: Date;
  /** Undefined for a terminal failure: only a spec change starts a new attempt. */
  readonly nextRetryTime: Date | undefined;
  /** The status merge patch that records it. */
  readonly patch: Record<string, unknown>;
}

function facts(error: unknown): FailureFacts {
  if (error instanceof AcmeError) {
    return {
      acmeType: error.type,
      httpStatus: error.status,
      subproblemTypes: error.subproblems.map((p) => p.type),
    };
  }
  if (error instanceof ApiError) return { httpStatus: error.code };
  // Node's network errors (ECONNREFUSED, ECONNRESET, ...) and aborted requests carry no answer.
  const code = (error as { code?: unknown } | undefined)?.code;
  const name = error instanceof Error ? error.name : '';
  return { noAnswer: (typeof code === 'string' && code.startsWith('E')) || name === 'AbortError' };
}

function causeText(error: unknown): string {
  // The ACME problem type leads, so the condition names the cause ("rateLimited: ...").
  if (error instanceof AcmeError) return `${error.code}: ${error.detail}`;
  return error instanceof Error ? error.message : String(error);
}

/** The counts the attempt's failures add to: zero when the spec changed since they were counted. */
export function currentCounts(cert: Certificate): FailureCounts {
  const status = statusOf(cert);
  if (status?.observedGeneration !== cert.metadata.generation) return NO_FAILURES;
  return {
    failedIssuanceAttempts: status?.failedIssuanceAttempts ?? 0,
    transientFailures: status?.transientFailures ?? 0,
  };
}

export function issuanceFailure(
  cert: Certificate,
  error: unknown,
  failedAt: Date,
  retry: RetryOptions = {},
): IssuanceFailure {
  const failure = failureClass(facts(error));
  const counts = countFailure(currentCounts(cert), failure);
  const acmeError = error instanceof AcmeError ? error : undefined;
  const next = nextRetryTime({
    failedAt,
    failure,
    counts,
    options: retry,
    retryAfter: acmeError?.retryAfter,
    // Stable per certificate and attempt: replicas and restarts compute the same time.
    jitter: stableJitter(
      `${cert.metadata.uid ?? cert.metadata.name ?? ''}/${counts.failedIssuanceAttempts}`,
    )(),
  });
  const cause = causeText(error);
  const message = failure === 'Definitive' ? cause : `${cause} (${failureClassText(failure)})`;
  // An order that failed for good is not resumed: the next attempt starts a new one. A
  // transient failure keeps it, so the CA's return resumes the same order.
  const orderDone =
    failure === 'Terminal' ||
    (acmeError !== undefined && /invalid|orderNotReady|malformed/i.test(acmeError.type));
  return {
    failure,
    message,
    counts,
    failedAt,
    nextRetryTime: next,
    patch: {
      ...(orderDone ? ORDER_CLEARED_PATCH : {}),
      // The generation that failed: a later spec change resets the back-off, this one does not.
      observedGeneration: cert.metadata.generation,
      failedIssuanceAttempts: counts.failedIssuanceAttempts,
      transientFailures: counts.transientFailures,
      lastFailureTime: rfc3339(failedAt),
      lastFailureMessage: message.slice(0, 32_000),
      nextRetryTime: next ? rfc3339(next) : null,
    },
  };
}
