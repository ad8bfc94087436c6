/**
 * What a backup holds: the managed certificate Secrets and the ACME account Secrets, each reduced
 * to what recreates it (namespace, name, type, labels, annotations, data). Server-set metadata
 * (uid, resourceVersion, ownerReferences, managedFields) is left out: it means nothing in the
 * cluster a backup is restored into, and the controller re-adopts the Secrets.
 */
import { ACME_ACCOUNT_LABEL, CERTIFICATE_NAME_LABEL } from '../api/v1alpha1/labels.js';

export const ARCHIVE_KIND = 'GatewayWorkerBackup';
export const ARCHIVE_VERSION = 1;

export interface BackedUpSecret {
  readonly namespace: string;
  readonly name: string;
  readonly type: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  /** base64, as in Secret.data. */
  readonly data: Readonly<Record<string, string>>;
}

export interface BackupArchive {
  readonly kind: typeof ARCHIVE_KIND;
  readonly version: typeof ARCHIVE_VERSION;
  /** RFC 3339. */
  readonly createdAt: string;
  readonly secrets: readonly BackedUpSecret[];
}

/** The Secret shape read from the API, as far as backups care. */
export interface SecretObject {
  metadata: {
    name?: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  type?: string;
  data?: Record<string, string>;
}

/** kubectl's copy of the whole object: stale after a restore and full of key material. */
const DROPPED_ANNOTATIONS = ['kubectl.kubernetes.io/last-applied-configuration'];

export type SecretKind = 'certificate' | 'acme-account';

/** Which of the two kinds of Secret this is, from its labels; undefined for any other Secret. */
export function secretKind(labels: Readonly<Record<string, string>> | undefined): SecretKind | undefined {
  if (labels?.[ACME_ACCOUNT_LABEL] === 'true') return 'acme-account';
  if (labels?.[CERTIFICATE_NAME_LABEL] !== undefined) return 'certificate';
  return undefined;
}

export function toBackedUp(secret: SecretObject): BackedUpSecret {
  const annotations = { ...secret.metadata.annotations };
  for (const key of DROPPED_ANNOTATIONS) Reflect.deleteProperty(annotations, key);
  return {
    namespace: secret.metadata.namespace ?? '',
    name: secret.metadata.name ?? '',
    type: secret.type ?? 'Opaque',
    labels: { ...secret.metadata.labels },
    annotations,
    data: { ...secret.data },
  };
}

/** The archive, sorted by namespace and name so two backups of the same cluster read the same. */
export function createArchive(secrets: readonly SecretObject[], now: Date): BackupArchive {
  const entries = secrets
    .map(toBackedUp)
    .sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
  return { kind: ARCHIVE_KIND, version: ARCHIVE_VERSION, createdAt: now.toISOString(), secrets: entries };
}

export function serializeArchive(archive: BackupArchive): Buffer {
  return Buffer.from(JSON.stringify(archive), 'utf8');
}

export class ArchiveError extends Error {}

function isStringMap(value: unknown): value is Record<string, string> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((v) => typeof v === 'string')
  );
}

function parseEntry(value: unknown, index: number): BackedUpSecret {
  const fail = (why: string): never => {
    throw new ArchiveError(`backup entry ${index + 1} ${why}`);
  };
  if (typeof value !== 'object' || value === null) return fail('is not an object');
  const entry = value as Record<string, unknown>;
  for (const field of ['namespace', 'name', 'type'] as const) {
    if (typeof entry[field] !== 'string' || entry[field] === '') fail(`has no ${field}`);
  }
  for (const field of ['labels', 'annotations', 'data'] as const) {
    if (!isStringMap(entry[field])) fail(`has a malformed ${field}`);
  }
  return entry as unknown as BackedUpSecret;
}

/** Reads decrypted archive bytes; throws ArchiveError when they are not an archive this version reads. */
export function parseArchive(bytes: Buffer): BackupArchive {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new ArchiveError('the decrypted backup is not JSON');
  }
  if (typeof value !== 'object' || value === null)
    throw new ArchiveError('the decrypted backup is not an object');
  const archive = value as Record<string, unknown>;
  if (archive.kind !== ARCHIVE_KIND)
    throw new ArchiveError('the decrypted content is not a gateway-worker backup');
  if (archive.version !== ARCHIVE_VERSION) {
    throw new ArchiveError(`backup content version ${String(archive.version)} is not supported`);
  }
  if (typeof archive.createdAt !== 'string' || !Array.isArray(archive.secrets)) {
    throw new ArchiveError('the backup has no createdAt or secrets');
  }
  return {
    kind: ARCHIVE_KIND,
    version: ARCHIVE_VERSION,
    createdAt: archive.createdAt,
    secrets: archive.secrets.map(parseEntry),
  };
}
