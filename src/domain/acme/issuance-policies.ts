/**
 * Whether a Certificate needs a new certificate now, and why: a chain of small named policies
 * over plain input, in the manner of cert-manager's trigger policies. The first policy that
 * fires decides; when none does, the stored certificate is up to date. Whether issuance may
 * start now (back-off, Retry-After) is the controller's separate question: see backoff.ts.
 */
import { durationMillis } from '../../api/v1alpha1/checks/duration.js';
import type { CertificateSpec, CertificateStatus } from '../../api/v1alpha1/certificate.js';
import { CertificateAnnotations } from '../../api/v1alpha1/labels.js';
import type { CertificateDescription } from '../certs/describe.js';
import { sameNames, uncoveredNames } from '../certs/dns-names.js';
import { keyShapeText, specKeyShape } from '../certs/keys.js';
import { annotatedDnsNames, annotatedNotAfter, type StoredSecret } from '../certs/secret.js';
import { renewalTime, stableJitter } from './renewal.js';
import { inspectStored, type StoredCertificate } from './stored.js';

export type IssuanceReason =
  | 'DoesNotExist'
  | 'MissingData'
  | 'InvalidCertificate'
  | 'KeyMismatch'
  | 'ManuallyEdited'
  | 'SecretMismatch'
  | 'Expiring'
  | 'TemporaryCertificate'
  | 'UpToDate';

export interface IssuanceDecision {
  readonly issue: boolean;
  readonly reason: IssuanceReason;
  /** A sentence for the Issuing condition and the Event. */
  readonly message: string;
}

export interface IssuanceInput {
  /** metadata.name of the Certificate. */
  readonly certificateName: string;
  readonly spec: CertificateSpec;
  /** The Secret named by spec.secretName, decoded (see storedSecret()); undefined when it does not exist. */
  readonly secret: StoredSecret | undefined;
  readonly status: CertificateStatus | undefined;
  readonly now: Date;
}

interface Context {
  readonly input: IssuanceInput;
  readonly stored: StoredCertificate;
}

type Policy = (context: Context) => Omit<IssuanceDecision, 'issue'> | undefined;

function parsed(stored: StoredCertificate) {
  return stored.kind === 'parsed' ? stored : undefined;
}

const doesNotExist: Policy = ({ input, stored }) =>
  stored.kind === 'absent'
    ? { reason: 'DoesNotExist', message: `Secret ${input.spec.secretName} does not exist` }
    : undefined;

const missingData: Policy = ({ input, stored }) =>
  stored.kind === 'missing-data'
    ? {
        reason: 'MissingData',
        message: `Secret ${input.spec.secretName} has no ${stored.missing.join(' and no ')}`,
      }
    : undefined;

const invalidCertificate: Policy = ({ input, stored }) =>
  stored.kind === 'unparsable'
    ? { reason: 'InvalidCertificate', message: `Secret ${input.spec.secretName}: ${stored.message}` }
    : undefined;

const keyMismatch: Policy = ({ input, stored }) => {
  const cert = parsed(stored);
  if (!cert || cert.keyMatches) return undefined;
  const what = cert.keyShape ? 'does not belong to the certificate in tls.crt' : 'does not parse';
  return { reason: 'KeyMismatch', message: `the private key in Secret ${input.spec.secretName} ${what}` };
};

/**
 * Someone changed the Secret behind the operator's back: our annotations are gone or disagree
 * with the certificate they describe. The status fingerprint is compared only under the same
 * revision: a crash between writing the Secret and writing status leaves a newer revision in
 * the Secret, which is ours, not an edit.
 */
const manuallyEdited: Policy = ({ input, stored }) => {
  const cert = parsed(stored);
  if (!cert) return undefined;
  const annotations = input.secret?.annotations ?? {};
  const edited = (why: string) => ({
    reason: 'ManuallyEdited' as const,
    message: `Secret ${input.spec.secretName} was changed by hand: ${why}`,
  });
  const owner = annotations[CertificateAnnotations.certificateName];
  if (owner !== input.certificateName) {
    return edited(
      owner === undefined ? 'its certificate-name annotation is missing' : `it names Certificate ${owner}`,
    );
  }
  const notAfter = annotatedNotAfter(annotations);
  const leafNotAfter = cert.description.notAfter;
  if (notAfter === undefined || Math.abs(notAfter.getTime() - leafNotAfter.getTime()) >= 1000) {
    return edited('tls.crt is not the certificate its not-after annotation describes');
  }
  if ((annotations[CertificateAnnotations.temporary] === 'true') !== cert.description.isTemporary) {
    return edited('its temporary annotation does not match the certificate');
  }
  const status = input.status;
  if (
    status?.fingerprintSHA256 !== undefined &&
    status.revision !== undefined &&
    annotations[CertificateAnnotations.revision] === String(status.revision) &&
    status.fingerprintSHA256 !== cert.description.fingerprintSHA256
  ) {
    return edited(`tls.crt is not the certificate stored as revision ${status.revision}`);
  }
  return undefined;
};

const secretMismatch: Policy = ({ input, stored }) => {
  const cert = parsed(stored);
  if (!cert) return undefined;
  const { spec } = input;
  const annotations = input.secret?.annotations ?? {};
  const mismatch = (message: string) => ({ reason: 'SecretMismatch' as const, message });
  const annotated = annotatedDnsNames(annotations);
  if (!sameNames(annotated, spec.dnsNames)) {
    return mismatch(`dnsNames changed from ${annotated.join(', ') || 'none'} to ${spec.dnsNames.join(', ')}`);
  }
  const missing = uncoveredNames(cert.description.dnsNames, spec.dnsNames);
  if (missing.length > 0) return mismatch(`the stored certificate does not cover ${missing.join(', ')}`);
  const issuer = annotations[CertificateAnnotations.issuer];
  if (issuer !== spec.acme.server) {
    return mismatch(`the ACME server changed from ${issuer ?? 'unknown'} to ${spec.acme.server}`);
  }
  const wanted = specKeyShape(spec.privateKey);
  const have = cert.keyShape;
  if (have && (have.algorithm !== wanted.algorithm || have.size !== wanted.size)) {
    return mismatch(`the private key is ${keyShapeText(have)} but the spec asks for ${keyShapeText(wanted)}`);
  }
  return undefined;
};

/**
 * When a stored certificate is renewed: status.renewalTime when status describes this very
 * certificate (it may come from ARI), otherwise the renewal policy with a jitter that is stable
 * for the certificate. Write this to status.renewalTime.
 */
export function plannedRenewalTime(
  spec: CertificateSpec,
  description: CertificateDescription,
  status?: CertificateStatus,
): Date {
  if (status?.renewalTime !== undefined && status.fingerprintSHA256 === description.fingerprintSHA256) {
    const ms = Date.parse(status.renewalTime);
    if (!Number.isNaN(ms)) return new Date(ms);
  }
  return renewalTime({
    notBefore: description.notBefore,
    notAfter: description.notAfter,
    renewBeforeMs: durationMillis(spec.renewBefore),
    jitter: stableJitter(description.fingerprintSHA256),
  });
}

const expiring: Policy = ({ input, stored }) => {
  const cert = parsed(stored);
  if (!cert) return undefined;
  const { notAfter } = cert.description;
  if (input.now.getTime() >= notAfter.getTime()) {
    return { reason: 'Expiring', message: `the certificate expired at ${notAfter.toISOString()}` };
  }
  const renewAt = plannedRenewalTime(input.spec, cert.description, input.status);
  if (input.now.getTime() < renewAt.getTime()) return undefined;
  return {
    reason: 'Expiring',
    message: `renewal was due at ${renewAt.toISOString()}; the certificate expires at ${notAfter.toISOString()}`,
  };
};

const temporaryCertificate: Policy = ({ stored }) =>
  parsed(stored)?.description.isTemporary
    ? {
        reason: 'TemporaryCertificate',
        message: 'a temporary certificate is being served; the real one is still to come from the CA',
      }
    : undefined;

/** In order: the first that fires decides. */
const ISSUANCE_POLICIES: readonly Policy[] = [
  doesNotExist,
  missingData,
  invalidCertificate,
  keyMismatch,
  manuallyEdited,
  secretMismatch,
  expiring,
  temporaryCertificate,
];

export function issuanceDecision(input: IssuanceInput): IssuanceDecision {
  const context: Context = { input, stored: inspectStored(input.secret) };
  for (const policy of ISSUANCE_POLICIES) {
    const fired = policy(context);
    if (fired) return { issue: true, ...fired };
  }
  const cert = parsed(context.stored);
  const until = cert ? ` until ${cert.description.notAfter.toISOString()}` : '';
  const renew = cert
    ? `, renewal at ${plannedRenewalTime(input.spec, cert.description, input.status).toISOString()}`
    : '';
  return { issue: false, reason: 'UpToDate', message: `the certificate is valid${until}${renew}` };
}
