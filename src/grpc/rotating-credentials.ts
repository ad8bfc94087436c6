/**
 * Server credentials whose certificate, key and CA can be replaced while the server runs.
 *
 * grpc-js fixes a server's credentials at bind time, and binding again means a new listener.
 * Its supported way to change them is a certificate provider (`experimental.
 * createCertificateProviderServerCredentials`): the server subscribes to the provider and, on
 * every update, calls Node's `Http2SecureServer.setSecureContext`, which only affects handshakes
 * that start afterwards. Connections already open, and every stream on them, keep the context
 * they were accepted with, so a rotation drops nothing.
 */
import { createSecureContext } from 'node:tls';
import { experimental, type ServerCredentials } from '@grpc/grpc-js';
import type { TlsMaterial } from './credentials.js';

type CaListener = experimental.CaCertificateUpdateListener;
type IdentityListener = experimental.IdentityCertificateUpdateListener;

/**
 * Throws on material OpenSSL would refuse (bad PEM, a key that does not match the certificate).
 * grpc-js, given such material, logs and then drops every new connection until the next update,
 * so it must never get there: a bad Secret leaves the last good certificate in service.
 */
export function checkMaterial(material: TlsMaterial): void {
  try {
    createSecureContext({ ca: material.caPem, cert: material.certPem, key: material.keyPem });
  } catch (err) {
    throw new Error(`unusable TLS material: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
    });
  }
}

/** A certificate provider fed from memory (Secrets) rather than grpc-js's file watcher. */
export class TlsMaterialProvider implements experimental.CertificateProvider {
  private readonly caListeners = new Set<CaListener>();
  private readonly identityListeners = new Set<IdentityListener>();
  private ca: experimental.CaCertificateUpdate;
  private identity: experimental.IdentityCertificateUpdate;

  constructor(material: TlsMaterial) {
    checkMaterial(material);
    this.ca = { caCertificate: Buffer.from(material.caPem) };
    this.identity = { certificate: Buffer.from(material.certPem), privateKey: Buffer.from(material.keyPem) };
  }

  /**
   * Takes effect for every later handshake. The CA is published first so that, during a CA
   * rotation, the server already trusts clients of the new CA when it starts presenting its new
   * certificate; both updates run in one tick, so no handshake sees the state in between.
   */
  update(material: TlsMaterial): void {
    checkMaterial(material);
    this.ca = { caCertificate: Buffer.from(material.caPem) };
    this.identity = { certificate: Buffer.from(material.certPem), privateKey: Buffer.from(material.keyPem) };
    for (const listener of this.caListeners) listener(this.ca);
    for (const listener of this.identityListeners) listener(this.identity);
  }

  // grpc-js builds its listener before it subscribes and ignores updates delivered during the
  // subscription call itself, so the current value is delivered on the next tick, as its own
  // FileWatcherCertificateProvider does.
  addCaCertificateListener(listener: CaListener): void {
    this.caListeners.add(listener);
    process.nextTick(() => {
      if (this.caListeners.has(listener)) listener(this.ca);
    });
  }

  removeCaCertificateListener(listener: CaListener): void {
    this.caListeners.delete(listener);
  }

  addIdentityCertificateListener(listener: IdentityListener): void {
    this.identityListeners.add(listener);
    process.nextTick(() => {
      if (this.identityListeners.has(listener)) listener(this.identity);
    });
  }

  removeIdentityCertificateListener(listener: IdentityListener): void {
    this.identityListeners.delete(listener);
  }
}

export interface RotatingServerCredentials {
  /** Pass to `server.bindAsync`; mutual TLS, a client certificate from the CA is required. */
  readonly credentials: ServerCredentials;
  /** New handshakes use `material`; open connections and their streams are left alone. */
  update(material: TlsMaterial): void;
}

export function rotatingServerCredentials(material: TlsMaterial): RotatingServerCredentials {
  const provider = new TlsMaterialProvider(material);
  // grpc-js 1.14 names the parameters (ca, identity) but passes them to a constructor that takes
  // (identity, ca). One provider that serves both roles makes the order irrelevant, and a
  // non-null CA provider is what turns on requestCert.
  const credentials = experimental.createCertificateProviderServerCredentials(provider, provider, true);
  return { credentials, update: (next) => provider.update(next) };
}
