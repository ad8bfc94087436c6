/**
 * A small CA hierarchy for tests (root → intermediate → leaf), built with the same code paths the
 * product uses, so validation is tested against real signatures.
 */
import * as x509 from '@peculiar/x509';
import {
  createCertificateAuthority,
  generateKeyPair,
  privateKeyToPem,
  type KeyAndCert,
} from '../../pki/x509.js';
import { signLeaf, type LeafRequest } from './sign.js';

const DAY = 86_400_000;
export const T0 = new Date(Date.UTC(2026, 0, 1));

export interface TestPki {
  readonly root: KeyAndCert;
  readonly intermediate: KeyAndCert;
  /** Leaf + intermediate PEM, as an ACME server returns it. */
  issue(request: LeafRequest): Promise<string>;
}

/** A CA certificate signed by another CA. */
export async function intermediateCa(parent: KeyAndCert, commonName: string): Promise<KeyAndCert> {
  const keys = await generateKeyPair();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: '01',
    subject: `CN=${commonName}`,
    issuer: parent.cert.subject,
    notBefore: parent.cert.notBefore,
    notAfter: parent.cert.notAfter,
    publicKey: keys.publicKey,
    signingKey: parent.keys.privateKey,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true),
      await x509.AuthorityKeyIdentifierExtension.create(parent.cert),
    ],
  });
  return {
    cert,
    keys,
    certPem: cert.toString('pem').trimEnd() + '\n',
    keyPem: await privateKeyToPem(keys.privateKey),
  };
}

export async function testPki(name = 'Test'): Promise<TestPki> {
  const root = await createCertificateAuthority(
    `${name} Root`,
    new Date(T0.getTime() - 365 * DAY),
    new Date(T0.getTime() + 3650 * DAY),
  );
  const intermediate = await intermediateCa(root, `${name} Intermediate`);
  return {
    root,
    intermediate,
    issue: async (request) => (await signLeaf(intermediate, request)) + intermediate.certPem,
  };
}
