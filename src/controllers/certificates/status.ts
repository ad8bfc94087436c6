/**
 * The status a Certificate shows, from what the reconcile found and decided: Ready (a valid,
 * real certificate is stored), Issuing (a certificate is needed, why, and how the attempt
 * stands), Temporary (a stand-in is served) and Synced (the gateways applied it). Pure: a new
 * object every time, so a status computed twice from the same input is deep-equal and costs no
 * write. The fields the issuance attempt writes (order, validity, failures) are carried over,
 * or reset when the spec changed under them.
 */
import { statusOf, type Certificate, type CertificateStatus } from '../../api/v1alpha1/index.js';
import type { FailureCounts, IssuanceDecision } from '../../domain/acme/index.js';
import { rfc3339, type CertificateDescription } from '../../domain/certs/index.js';
import type { PushStatus } from '../../push/push-status.js';
import { gatewaysStatus, syncedCondition } from '../../push/status-fields.js';
import { setCondition } from '../../runtime/status/conditions.js';

/** Where the issuance stands, as the Issuing condition's message says it. */
export type IssuingPhase =
  | { readonly kind: 'idle' }
  /** An attempt runs (or is claimed by this very write), numbered from 1 under the current spec. */
  | { readonly kind: 'attempting'; readonly attempt: number; readonly since: Date }
  | { readonly kind: 'backoff'; readonly attempt: number; readonly next: Date }
  /** The last attempt failed for a reason no retry can fix. */
  | { readonly kind: 'stalled'; readonly attempt: number };

/** The failures status records under the current spec. */
export interface RecordedFailures {
  readonly counts: FailureCounts;
  readonly message: string | undefined;
  readonly nextRetryTime: Date | undefined;
}

export interface CertificateView {
  readonly decision: IssuanceDecision;
  /** The certificate in the Secret, when it parses. */
  readonly stored: CertificateDescription | undefined;
  readonly phase: IssuingPhase;
  /** Undefined once reset: after a spec change, or when nothing is left to retry. */
  readonly failures: RecordedFailures | undefined;
  readonly push: PushStatus | undefined;
  readonly renewalTime: Date | undefined;
  readonly revision: number | undefined;
  /** Drop an unfinished order nobody will resume (issuance no longer needed). */
  readonly abandonOrder: boolean;
}

export function certificateStatus(cert: Certificate, view: CertificateView, now: Date): CertificateStatus {
  const generation = cert.metadata.generation;
  const current = statusOf(cert);
  const { decision, stored, phase, failures } = view;
  const temporary = stored?.isTemporary === true && stored.notAfter > now;
  const validReal = stored !== undefined && !stored.isTemporary && stored.notAfter > now;
  let conditions = setCondition(
    current?.conditions,
    // Renewing keeps Ready=True, as in cert-manager: the certificate served is still right.
    validReal && (!decision.issue || decision.reason === 'Expiring')
      ? {
          type: 'Ready',
          status: 'True',
          reason: 'Ready',
          message: `The certificate is valid until ${rfc3339(stored.notAfter)}.`,
          observedGeneration: generation,
        }
      : {
          type: 'Ready',
          status: 'False',
          reason: temporary ? 'TemporaryCertificate' : decision.reason,
          message: temporary
            ? `A temporary certificate is served while the CA is tried again: ${decision.message}`
            : (lastFailure(failures) ?? capitalise(decision.message)),
          observedGeneration: generation,
        },
    now,
  );
  conditions = setCondition(
    conditions,
    decision.issue
      ? {
          type: 'Issuing',
          status: 'True',
          reason: decision.reason,
          message: `${capitalise(decision.message)}; ${phaseText(phase)}.`,
          observedGeneration: generation,
        }
      : {
          type: 'Issuing',
          status: 'False',
          reason: 'UpToDate',
          message: 'The certificate is up to date.',
          observedGeneration: generation,
        },
    now,
  );
  conditions = setCondition(
    conditions,
    temporary
      ? {
          type: 'Temporary',
          status: 'True',
          reason: 'TemporaryCertificate',
          message: `A self-signed temporary certificate, valid until ${rfc3339(stored.notAfter)}, is served until the CA issues one.`,
          observedGeneration: generation,
        }
      : {
          type: 'Temporary',
          status: 'False',
          reason: 'NotTemporary',
          message: 'No temporary certificate is served.',
          observedGeneration: generation,
        },
    now,
  );
  if (view.push) conditions = syncedCondition(conditions, view.push, generation, now);
  return {
    ...current,
    conditions,
    ...(failures
      ? {}
      : {
          failedIssuanceAttempts: 0,
          transientFailures: 0,
          lastFailureTime: undefined,
          lastFailureMessage: undefined,
          nextRetryTime: undefined,
        }),
    ...(view.abandonOrder ? { order: undefined } : {}),
    ...(view.revision !== undefined ? { revision: view.revision } : {}),
    ...(stored
      ? {
          notBefore: rfc3339(stored.notBefore),
          notAfter: rfc3339(stored.notAfter),
          serialNumber: stored.serialNumber,
          fingerprintSHA256: stored.fingerprintSHA256,
        }
      : {}),
    ...(view.renewalTime ? { renewalTime: rfc3339(view.renewalTime) } : {}),
    ...(view.push ? { gateways: gatewaysStatus(view.push) } : {}),
  };
}

function phaseText(phase: IssuingPhase): string {
  switch (phase.kind) {
    case 'idle':
      return 'no attempt is running';
    case 'attempting':
      return `attempt ${phase.attempt} in progress since ${rfc3339(phase.since)}`;
    case 'backoff':
      return `attempt ${phase.attempt} failed; the next attempt is at ${rfc3339(phase.next)}`;
    case 'stalled':
      return `attempt ${phase.attempt} failed and no retry can fix it; waiting for a change to the spec`;
  }
}

function lastFailure(failures: RecordedFailures | undefined): string | undefined {
  if (!failures?.message) return undefined;
  const next = failures.nextRetryTime
    ? ` Next attempt at ${rfc3339(failures.nextRetryTime)}.`
    : ' Not retried until the spec changes.';
  return `Issuance failed: ${failures.message}.${next}`;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
