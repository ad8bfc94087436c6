/**
 * Signing a TLS server certificate for an existing private key with a CA from src/pki: what
 * temporary certificates need (src/pki's issueCertificate always makes a new key).
 */
import { randomBytes } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import type { KeyAndCert } from '../../pki/x509.js';
import { importKeyPair } from './keys.js';

export interface LeafRequest {
  /** The subject's private key (PKCS#8 PEM); only its public half goes into the certificate. */
  readonly keyPem: string;
  readonly dnsNames: readonly string[];
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly organizations?: readonly string[];
}

/** src/pki's CAs are ECDSA P-256. */
const CA_SIGNING = { name: 'ECDSA', hash: 'SHA-256' } as const;
/** X.520 caps a common name at 64 characters; a longer first name is left to the SAN alone. */
const COMMON_NAME_MAX = 64;

function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f; // a positive INTEGER
  return bytes.toString('hex');
}

function escape(value: string): string {
  return value.replace(/([,+"\\<>;=])/g, '\\$1');
}

/** A serverAuth leaf for the DNS names, signed by `ca`, as PEM ending in a newline. */
export async function signLeaf(ca: KeyAndCert, request: LeafRequest): Promise<string> {
  const { keys } = await importKeyPair(request.keyPem);
  const first = request.dnsNames[0] ?? '';
  const subject = [
    ...(first && first.length <= COMMON_NAME_MAX ? [`CN=${escape(first)}`] : []),
    ...(request.organizations ?? []).map((o) => `O=${escape(o)}`),
  ].join(', ');
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(
      x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
      true,
    ),
    new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
    await x509.AuthorityKeyIdentifierExtension.create(ca.cert),
  ];
  if (request.dnsNames.length > 0) {
    extensions.push(
      new x509.SubjectAlternativeNameExtension(request.dnsNames.map((value) => ({ type: 'dns', value }))),
    );
  }
  const leaf = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject,
    issuer: ca.cert.subject,
    notBefore: request.notBefore,
    notAfter: request.notAfter,
    publicKey: keys.publicKey,
    signingKey: ca.keys.privateKey,
    signingAlgorithm: CA_SIGNING,
    extensions,
  });
  return leaf.toString('pem').trimEnd() + '\n';
}
