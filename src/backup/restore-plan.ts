/**
 * What restore does with each backed-up Secret, decided on plain data: create it when missing,
 * leave it when the cluster already holds the same, and otherwise never overwrite a newer
 * certificate or an existing account key unless forced. A backup's real certificate does
 * replace a temporary one, which is what a temporary certificate is for.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { CertificateAnnotations } from '../api/v1alpha1/labels.js';
import { secretKind, type BackedUpSecret } from './archive.js';

export type RestoreAction = 'create' | 'unchanged' | 'overwrite' | 'keep';

export interface RestoreDecision {
  readonly action: RestoreAction;
  /** Why, for the printed report; names and dates only, never key material. */
  readonly reason: string;
}

/** Whether the cluster's Secret already holds everything the backup would write. */
export function sameContent(backup: BackedUpSecret, existing: BackedUpSecret): boolean {
  const includes = (have: Readonly<Record<string, string>>, want: Readonly<Record<string, string>>) =>
    Object.entries(want).every(([key, value]) => have[key] === value);
  const dataKeys = new Set([...Object.keys(backup.data), ...Object.keys(existing.data)]);
  return (
    backup.type === existing.type &&
    [...dataKeys].every((key) => backup.data[key] === existing.data[key]) &&
    includes(existing.labels, backup.labels) &&
    includes(existing.annotations, backup.annotations)
  );
}

interface CertificateFacts {
  readonly notAfter: Date | undefined;
  readonly temporary: boolean;
}

/** notAfter from the annotation, else from tls.crt itself; temporary from the annotation. */
function certificateFacts(secret: BackedUpSecret): CertificateFacts {
  const temporary = secret.annotations[CertificateAnnotations.temporary] === 'true';
  const annotated = Date.parse(secret.annotations[CertificateAnnotations.notAfter] ?? '');
  if (!Number.isNaN(annotated)) return { notAfter: new Date(annotated), temporary };
  const crt = secret.data['tls.crt'];
  try {
    return {
      notAfter: crt ? new Date(new X509Certificate(Buffer.from(crt, 'base64')).validTo) : undefined,
      temporary,
    };
  } catch {
    return { notAfter: undefined, temporary };
  }
}

/** Whether tls.key parses, so an unreadable cluster copy is not kept over a good backup. */
function keyReadable(secret: BackedUpSecret): boolean {
  const key = secret.data['tls.key'];
  if (!key) return false;
  try {
    createPrivateKey(Buffer.from(key, 'base64'));
    return true;
  } catch {
    return false;
  }
}

function decideCertificate(backup: BackedUpSecret, existing: BackedUpSecret, now: Date): RestoreDecision {
  const mine = certificateFacts(backup);
  const theirs = certificateFacts(existing);
  const date = (d: Date | undefined) => d?.toISOString() ?? 'unknown';
  if (theirs.notAfter === undefined || !keyReadable(existing)) {
    return { action: 'overwrite', reason: "the cluster's copy holds no readable certificate" };
  }
  const backupUsable = mine.notAfter !== undefined && mine.notAfter.getTime() > now.getTime();
  if (theirs.temporary && !mine.temporary && backupUsable) {
    return { action: 'overwrite', reason: 'replaces a temporary certificate' };
  }
  if (mine.temporary && !theirs.temporary) {
    return { action: 'keep', reason: "the cluster's certificate is real, the backup's temporary" };
  }
  if (mine.notAfter !== undefined && mine.notAfter.getTime() > theirs.notAfter.getTime()) {
    return {
      action: 'overwrite',
      reason: `the backup's certificate is newer (expires ${date(mine.notAfter)})`,
    };
  }
  return {
    action: 'keep',
    reason: `the cluster's certificate is as new or newer (expires ${date(theirs.notAfter)}, the backup's ${date(mine.notAfter)}); --force replaces it`,
  };
}

/**
 * The action for one backed-up Secret, given the cluster's Secret of the same namespace and name
 * (read into the same shape), or undefined when there is none.
 */
export function restoreDecision(
  backup: BackedUpSecret,
  existing: BackedUpSecret | undefined,
  options: { force: boolean; now: Date },
): RestoreDecision {
  if (!existing) return { action: 'create', reason: 'missing from the cluster' };
  if (sameContent(backup, existing)) return { action: 'unchanged', reason: 'the cluster holds the same' };
  if (options.force) return { action: 'overwrite', reason: '--force' };
  if (secretKind(existing.labels) === undefined) {
    return {
      action: 'keep',
      reason: 'a Secret of that name exists and is not managed by gateway-worker; --force replaces it',
    };
  }
  if (secretKind(backup.labels) === 'acme-account') {
    return {
      action: 'keep',
      reason:
        'the cluster already holds a different ACME account key; --force replaces it (that account would be lost)',
    };
  }
  return decideCertificate(backup, existing, options.now);
}

/**
 * The Secret to write for an overwrite: the backup's type and data, the cluster's labels and
 * annotations with the backup's laid over them (others' annotations survive a restore).
 */
export function mergedForOverwrite(backup: BackedUpSecret, existing: BackedUpSecret): BackedUpSecret {
  return {
    ...backup,
    labels: { ...existing.labels, ...backup.labels },
    annotations: { ...existing.annotations, ...backup.annotations },
  };
}
