/**
 * The certificate Secret's content, both ways: what to write for an issued or temporary
 * certificate (type, labels, annotations, base64 data), and the decoded view the issuance
 * policies read. Plain data only; the controller does the API calls.
 */
import {
  CERTIFICATE_NAME_LABEL,
  CertificateAnnotations,
  certificateNameLabelValue,
} from '../../api/v1alpha1/labels.js';
import { describeCertificate } from './describe.js';

export const TLS_SECRET_TYPE = 'kubernetes.io/tls';

/** A certificate Secret as the policies read it: entries decoded to text, and its annotations. */
export interface StoredSecret {
  readonly data: {
    readonly 'tls.crt'?: string;
    readonly 'tls.key'?: string;
    readonly 'ca.crt'?: string;
  };
  readonly annotations: Readonly<Record<string, string>>;
}

/** Builds the policies' view from a Secret as it comes from the API (data in base64). */
export function storedSecret(secret: {
  data?: Record<string, string> | null;
  metadata?: { annotations?: Record<string, string> | null };
}): StoredSecret {
  const data: Record<string, string> = {};
  for (const key of ['tls.crt', 'tls.key', 'ca.crt'] as const) {
    const value = secret.data?.[key];
    if (value !== undefined) data[key] = Buffer.from(value, 'base64').toString('utf8');
  }
  return { data, annotations: secret.metadata?.annotations ?? {} };
}

export interface CertificateSecretInput {
  readonly certificateName: string;
  readonly dnsNames: readonly string[];
  /** The ACME directory URL (spec.acme.server). */
  readonly issuer: string;
  readonly chainPem: string;
  readonly keyPem: string;
  /** The CA's root, when known; ca.crt is left out otherwise. */
  readonly caPem?: string;
  /** The status.revision this certificate is stored under. */
  readonly revision: number;
  readonly temporary: boolean;
  /** The leaf's notAfter when the caller has it already (parsed from chainPem otherwise). */
  readonly notAfter?: Date;
}

export interface CertificateSecretContent {
  readonly type: typeof TLS_SECRET_TYPE;
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
  /** base64, ready for Secret.data. */
  readonly data: Record<string, string>;
}

/** RFC 3339 in UTC with whole seconds, as the not-after annotation holds it. */
export function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The Secret content for a certificate; the not-after annotation is read from the chain itself. */
export function certificateSecretContent(input: CertificateSecretInput): CertificateSecretContent {
  const notAfter = input.notAfter ?? describeCertificate(input.chainPem).notAfter;
  const base64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');
  return {
    type: TLS_SECRET_TYPE,
    labels: { [CERTIFICATE_NAME_LABEL]: certificateNameLabelValue(input.certificateName) },
    annotations: {
      [CertificateAnnotations.certificateName]: input.certificateName,
      [CertificateAnnotations.dnsNames]: input.dnsNames.join(','),
      [CertificateAnnotations.issuer]: input.issuer,
      [CertificateAnnotations.notAfter]: rfc3339(notAfter),
      [CertificateAnnotations.revision]: String(input.revision),
      [CertificateAnnotations.temporary]: String(input.temporary),
    },
    data: {
      'tls.crt': base64(input.chainPem),
      'tls.key': base64(input.keyPem),
      ...(input.caPem === undefined ? {} : { 'ca.crt': base64(input.caPem) }),
    },
  };
}

/** The dns-names annotation as a list; empty when absent. */
export function annotatedDnsNames(annotations: Readonly<Record<string, string>>): string[] {
  const value = annotations[CertificateAnnotations.dnsNames];
  return value
    ? value
        .split(',')
        .map((name) => name.trim())
        .filter(Boolean)
    : [];
}

/** The not-after annotation as a Date; undefined when absent or not a timestamp. */
export function annotatedNotAfter(annotations: Readonly<Record<string, string>>): Date | undefined {
  const value = annotations[CertificateAnnotations.notAfter];
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : new Date(ms);
}
