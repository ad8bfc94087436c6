/**
 * Label and annotation keys on the Secrets the operator writes: the Certificate controller sets
 * them, backup finds Secrets by them, restore compares by them. One list, so the three agree.
 */
import { createHash } from 'node:crypto';
import { GROUP } from './schema/kind.js';

/** On every certificate Secret; its value is {@link certificateNameLabelValue} of the Certificate. */
export const CERTIFICATE_NAME_LABEL = `${GROUP}/certificate-name`;

/** Annotations on a certificate Secret; all values are strings, as Kubernetes requires. */
export const CertificateAnnotations = {
  /** The Certificate's name, in full (a label value is limited to 63 characters). */
  certificateName: `${GROUP}/certificate-name`,
  /** The Certificate's dnsNames when the certificate was stored, comma-separated. */
  dnsNames: `${GROUP}/dns-names`,
  /** The ACME directory URL the certificate came from. */
  issuer: `${GROUP}/issuer`,
  /** The leaf's notAfter, RFC 3339 (`2026-01-01T00:00:00Z`). */
  notAfter: `${GROUP}/not-after`,
  /** status.revision of the Certificate when this certificate was stored, a decimal integer. */
  revision: `${GROUP}/revision`,
  /** "true" while the Secret holds a temporary certificate, "false" otherwise. */
  temporary: `${GROUP}/temporary`,
} as const;

/** On every ACME account Secret, with the value "true". */
export const ACME_ACCOUNT_LABEL = `${GROUP}/acme-account`;

export const AcmeAccountAnnotations = {
  /** The ACME directory URL the account is registered with. */
  server: `${GROUP}/acme-server`,
  /** The account's contact e-mail; empty for an account without one. */
  email: `${GROUP}/acme-email`,
} as const;

const LABEL_VALUE_MAX = 63;

function shortHash(text: string, length: number): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}

/**
 * The label value naming a Certificate. Object names may be 253 characters but label values
 * only 63: a longer name is cut and suffixed with a hash, so it stays unique; the annotation
 * keeps the full name.
 */
export function certificateNameLabelValue(certificateName: string): string {
  if (certificateName.length <= LABEL_VALUE_MAX) return certificateName;
  const head = certificateName.slice(0, LABEL_VALUE_MAX - 17).replace(/[^a-z0-9]+$/, '');
  return `${head}-${shortHash(certificateName, 16)}`;
}

/**
 * The name of the Secret holding the account key for one (ACME server, e-mail) pair, in the
 * operator's namespace: `acme-account-` and 16 hex digits of a SHA-256 over both, so it is
 * stable across restarts and replicas, a valid DNS-1123 name, and reveals neither. The strings
 * are taken as written (no URL or case normalisation): the account is whatever the spec names.
 */
export function acmeAccountSecretName(server: string, email: string | undefined): string {
  return `acme-account-${shortHash(`${server}\n${email ?? ''}`, 16)}`;
}
