/**
 * The channel's own PKI: a CA kept in a Secret in the operator's namespace, the server
 * certificate Secret that gateway pods mount for their agents, and the worker's client
 * certificate (in memory only). Leaf certificates are reissued once two thirds of their lifetime
 * has passed, so a new one is always in place well before the old one expires; a process that
 * starts later finds the same CA, and replicas racing to create it agree on one.
 */
import { X509Certificate, createPrivateKey, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import type { Clock } from '../runtime/clock.js';
import type { KubeClient } from '../runtime/kube/client.js';
import { isAlreadyExists, isNotFound } from '../runtime/kube/errors.js';
import { CoreTypes, type KubeObject } from '../runtime/kube/resource.js';
import { createCertificateAuthority, issueCertificate, type KeyAndCert } from '../pki/x509.js';
import { GATEWAY_SERVER_NAME, WORKER_SERVER_NAME, type TlsMaterial } from '../grpc/credentials.js';

export const CA_SECRET = 'gateway-worker-ca';
export const AGENT_TLS_SECRET = 'gateway-worker-agent-tls';

const DAY_MS = 24 * 3600 * 1000;
const CA_VALIDITY_MS = 10 * 365 * DAY_MS;
const LEAF_VALIDITY_MS = 30 * DAY_MS;

interface Secret extends KubeObject {
  type?: string;
  data?: Record<string, string>;
}

const b64 = (text: string): string => Buffer.from(text).toString('base64');
const unb64 = (text: string | undefined): string => Buffer.from(text ?? '', 'base64').toString('utf8');

/** Loads the CA, creating it on first use. */
export async function ensureCa(client: KubeClient, namespace: string, clock: Clock): Promise<KeyAndCert> {
  try {
    return await caFrom(await client.get<Secret>(CoreTypes.secret, namespace, CA_SECRET));
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  const now = clock.now();
  const ca = await createCertificateAuthority(
    'gateway-worker channel CA',
    new Date(now - 60_000),
    new Date(now + CA_VALIDITY_MS),
  );
  try {
    await client.create<Secret>(CoreTypes.secret, {
      metadata: { namespace, name: CA_SECRET, labels: { 'app.kubernetes.io/managed-by': 'gateway-worker' } },
      type: 'kubernetes.io/tls',
      data: { 'tls.crt': b64(ca.certPem), 'tls.key': b64(ca.keyPem) },
    });
    return ca;
  } catch (error) {
    // Another replica created it first: use theirs, so every certificate chains to one CA.
    if (!isAlreadyExists(error)) throw error;
    return caFrom(await client.get<Secret>(CoreTypes.secret, namespace, CA_SECRET));
  }
}

async function caFrom(secret: Secret): Promise<KeyAndCert> {
  const certPem = unb64(secret.data?.['tls.crt']);
  const keyPem = unb64(secret.data?.['tls.key']);
  const cert = new x509.X509Certificate(certPem);
  const der = createPrivateKey(keyPem).export({ format: 'der', type: 'pkcs8' });
  const privateKey = await webcrypto.subtle.importKey(
    'pkcs8',
    der,
    { name: 'ECDSA', namedCurve: 'P-256' },
    true,
    ['sign'],
  );
  const publicKey = await webcrypto.subtle.importKey(
    'spki',
    cert.publicKey.rawData,
    { name: 'ECDSA', namedCurve: 'P-256' },
    true,
    ['verify'],
  );
  return { certPem, keyPem, cert, keys: { privateKey, publicKey } };
}

/** True once two thirds of the certificate's lifetime has passed (or it cannot be read). */
export function dueForRenewal(certPem: string, now: number): boolean {
  try {
    const cert = new X509Certificate(certPem);
    const from = Date.parse(cert.validFrom);
    const to = Date.parse(cert.validTo);
    return now >= from + ((to - from) * 2) / 3;
  } catch {
    return true;
  }
}

function leaf(
  ca: KeyAndCert,
  commonName: string,
  dnsNames: string[],
  usage: 'server' | 'client' | 'both',
  now: number,
): Promise<KeyAndCert> {
  return issueCertificate(ca, {
    commonName,
    dnsNames,
    usage,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + LEAF_VALIDITY_MS),
  });
}

/**
 * Makes sure the agents' server certificate Secret exists, chains to `ca` and is not due for
 * renewal; rewrites it otherwise. Returns whether it wrote.
 */
export async function ensureAgentSecret(
  client: KubeClient,
  namespace: string,
  ca: KeyAndCert,
  clock: Clock,
): Promise<boolean> {
  const now = clock.now();
  let existing: Secret | undefined;
  try {
    existing = await client.get<Secret>(CoreTypes.secret, namespace, AGENT_TLS_SECRET);
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  const current = unb64(existing?.data?.['tls.crt']);
  if (existing && unb64(existing.data?.['ca.crt']) === ca.certPem && !dueForRenewal(current, now))
    return false;
  // Both uses: the agent serves GatewayAgent and, as a client, reports to WorkerService.
  const cert = await leaf(ca, 'gateway-agent', [GATEWAY_SERVER_NAME], 'both', now);
  const secret: Secret = {
    metadata: {
      namespace,
      name: AGENT_TLS_SECRET,
      labels: { 'app.kubernetes.io/managed-by': 'gateway-worker' },
    },
    type: 'kubernetes.io/tls',
    data: { 'tls.crt': b64(cert.certPem), 'tls.key': b64(cert.keyPem), 'ca.crt': b64(ca.certPem) },
  };
  await client.apply(CoreTypes.secret, secret);
  return true;
}

/** The worker's own client certificate for dialling agents (and server certificate for WorkerService). */
export async function workerTls(
  ca: KeyAndCert,
  clock: Clock,
): Promise<{ client: TlsMaterial; server: TlsMaterial }> {
  const now = clock.now();
  const client = await leaf(ca, 'gateway-worker', [], 'client', now);
  const server = await leaf(ca, 'gateway-worker', [WORKER_SERVER_NAME], 'server', now);
  return {
    client: { caPem: ca.certPem, certPem: client.certPem, keyPem: client.keyPem },
    server: { caPem: ca.certPem, certPem: server.certPem, keyPem: server.keyPem },
  };
}
