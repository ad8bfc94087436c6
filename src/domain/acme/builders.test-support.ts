/**
 * Builders for the policy tests, in cert-manager's style: `certificate('c1', withDnsNames('a.example'))`
 * gives a Certificate with the schema's defaults applied; `await storedFor(cert, ...)` gives the
 * Secret the operator would have written for it, with a real certificate inside.
 */
import type { Certificate, CertificateStatus } from '../../api/v1alpha1/certificate.js';
import { API_VERSION } from '../../api/v1alpha1/schema/kind.js';
import { generatePrivateKey } from '../certs/keys.js';
import { T0, testPki, type TestPki } from '../certs/pki.test-support.js';
import { certificateSecretContent, storedSecret, type StoredSecret } from '../certs/secret.js';
import { issueTemporaryCertificate } from '../certs/temporary.js';

type Modifier<T> = (obj: T) => void;
export const DAY = 86_400_000;
export const HOUR = 3_600_000;
export const PEBBLE = 'https://pebble.test:14000/dir';

export function certificate(name: string, ...modifiers: Modifier<Certificate>[]): Certificate {
  const cert: Certificate = {
    apiVersion: API_VERSION,
    kind: 'Certificate',
    metadata: { name, namespace: 'default', generation: 1 },
    spec: {
      secretName: `${name}-tls`,
      dnsNames: ['a.example'],
      acme: { server: PEBBLE, solver: { http01: {} } },
      privateKey: { algorithm: 'ECDSA', rotationPolicy: 'Always' },
      renewBefore: '720h',
      temporaryCertificate: { enabled: true, after: '1m', validity: '168h' },
    },
    status: {},
  };
  for (const modify of modifiers) modify(cert);
  return cert;
}

export const withDnsNames =
  (...names: string[]): Modifier<Certificate> =>
  (c) => {
    c.spec.dnsNames = names;
  };

export const withServer =
  (server: string): Modifier<Certificate> =>
  (c) => {
    c.spec.acme.server = server;
  };

export const withRenewBefore =
  (renewBefore: string): Modifier<Certificate> =>
  (c) => {
    c.spec.renewBefore = renewBefore;
  };

export const withPrivateKey =
  (privateKey: Partial<Certificate['spec']['privateKey']>): Modifier<Certificate> =>
  (c) => {
    c.spec.privateKey = { ...c.spec.privateKey, ...privateKey };
  };

export const withTemporary =
  (temporary: Partial<Certificate['spec']['temporaryCertificate']>): Modifier<Certificate> =>
  (c) => {
    c.spec.temporaryCertificate = { ...c.spec.temporaryCertificate, ...temporary };
  };

export const withStatus =
  (status: CertificateStatus): Modifier<Certificate> =>
  (c) => {
    c.status = { ...c.status, ...status };
  };

let pki: Promise<TestPki> | undefined;
/** One CA for the whole run: making CAs is the slow part. */
export function sharedPki(): Promise<TestPki> {
  pki ??= testPki('Policy');
  return pki;
}

let ecKey: Promise<string> | undefined;
/** One ECDSA P-256 key reused by fixtures that do not care which key they hold. */
export function sharedKey(): Promise<string> {
  ecKey ??= generatePrivateKey({ algorithm: 'ECDSA', size: 256 });
  return ecKey;
}

export interface StoredOptions {
  notBefore?: Date;
  lifetimeMs?: number;
  dnsNames?: string[];
  keyPem?: string;
  temporary?: boolean;
  revision?: number;
}

/** The Secret the operator would have stored for `cert`; a 90-day certificate from T0 by default. */
export async function storedFor(cert: Certificate, options: StoredOptions = {}): Promise<StoredSecret> {
  const keyPem = options.keyPem ?? (await sharedKey());
  const dnsNames = options.dnsNames ?? cert.spec.dnsNames;
  const notBefore = options.notBefore ?? T0;
  const lifetimeMs = options.lifetimeMs ?? 90 * DAY;
  let chainPem: string;
  if (options.temporary) {
    chainPem = (await issueTemporaryCertificate({ dnsNames, keyPem, validityMs: lifetimeMs, now: notBefore }))
      .chainPem;
  } else {
    const notAfter = new Date(notBefore.getTime() + lifetimeMs);
    chainPem = await (await sharedPki()).issue({ keyPem, dnsNames, notBefore, notAfter });
  }
  const content = certificateSecretContent({
    certificateName: cert.metadata.name ?? '',
    dnsNames,
    issuer: cert.spec.acme.server,
    chainPem,
    keyPem,
    revision: options.revision ?? 1,
    temporary: options.temporary ?? false,
  });
  return storedSecret({ data: content.data, metadata: { annotations: content.annotations } });
}

/** A copy of a stored Secret with some entries and annotations replaced (undefined removes). */
export function edited(
  secret: StoredSecret,
  changes: { data?: Record<string, string | undefined>; annotations?: Record<string, string | undefined> },
): StoredSecret {
  const apply = (base: Readonly<Record<string, string>>, patch: Record<string, string | undefined> = {}) => {
    const out: Record<string, string> = { ...base };
    for (const [key, value] of Object.entries(patch)) {
      if (value === undefined) Reflect.deleteProperty(out, key);
      else out[key] = value;
    }
    return out;
  };
  return {
    data: apply(secret.data, changes.data),
    annotations: apply(secret.annotations, changes.annotations),
  };
}

/** The kubernetes.io/tls Secret object (base64 data) the operator would have stored for `cert`. */
export async function tlsSecretFor(
  cert: Certificate,
  options: StoredOptions = {},
): Promise<{
  metadata: {
    namespace: string;
    name: string;
    labels: Record<string, string>;
    annotations: Record<string, string>;
  };
  type: string;
  data: Record<string, string>;
}> {
  const stored = await storedFor(cert, options);
  const content = certificateSecretContent({
    certificateName: cert.metadata.name ?? '',
    dnsNames: options.dnsNames ?? cert.spec.dnsNames,
    issuer: cert.spec.acme.server,
    chainPem: stored.data['tls.crt'] ?? '',
    keyPem: stored.data['tls.key'] ?? '',
    revision: options.revision ?? 1,
    temporary: options.temporary ?? false,
  });
  return {
    metadata: {
      namespace: cert.metadata.namespace ?? 'default',
      name: cert.spec.secretName,
      labels: content.labels,
      annotations: content.annotations,
    },
    type: content.type,
    data: content.data,
  };
}
