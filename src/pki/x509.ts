/**
 * Small X.509 toolkit on WebCrypto: ECDSA P-256 keys, self-signed CAs and leaf certificates.
 * Shared by the local control plane (API server PKI), the push channel's mTLS CA and
 * temporary certificates, so there is one way to make a certificate in this codebase.
 */
import { webcrypto, randomBytes } from 'node:crypto';
import * as x509 from '@peculiar/x509';

// Node's WebCrypto backs every key and signature; no native addon or OpenSSL binary is needed.
x509.cryptoProvider.set(webcrypto);

type CryptoKeyPair = webcrypto.CryptoKeyPair;
type CryptoKey = webcrypto.CryptoKey;

const EC_ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

export interface KeyAndCert {
  readonly certPem: string;
  readonly keyPem: string;
  readonly cert: x509.X509Certificate;
  readonly keys: CryptoKeyPair;
}

export interface CertificateRequest {
  readonly commonName: string;
  readonly organizations?: readonly string[];
  readonly dnsNames?: readonly string[];
  readonly ipAddresses?: readonly string[];
  /** URI names, e.g. urn:gateway-worker:gateway:<pod> (docs/telemetry.md, "Identity"). */
  readonly uris?: readonly string[];
  /** server: TLS server auth; client: TLS client auth; both: either. */
  readonly usage: 'server' | 'client' | 'both';
  readonly notBefore: Date;
  readonly notAfter: Date;
}

/** PEM blocks end with a newline so that chains can be made by concatenation. */
function pem(der: ArrayBuffer, label: string): string {
  return x509.PemConverter.encode(der, label).trimEnd() + '\n';
}

export async function generateKeyPair(): Promise<CryptoKeyPair> {
  return webcrypto.subtle.generateKey(EC_ALGORITHM, true, ['sign', 'verify']);
}

export async function privateKeyToPem(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key);
  return pem(der, 'PRIVATE KEY');
}

export async function publicKeyToPem(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('spki', key);
  return pem(der, 'PUBLIC KEY');
}

function subjectName(commonName: string, organizations: readonly string[] = []): string {
  const escape = (v: string): string => v.replace(/([,+"\\<>;=])/g, '\\$1');
  return [`CN=${escape(commonName)}`, ...organizations.map((o) => `O=${escape(o)}`)].join(', ');
}

function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f; // positive INTEGER
  return bytes.toString('hex');
}

export async function createCertificateAuthority(
  commonName: string,
  notBefore: Date,
  notAfter: Date,
): Promise<KeyAndCert> {
  const keys = await generateKeyPair();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: subjectName(commonName),
    notBefore,
    notAfter,
    keys,
    signingAlgorithm: EC_ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return {
    cert,
    keys,
    certPem: pem(cert.rawData, 'CERTIFICATE'),
    keyPem: await privateKeyToPem(keys.privateKey),
  };
}

const EXTENDED_USAGES: Record<CertificateRequest['usage'], x509.ExtendedKeyUsage[]> = {
  server: [x509.ExtendedKeyUsage.serverAuth],
  client: [x509.ExtendedKeyUsage.clientAuth],
  both: [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth],
};

export async function issueCertificate(ca: KeyAndCert, request: CertificateRequest): Promise<KeyAndCert> {
  const keys = await generateKeyPair();
  const names: x509.JsonGeneralName[] = [
    ...(request.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(request.ipAddresses ?? []).map((value) => ({ type: 'ip' as const, value })),
    ...(request.uris ?? []).map((value) => ({ type: 'url' as const, value })),
  ];
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(
      x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
      true,
    ),
    new x509.ExtendedKeyUsageExtension(EXTENDED_USAGES[request.usage]),
    await x509.AuthorityKeyIdentifierExtension.create(ca.cert),
  ];
  if (names.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(names));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: subjectName(request.commonName, request.organizations),
    issuer: ca.cert.subject,
    notBefore: request.notBefore,
    notAfter: request.notAfter,
    publicKey: keys.publicKey,
    signingKey: ca.keys.privateKey,
    signingAlgorithm: EC_ALGORITHM,
    extensions,
  });
  return {
    cert,
    keys,
    certPem: pem(cert.rawData, 'CERTIFICATE'),
    keyPem: await privateKeyToPem(keys.privateKey),
  };
}
