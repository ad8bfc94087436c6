/**
 * The certificate signing request sent to the ACME server when finalizing an order: PEM
 * ("CERTIFICATE REQUEST"), which acme-client's `finalizeOrder(order, csr)` takes as a string.
 *
 * Written out as DER here (PKCS#10, RFC 2986: a common name, the key, a subjectAltName
 * extension request) and signed with node:crypto. A general ASN.1 library builds the same
 * bytes in pure JavaScript at ten times the cost, all of it blocking the event loop while a
 * hundred certificates are being issued at once.
 */
import { createPrivateKey, createPublicKey, sign, type KeyObject } from 'node:crypto';
import { describeKey } from './keys.js';

/** X.520 caps a common name at 64 characters; a longer first name is left to the SAN alone. */
const COMMON_NAME_MAX = 64;

// Object identifiers, DER-encoded (tag, length and value).
const OID = {
  commonName: '0603550403',
  extensionRequest: '06092a864886f70d01090e',
  subjectAltName: '0603551d11',
  ecdsaWithSha256: '06082a8648ce3d040302',
  ecdsaWithSha384: '06082a8648ce3d040303',
  sha256WithRsa: '06092a864886f70d01010b',
} as const;
const NULL = Buffer.from('0500', 'hex');

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let rest = n; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), length(body.length), body]);
}

const hex = (text: string): Buffer => Buffer.from(text, 'hex');
const sequence = (...content: Buffer[]): Buffer => tlv(0x30, ...content);
const set = (...content: Buffer[]): Buffer => tlv(0x31, ...content);

function subject(commonName: string | undefined): Buffer {
  if (commonName === undefined) return sequence();
  return sequence(set(sequence(hex(OID.commonName), tlv(0x0c, Buffer.from(commonName, 'utf8')))));
}

function extensionRequest(dnsNames: readonly string[]): Buffer {
  // GeneralName dNSName is [2] IMPLICIT IA5String.
  const names = sequence(...dnsNames.map((name) => tlv(0x82, Buffer.from(name, 'ascii'))));
  const extension = sequence(hex(OID.subjectAltName), tlv(0x04, names));
  // attributes [0] IMPLICIT SET OF Attribute { extensionRequest, SET { Extensions } }
  return tlv(0xa0, sequence(hex(OID.extensionRequest), set(sequence(extension))));
}

function signatureAlgorithm(key: KeyObject): { identifier: Buffer; hash: string } {
  const shape = describeKey(key);
  if (shape?.algorithm === 'ECDSA' && shape.size === 256)
    return { identifier: sequence(hex(OID.ecdsaWithSha256)), hash: 'sha256' };
  if (shape?.algorithm === 'ECDSA' && shape.size === 384)
    return { identifier: sequence(hex(OID.ecdsaWithSha384)), hash: 'sha384' };
  if (shape?.algorithm === 'RSA')
    return { identifier: sequence(hex(OID.sha256WithRsa), NULL), hash: 'sha256' };
  throw new Error('the private key is not an ECDSA P-256/P-384 or RSA key');
}

function pem(der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE REQUEST-----\n${lines.join('\n')}\n-----END CERTIFICATE REQUEST-----\n`;
}

/**
 * A CSR for `dnsNames`, signed with the PEM private key: every name in subjectAltName (what ACME
 * servers read) and the first one as common name when it fits.
 */
export function createCsr(keyPem: string, dnsNames: readonly string[]): Promise<string> {
  if (dnsNames.length === 0) return Promise.reject(new Error('a CSR needs at least one DNS name'));
  const key = createPrivateKey(keyPem);
  const algorithm = signatureAlgorithm(key);
  const first = dnsNames[0] ?? '';
  const info = sequence(
    tlv(0x02, Buffer.from([0])),
    subject(first.length <= COMMON_NAME_MAX ? first : undefined),
    createPublicKey(key).export({ type: 'spki', format: 'der' }),
    extensionRequest(dnsNames),
  );
  // ECDSA signatures in DER (Ecdsa-Sig-Value), as X.509 wants them: node's default encoding.
  const signature = sign(algorithm.hash, info, key);
  const der = sequence(info, algorithm.identifier, tlv(0x03, Buffer.from([0]), signature));
  return Promise.resolve(pem(der));
}
