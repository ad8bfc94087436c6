/**
 * The one decision of a Certificate reconcile, over plain facts (gather.ts) and without I/O:
 * what to publish to the gateways, the whole status to write, whether to claim and start an
 * issuance attempt (or stop one for an outdated spec), whether to store a temporary
 * certificate, which Events to record, and when to look again. execute.ts carries it out.
 *
 * Issuance progress lives in status, never only in memory: the Issuing condition says whether
 * an attempt runs or when the next one is due, and the failure fields the attempt records say
 * why. A restarted operator or a new leader reads the same state and carries on; an attempt
 * that ran in a process that is gone is claimed again (and its ACME order resumed).
 */
import { statusOf, type Certificate, type CertificateStatus } from '../../api/v1alpha1/index.js';
import {
  issuanceDecision,
  orderInFlight,
  plannedRenewalTime,
  temporaryNeeded,
  type IssuanceDecision,
} from '../../domain/acme/index.js';
import type { CertificateDescription, StoredSecret } from '../../domain/certs/index.js';
import type { PushStatus } from '../../push/push-status.js';
import { findCondition } from '../../runtime/status/conditions.js';
import { publicationFor, type CertificatePublication } from './publication.js';
import { certificateStatus, type IssuingPhase, type RecordedFailures } from './status.js';

/** An attempt this process runs for the Certificate. */
export interface RunningAttempt {
  /** The metadata.generation it was started for. */
  readonly generation: number | undefined;
  readonly startedAt: Date;
  /** Its number in status.failedIssuanceAttempts' count: once that many failures are recorded, it is over. */
  readonly number: number;
}

export interface CertificateFacts {
  readonly now: Date;
  /** Undefined when the Certificate is gone or being deleted. */
  readonly cert: Certificate | undefined;
  /** The content of the Secret spec.secretName names; undefined when it does not exist. */
  readonly stored: StoredSecret | undefined;
  /** The certificate in it, when it parses. */
  readonly description: CertificateDescription | undefined;
  /** The revision annotation of that Secret. */
  readonly secretRevision: number | undefined;
  /** The Secret cache has not yet seen a write the API server already holds. */
  readonly secretCacheBehind: boolean;
  readonly attempt: RunningAttempt | undefined;
  /** How the gateways took what this controller published last. */
  readonly push: PushStatus;
  /** The version this controller published last for the Certificate (what `push` speaks about). */
  readonly publishedVersion: string | undefined;
}

export type PlannedEvent = {
  readonly type: 'Normal' | 'Warning';
  readonly reason: string;
  readonly note: string;
};

export type CertificatePlan =
  | { readonly kind: 'gone' }
  /** Nothing to decide on stale data: look again shortly. */
  | { readonly kind: 'wait'; readonly why: string; readonly requeueAfterMs: number }
  | ActPlan;

export interface ActPlan {
  readonly kind: 'act';
  /** undefined: withdraw from the gateways. */
  readonly publication: CertificatePublication | undefined;
  readonly status: CertificateStatus;
  /** Start an attempt, once the status write (or a no-op compare-and-swap) proved the cache current. */
  readonly startAttempt: boolean;
  /** The number of the attempt in progress or to start (failures recorded so far + 1). */
  readonly attemptNumber: number;
  /** Stop the running attempt, and why. */
  readonly abortAttempt: string | undefined;
  readonly temporary: { readonly revision: number; readonly why: string } | undefined;
  readonly events: readonly PlannedEvent[];
  /** When the answer may change on its own. */
  readonly wakeAt: Date | undefined;
  /** The last attempt failed for a reason no retry can fix: the reconcile ends with a TerminalError saying this. */
  readonly stalled: string | undefined;
  readonly decision: IssuanceDecision;
  /** The certificate the Secret holds, for the metrics. */
  readonly description: CertificateDescription | undefined;
  readonly renewal: Date | undefined;
}

/** How long to wait for the Secret cache to catch up with a write the API server already has. */
export const SECRET_CACHE_WAIT_MS = 250;

function recordedFailures(cert: Certificate): RecordedFailures | undefined {
  const status = statusOf(cert);
  // Failures counted under another generation belonged to the old spec: the back-off resets.
  if (!status || status.observedGeneration !== cert.metadata.generation) return undefined;
  const failed = status.failedIssuanceAttempts ?? 0;
  if (failed === 0) return undefined;
  const next = status.nextRetryTime ? new Date(Date.parse(status.nextRetryTime)) : undefined;
  return {
    counts: { failedIssuanceAttempts: failed, transientFailures: status.transientFailures ?? 0 },
    message: status.lastFailureMessage,
    nextRetryTime: next && !Number.isNaN(next.getTime()) ? next : undefined,
  };
}

function pushView(
  facts: CertificateFacts,
  publication: CertificatePublication | undefined,
): PushStatus | undefined {
  if (!publication) return undefined;
  if (facts.publishedVersion === publication.resource.version) return facts.push;
  // A new version is about to go out: no gateway has it yet, whatever they said of the last one.
  const { selected } = facts.push;
  return { selected, synced: 0, failed: 0, summary: `0/${selected}`, failures: [] };
}

export function planCertificate(facts: CertificateFacts): CertificatePlan {
  const { cert, now } = facts;
  if (!cert) return { kind: 'gone' };
  if (facts.secretCacheBehind) {
    return {
      kind: 'wait',
      why: 'the Secret cache is behind the API server',
      requeueAfterMs: SECRET_CACHE_WAIT_MS,
    };
  }
  const current = statusOf(cert);
  const generation = cert.metadata.generation;
  const decision = issuanceDecision({
    certificateName: cert.metadata.name ?? '',
    spec: cert.spec,
    secret: facts.stored,
    status: current,
    now,
  });
  const publication = publicationFor(cert, facts.stored, facts.description, now);

  let failures = recordedFailures(cert);
  const attemptNumber = (failures?.counts.failedIssuanceAttempts ?? 0) + 1;
  // An attempt whose failure is recorded is over, though it may still be finishing up.
  const running = facts.attempt && facts.attempt.number >= attemptNumber ? facts.attempt : undefined;
  // An attempt for an older spec is stopped; the next one resumes or replaces its order.
  const attempt = running?.generation === generation ? running : undefined;
  const abortAttempt = running && !attempt ? 'the spec changed' : undefined;

  let phase: IssuingPhase = { kind: 'idle' };
  let startAttempt = false;
  const wakeAt: Date[] = [];
  if (attempt) {
    // Also when issuance is no longer needed: an attempt that just stored its certificate is
    // still writing its status.
    phase = { kind: 'attempting', attempt: attemptNumber, since: attempt.startedAt };
  } else if (decision.issue) {
    const next = failures?.nextRetryTime;
    if (failures && !next) {
      phase = { kind: 'stalled', attempt: attemptNumber - 1 };
    } else if (next && next > now) {
      phase = { kind: 'backoff', attempt: attemptNumber - 1, next };
      wakeAt.push(next);
    } else {
      phase = { kind: 'attempting', attempt: attemptNumber, since: now };
      startAttempt = true;
    }
  } else {
    // Nothing to retry: the failures are history.
    failures = undefined;
  }

  let temporary: ActPlan['temporary'];
  let renewal: Date | undefined;
  if (decision.issue) {
    const issuing = findCondition(current?.conditions, 'Issuing');
    const temporaryDecision = temporaryNeeded({
      spec: cert.spec,
      secret: facts.stored,
      now,
      issuingSince: issuing?.status === 'True' ? new Date(issuing.lastTransitionTime) : now,
      failedIssuanceAttempts: failures?.counts.failedIssuanceAttempts ?? 0,
    });
    if (temporaryDecision.needed) {
      temporary = {
        revision: Math.max(current?.revision ?? 0, facts.secretRevision ?? 0) + 1,
        why: temporaryDecision.message,
      };
    } else if (temporaryDecision.recheckAt) {
      wakeAt.push(temporaryDecision.recheckAt);
    }
  } else if (facts.description) {
    renewal = plannedRenewalTime(cert.spec, facts.description, current);
    wakeAt.push(renewal);
  }

  const revisions = [current?.revision, facts.secretRevision, temporary?.revision].filter(
    (r): r is number => r !== undefined,
  );
  const status = certificateStatus(
    cert,
    {
      decision,
      stored: facts.description,
      phase,
      failures,
      push: pushView(facts, publication),
      renewalTime: renewal,
      revision: revisions.length > 0 ? Math.max(...revisions) : undefined,
      abandonOrder: !decision.issue && !attempt && orderInFlight(current?.order),
    },
    now,
  );

  const events: PlannedEvent[] = [];
  if (startAttempt) {
    events.push({
      type: 'Normal',
      reason: 'Issuing',
      note: `Requesting a certificate from ${cert.spec.acme.server} (attempt ${attemptNumber}): ${decision.message}.`,
    });
  }
  const rejected = findCondition(status.conditions, 'Synced');
  const before = findCondition(current?.conditions, 'Synced');
  if (
    rejected?.reason === 'Rejected' &&
    (before?.reason !== 'Rejected' || before.message !== rejected.message)
  ) {
    events.push({ type: 'Warning', reason: 'Rejected', note: rejected.message });
  }

  return {
    kind: 'act',
    publication,
    status,
    startAttempt,
    attemptNumber,
    abortAttempt,
    temporary,
    events,
    wakeAt: wakeAt.length > 0 ? new Date(Math.min(...wakeAt.map((d) => d.getTime()))) : undefined,
    stalled:
      phase.kind === 'stalled'
        ? `issuance failed and no retry can fix it: ${failures?.message ?? 'see status'}; change the spec to try again`
        : undefined,
    decision,
    description: facts.description,
    renewal,
  };
}
