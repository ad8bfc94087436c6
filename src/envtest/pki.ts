/** The certificates and keys a local kube-apiserver needs, written as files into one folder. */
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  createCertificateAuthority,
  generateKeyPair,
  issueCertificate,
  privateKeyToPem,
  publicKeyToPem,
  type KeyAndCert,
} from '../pki/x509.js';

export interface ControlPlanePki {
  readonly ca: KeyAndCert;
  readonly files: {
    readonly caCert: string;
    readonly servingCert: string;
    readonly servingKey: string;
    readonly serviceAccountKey: string;
    readonly serviceAccountPublicKey: string;
  };
}

const YEAR_MS = 365 * 24 * 3600 * 1000;

export async function createControlPlanePki(dir: string, now = new Date()): Promise<ControlPlanePki> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const notBefore = new Date(now.getTime() - 60_000);
  const notAfter = new Date(now.getTime() + YEAR_MS);
  const ca = await createCertificateAuthority('gateway-worker-envtest-ca', notBefore, notAfter);
  const serving = await issueCertificate(ca, {
    commonName: 'kube-apiserver',
    dnsNames: ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc'],
    ipAddresses: ['127.0.0.1', '10.0.0.1'],
    usage: 'server',
    notBefore,
    notAfter,
  });
  const saKeys = await generateKeyPair();
  const files = {
    caCert: join(dir, 'ca.crt'),
    servingCert: join(dir, 'apiserver.crt'),
    servingKey: join(dir, 'apiserver.key'),
    serviceAccountKey: join(dir, 'sa.key'),
    serviceAccountPublicKey: join(dir, 'sa.pub'),
  };
  const write = (path: string, content: string): void => writeFileSync(path, content, { mode: 0o600 });
  write(files.caCert, ca.certPem);
  write(files.servingCert, serving.certPem + ca.certPem);
  write(files.servingKey, serving.keyPem);
  write(files.serviceAccountKey, await privateKeyToPem(saKeys.privateKey));
  write(files.serviceAccountPublicKey, await publicKeyToPem(saKeys.publicKey));
  return { ca, files };
}

/** A client certificate for `user` in `groups`, signed by the API server's client CA. */
export async function clientCertificate(
  pki: ControlPlanePki,
  user: string,
  groups: readonly string[],
  now = new Date(),
): Promise<KeyAndCert> {
  return issueCertificate(pki.ca, {
    commonName: user,
    organizations: groups,
    usage: 'client',
    notBefore: new Date(now.getTime() - 60_000),
    notAfter: new Date(now.getTime() + YEAR_MS),
  });
}
