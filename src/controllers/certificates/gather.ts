/**
 * The facts a Certificate reconcile decides on, read from the informer caches, the attempts
 * this process runs and the pusher. One read goes to the API server, and only when the caches
 * disagree with status: when status.revision is newer than the cached Secret's, the Secret
 * is read live to tell a cache that is behind our own write from a Secret deleted by hand.
 */
import { statusOf, type Certificate } from '../../api/v1alpha1/index.js';
import { CertificateAnnotations } from '../../api/v1alpha1/labels.js';
import {
  describeCertificate,
  storedSecret,
  type CertificateDescription,
  type StoredSecret,
} from '../../domain/certs/index.js';
import { inspectStored } from '../../domain/acme/stored.js';
import type { KubeClient } from '../../runtime/kube/client.js';
import type { KubeObject } from '../../runtime/kube/resource.js';
import type { Publisher } from '../publisher.js';
import { readSecretIfExists, type Secret } from './next-key.js';
import type { CertificateFacts, RunningAttempt } from './plan.js';

/** The part of an informer a reconcile reads: its cache. */
export interface CacheReader<T extends KubeObject> {
  readonly store: { get(key: string): T | undefined };
}

export interface GatherInput {
  readonly key: string;
  readonly now: Date;
  readonly certificates: CacheReader<Certificate>;
  readonly secrets: CacheReader<Secret>;
  readonly client: Pick<KubeClient, 'get'>;
  readonly attempt: RunningAttempt | undefined;
  readonly publisher: Publisher;
  readonly owner: string;
  readonly publishedVersion: string | undefined;
  readonly signal?: AbortSignal;
}

// Parsing a Secret costs milliseconds: once per cached Secret object (a new object per change).
const snapshots = new WeakMap<Secret, StoredSecret>();
const descriptions = new WeakMap<StoredSecret, CertificateDescription | undefined>();

function stored(secret: Secret | undefined): StoredSecret | undefined {
  if (!secret) return undefined;
  let content = snapshots.get(secret);
  if (!content) {
    content = storedSecret(secret);
    snapshots.set(secret, content);
  }
  return content;
}

/** The certificate in the Secret, from the policies' own parse of it (one parse per Secret version). */
function describe(content: StoredSecret | undefined): CertificateDescription | undefined {
  const inspected = inspectStored(content);
  if (inspected.kind === 'parsed') return inspected.description;
  // A chain without its key still says what is stored.
  const chain = content?.data['tls.crt'];
  if (inspected.kind !== 'missing-data' || !content || !chain?.trim()) return undefined;
  if (descriptions.has(content)) return descriptions.get(content);
  let description: CertificateDescription | undefined;
  try {
    description = describeCertificate(chain);
  } catch {
    description = undefined;
  }
  descriptions.set(content, description);
  return description;
}

function revisionOf(secret: Secret | undefined): number | undefined {
  const text = secret?.metadata.annotations?.[CertificateAnnotations.revision];
  const revision = text === undefined ? Number.NaN : Number(text);
  return Number.isInteger(revision) ? revision : undefined;
}

export async function gatherCertificate(input: GatherInput): Promise<CertificateFacts> {
  const { now, attempt } = input;
  const found = input.certificates.store.get(input.key);
  const cert = found && !found.metadata.deletionTimestamp ? found : undefined;
  const push = input.publisher.status(input.owner);
  if (!cert) {
    return {
      now,
      cert,
      stored: undefined,
      description: undefined,
      secretRevision: undefined,
      secretCacheBehind: false,
      attempt,
      push,
      publishedVersion: input.publishedVersion,
    };
  }
  const namespace = cert.metadata.namespace ?? '';
  const secret = input.secrets.store.get(`${namespace}/${cert.spec.secretName}`);
  const secretRevision = revisionOf(secret);
  let secretCacheBehind = false;
  if ((statusOf(cert)?.revision ?? 0) > (secretRevision ?? 0)) {
    const live = await readSecretIfExists(input.client, namespace, cert.spec.secretName, input.signal);
    secretCacheBehind = live?.metadata.resourceVersion !== secret?.metadata.resourceVersion;
  }
  const content = stored(secret);
  return {
    now,
    cert,
    stored: content,
    description: describe(content),
    secretRevision,
    secretCacheBehind,
    attempt,
    push,
    publishedVersion: input.publishedVersion,
  };
}
