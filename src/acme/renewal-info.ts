/**
 * ACME Renewal Information (RFC 9773): the CA's suggested renewal window for a certificate,
 * fetched from the directory's `renewalInfo` resource with an unauthenticated GET. Pebble 2.9
 * implements it (and its management API can override the answer per certificate).
 * Choosing a time inside the window is renewal policy (src/domain/acme), not done here.
 */
import { X509Certificate } from 'node:crypto';
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
  // Node's parser for the serial; the extension is read from the DER directly (Node exposes no
  // extensions, and a full ASN.1 parse in JavaScript blocks the event loop ten times longer).
  const cert = new X509Certificate(certificatePem);
  const keyId = authorityKeyId(cert.raw);
  if (!keyId) {
    throw new AcmeError({
      type: LocalErrorType.protocol,
      detail: 'the certificate has no Authority Key Identifier, so it has no ARI CertID',
    });
  }
  return `${keyId.toString('base64url')}.${derSerial(cert.serialNumber).toString('base64url')}`;
}

/** One DER element at `offset`: its tag, and where its content starts and ends. */
function element(der: Buffer, offset: number): { tag: number; start: number; end: number } | undefined {
  if (offset + 2 > der.length) return undefined;
  const tag = der[offset] ?? 0;
  let size = der[offset + 1] ?? 0;
  let start = offset + 2;
  if (size & 0x80) {
    const count = size & 0x7f;
    if (count === 0 || count > 4 || start + count > der.length) return undefined;
    size = 0;
    for (let i = 0; i < count; i += 1) size = size * 256 + (der[start + i] ?? 0);
    start += count;
  }
  const end = start + size;
  return end <= der.length ? { tag, start, end } : undefined;
}

const AKI_OID = Buffer.from('0603551d23', 'hex');

/**
 * The keyIdentifier of the authorityKeyIdentifier extension (RFC 5280 §4.2.1.1):
 * Extension ::= SEQUENCE { extnID (2.5.29.35), critical BOOLEAN DEFAULT FALSE, extnValue OCTET
 * STRING { SEQUENCE { keyIdentifier [0] IMPLICIT OCTET STRING, ... } } }.
 */
function authorityKeyId(der: Buffer): Buffer | undefined {
  const at = der.indexOf(AKI_OID);
  if (at < 0) return undefined;
  let next = element(der, at + AKI_OID.length);
  if (next?.tag === 0x01) next = element(der, next.end);
  if (next?.tag !== 0x04) return undefined;
  const value = element(der, next.start);
  if (value?.tag !== 0x30) return undefined;
  const keyId = element(der, value.start);
  return keyId?.tag === 0x80 ? der.subarray(keyId.start, keyId.end) : undefined;
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
