/**
 * ApplyCertificate's checks and storage: a chain that parses as X.509 in leaf-first order, a
 * private key that belongs to the leaf, a name that is a safe file stem; then `certs/<name>.key`
 * (0600) and `certs/<name>.crt`, each replaced atomically. Key material never reaches a log line
 * or an error message.
 */
import { X509Certificate, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Certificate } from '../generated/gateway/worker/v1/resources.js';
import type { Logger } from '../runtime/logger.js';
import { writeFileAtomic } from './atomic-file.js';
import { Serial } from './serial.js';

/** Leading letter or digit: names starting with '.' would collide with our temporary files. */
const SAFE_NAME = /^[a-z0-9][a-z0-9._-]{0,199}$/;
const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** A certificate the agent refuses; the message is safe to return to the caller and to log. */
export class CertificateRejected extends Error {
  override readonly name = 'CertificateRejected';
}

export interface CheckedCertificate {
  readonly leaf: X509Certificate;
  readonly chainLength: number;
}

export function checkCertificate(cert: Certificate): CheckedCertificate {
  if (!SAFE_NAME.test(cert.name)) {
    throw new CertificateRejected(
      `certificate name "${cert.name}" is not a safe file name: use 1 to 200 of a-z, 0-9, '.', '_', '-', ` +
        'starting with a letter or digit',
    );
  }
  if (cert.version === '') throw new CertificateRejected(`certificate ${cert.name}: version is empty`);
  const chain = parseChain(cert.name, cert.certificateChainPem);
  const leaf = chain[0] as X509Certificate;
  const key = parsePrivateKey(cert.name, cert.privateKeyPem);
  const spki = (k: KeyObject): Buffer => k.export({ type: 'spki', format: 'der' });
  if (!spki(createPublicKey(key)).equals(spki(leaf.publicKey))) {
    throw new CertificateRejected(
      `certificate ${cert.name}: the private key does not match the leaf certificate's public key`,
    );
  }
  return { leaf, chainLength: chain.length };
}

function parseChain(name: string, pem: string): X509Certificate[] {
  const blocks = pem.match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) {
    throw new CertificateRejected(`certificate ${name}: the chain holds no PEM CERTIFICATE block`);
  }
  const chain = blocks.map((block, index) => {
    try {
      return new X509Certificate(block);
    } catch (error) {
      throw new CertificateRejected(
        `certificate ${name}: certificate ${index + 1} of the chain does not parse as X.509: ${(error as Error).message}`,
      );
    }
  });
  // A chain out of order fails in TLS clients long after it was accepted here; catch it now.
  for (let i = 0; i + 1 < chain.length; i += 1) {
    if (!(chain[i] as X509Certificate).checkIssued(chain[i + 1] as X509Certificate)) {
      throw new CertificateRejected(
        `certificate ${name}: certificate ${i + 2} of the chain did not issue certificate ${i + 1}; ` +
          'the chain must be the leaf first, then each issuer',
      );
    }
  }
  return chain;
}

function parsePrivateKey(name: string, pem: string): KeyObject {
  try {
    return createPrivateKey(pem);
  } catch {
    // OpenSSL's message is dropped on purpose: nothing derived from the key goes back on the wire.
    throw new CertificateRejected(
      `certificate ${name}: the private key does not parse (unencrypted PEM: PKCS#8, SEC1 or PKCS#1)`,
    );
  }
}

/** Writes certificates under one folder and remembers which version of each it serves. */
export class CertificateStore {
  private readonly versions = new Map<string, string>();
  private readonly serial = new Serial();

  constructor(
    private readonly dir: string,
    private readonly logger: Logger,
  ) {}

  applied(): ReadonlyMap<string, string> {
    return this.versions;
  }

  /** Resolves with whether files changed; rejects with CertificateRejected when invalid. */
  async apply(cert: Certificate): Promise<boolean> {
    const checked = checkCertificate(cert);
    return this.serial.run(async () => {
      if (this.versions.get(cert.name) === cert.version) return false;
      const crtPath = join(this.dir, `${cert.name}.crt`);
      const keyPath = join(this.dir, `${cert.name}.key`);
      const chain = normalise(cert.certificateChainPem);
      const key = normalise(cert.privateKeyPem);
      // After a restart the versions are forgotten; identical files on disk still mean "nothing to do".
      const unchanged = (await readOrEmpty(crtPath)) === chain && (await readOrEmpty(keyPath)) === key;
      if (!unchanged) {
        // Key first: the gateway reloads on a .crt change, and must then find the matching key.
        await writeFileAtomic(keyPath, key, 0o600);
        await writeFileAtomic(crtPath, chain, 0o644);
      }
      this.versions.set(cert.name, cert.version);
      this.logger.info(unchanged ? 'certificate already on disk' : 'certificate applied', {
        certificate: cert.name,
        version: cert.version,
        notAfter: checked.leaf.validTo,
        chainLength: checked.chainLength,
        temporary: cert.temporary,
      });
      return !unchanged;
    });
  }
}

function normalise(pem: string): string {
  return pem.endsWith('\n') ? pem : `${pem}\n`;
}

async function readOrEmpty(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return '';
  }
}
