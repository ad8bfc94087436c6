/**
 * Whether to serve a temporary certificate now. Two situations call for one: no usable
 * certificate exists `temporaryCertificate.after` into issuance, or a temporary one is about to
 * run out itself. A usable real certificate is never replaced by a temporary one — not even
 * when it is about to expire while renewal keeps failing: then the answer is "not yet", with
 * `recheckAt` set to its expiry, when it stops being usable and a temporary one takes over
 * at once (issuance has been running far longer than `after` by then).
 */
import { durationMillis } from '../../api/v1alpha1/checks/duration.js';
import type { CertificateSpec } from '../../api/v1alpha1/certificate.js';
import { uncoveredNames } from '../certs/dns-names.js';
import type { StoredSecret } from '../certs/secret.js';
import { inspectStored, isCurrent } from './stored.js';

export type TemporaryReason =
  | 'Disabled'
  | 'ValidCertificate'
  | 'ExpiringWhileRenewalFails'
  | 'TemporaryValid'
  | 'TemporaryExpiring'
  | 'TemporaryOutdated'
  | 'Waiting'
  | 'NoValidCertificate';

export interface TemporaryDecision {
  readonly needed: boolean;
  readonly reason: TemporaryReason;
  readonly message: string;
  /** When the answer may change on its own; requeue then. */
  readonly recheckAt?: Date;
}

export interface TemporaryInput {
  readonly spec: CertificateSpec;
  readonly secret: StoredSecret | undefined;
  readonly now: Date;
  /**
   * When the current issuance began: when issuanceDecision first answered issue (for example the
   * Issuing condition's lastTransitionTime).
   */
  readonly issuingSince: Date;
  /** status.failedIssuanceAttempts. */
  readonly failedIssuanceAttempts: number;
}

/** "About to expire": inside a tenth of the lifetime, and at most the last 24 hours. */
export const EXPIRY_MARGIN_SHARE = 0.1;
export const MAX_EXPIRY_MARGIN_MS = 24 * 3_600_000;

function expiryMargin(notBefore: Date, notAfter: Date): number {
  return Math.min((notAfter.getTime() - notBefore.getTime()) * EXPIRY_MARGIN_SHARE, MAX_EXPIRY_MARGIN_MS);
}

/** temporaryCertificate.validity in milliseconds, as issueTemporaryCertificate takes it. */
export function temporaryValidityMs(spec: CertificateSpec): number {
  return durationMillis(spec.temporaryCertificate.validity);
}

export function temporaryNeeded(input: TemporaryInput): TemporaryDecision {
  if (!input.spec.temporaryCertificate.enabled) {
    return { needed: false, reason: 'Disabled', message: 'temporary certificates are disabled' };
  }
  const now = input.now.getTime();
  const stored = inspectStored(input.secret);
  if (stored.kind === 'parsed' && stored.keyMatches && isCurrent(stored.description, input.now)) {
    const { notBefore, notAfter, isTemporary } = stored.description;
    const marginStart = notAfter.getTime() - expiryMargin(notBefore, notAfter);
    if (isTemporary) {
      const missing = uncoveredNames(stored.description.dnsNames, input.spec.dnsNames);
      if (missing.length > 0) {
        return {
          needed: true,
          reason: 'TemporaryOutdated',
          message: `the temporary certificate does not cover ${missing.join(', ')}`,
        };
      }
      if (now >= marginStart) {
        return {
          needed: true,
          reason: 'TemporaryExpiring',
          message: `the temporary certificate expires at ${notAfter.toISOString()}`,
        };
      }
      return {
        needed: false,
        reason: 'TemporaryValid',
        message: `a temporary certificate is served until ${notAfter.toISOString()}`,
        recheckAt: new Date(marginStart),
      };
    }
    if (now >= marginStart && input.failedIssuanceAttempts > 0) {
      return {
        needed: false,
        reason: 'ExpiringWhileRenewalFails',
        message:
          `the certificate expires at ${notAfter.toISOString()} and renewal keeps failing; ` +
          'a temporary certificate will replace it when it expires',
        recheckAt: notAfter,
      };
    }
    return {
      needed: false,
      reason: 'ValidCertificate',
      message: `a valid certificate is served until ${notAfter.toISOString()}`,
      recheckAt: notAfter,
    };
  }
  const due = input.issuingSince.getTime() + durationMillis(input.spec.temporaryCertificate.after);
  if (now < due) {
    return {
      needed: false,
      reason: 'Waiting',
      message: `no valid certificate yet; a temporary one at ${new Date(due).toISOString()} if the CA has not answered`,
      recheckAt: new Date(due),
    };
  }
  return {
    needed: true,
    reason: 'NoValidCertificate',
    message: `no valid certificate ${input.spec.temporaryCertificate.after} into issuance`,
  };
}
