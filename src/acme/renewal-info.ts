/**
 * ACME Renewal Information (RFC 9773): the CA's suggested renewal window for a certificate,
 * fetched from the directory's `renewalInfo` resource with an unauthenticated GET. Pebble 2.9
 * implements it (and its management API can override the answer per certificate).
 * Choosing a time inside the window is renewal policy (src/domain/acme), not done here.
 */
import { AuthorityKeyIdentifierExtension, X509Certificate } from '@peculiar/x509';
import { AcmeError, LocalErrorType } from './errors.js';
import type { AcmeTransport } from './transport.js';

export interface RenewalInfo {
  /** Renew at a time chosen uniformly at random in [start, end) (RFC 9773 §4.2). */
  readonly start: Date;
  readonly end: Date;
  readonly explanationUrl?: string;
  /** When to ask again (the response's Retry-After). */
  readonly retryAfter?: Date;
}

/**
 * The RFC 9773 CertID: base64url of the Authority Key Identifier's keyIdentifier, ".", and
 * base64url of the DER serial number bytes (a leading zero byte kept).
 */
export function certificateId(certificatePem: string): string {
  const cert = new X509Certificate(certificatePem);
  const aki = cert.getExtension(AuthorityKeyIdentifierExtension);
  if (!aki?.keyId) {
    throw new AcmeError({
      type: LocalErrorType.protocol,
      detail: 'the certificate has no Authority Key Identifier, so it has no ARI CertID',
    });
  }
  return `${Buffer.from(aki.keyId, 'hex').toString('base64url')}.${derSerial(cert.serialNumber).toString('base64url')}`;
}

/**
 * The DER INTEGER bytes of a positive serial. @peculiar/x509 (like node:crypto) reports the
 * serial without the zero byte DER puts before a first byte ≥ 0x80; RFC 9773 wants it back.
 */
function derSerial(hex: string): Buffer {
  const digits = hex.replace(/^(00)+/, '') || '00';
  const bytes = Buffer.from(digits.length % 2 ? `0${digits}` : digits, 'hex');
  return (bytes[0] ?? 0) >= 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes;
}

/** GETs the renewal window of `certificatePem` from `renewalInfoUrl` (directory `renewalInfo`). */
export async function fetchRenewalInfo(
  transport: AcmeTransport,
  renewalInfoUrl: string,
  certificatePem: string,
): Promise<RenewalInfo> {
  const url = `${renewalInfoUrl.replace(/\/$/, '')}/${certificateId(certificatePem)}`;
  const { value, retryAfter } = await transport.call('renewalInfo', () => transport.get(url));
  return parseRenewalInfo(value.data, url, retryAfter);
}

export function parseRenewalInfo(body: unknown, url: string, retryAfter?: Date): RenewalInfo {
  const window = field(body, 'suggestedWindow');
  const start = new Date(String(field(window, 'start')));
  const end = new Date(String(field(window, 'end')));
  if (Number.isNaN(start.getTime()) || Number.isNaN(end.getTime()) || end <= start) {
    throw new AcmeError({
      type: LocalErrorType.protocol,
      detail: `the renewal information at ${url} has no valid suggestedWindow`,
      url,
    });
  }
  const explanation = field(body, 'explanationURL');
  return {
    start,
    end,
    ...(typeof explanation === 'string' ? { explanationUrl: explanation } : {}),
    ...(retryAfter ? { retryAfter } : {}),
  };
}

function field(value: unknown, name: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[name] : undefined;
}
