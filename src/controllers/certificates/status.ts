/**
 * The conditions a Certificate shows, from what the reconcile found: Ready (a valid, real
 * certificate is stored), Issuing (and why), Temporary (a stand-in is served) and Synced (the
 * gateways applied it). Pure; the fields the issuance writes (order, revision, validity,
 * failures) are carried over untouched.
 */
import { statusOf, type Certificate, type CertificateStatus } from '../../api/v1alpha1/index.js';
import { rfc3339, type CertificateDescription } from '../../domain/certs/index.js';
import type { IssuanceDecision } from '../../domain/acme/index.js';
import type { PushStatus } from '../../push/push-status.js';
import { gatewaysStatus, syncedCondition } from '../../push/status-fields.js';
import { setCondition } from '../../runtime/status/conditions.js';

export interface CertificateView {
  readonly decision: IssuanceDecision;
  /** The certificate in the Secret, when it parses. */
  readonly stored: CertificateDescription | undefined;
  readonly issuing: boolean;
  readonly push: PushStatus | undefined;
  readonly renewalTime: Date | undefined;
}

export function certificateStatus(cert: Certificate, view: CertificateView, now: Date): CertificateStatus {
  const generation = cert.metadata.generation;
  const current = statusOf(cert);
  const { decision, stored } = view;
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
            : (lastFailure(current) ?? capitalise(decision.message)),
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
          message: capitalise(decision.message) + (view.issuing ? '; an ACME order is in progress.' : '.'),
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

function lastFailure(status: CertificateStatus | undefined): string | undefined {
  if (!status?.lastFailureMessage) return undefined;
  const retry = status.nextRetryTime ? ` Next attempt at ${status.nextRetryTime}.` : '';
  return `Issuance failed: ${status.lastFailureMessage}.${retry}`;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
