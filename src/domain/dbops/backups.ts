/**
 * Backups as plain data: their names and keys in the object store, the manifest stored beside
 * each dump, which backups retention removes, and how a restored copy is compared with the
 * original. Pure.
 */
import { compactTime } from './retention.js';

export const BACKUP_PREFIX = 'database-backups';
export const MANIFEST_KIND = 'GatewayWorkerDatabaseBackup';

export type Verification = 'Verified' | 'Failed' | 'Skipped';

/** What `<id>.json` says about a dump: enough to restore it without gateway-worker's own database. */
export interface BackupManifest {
  readonly kind: typeof MANIFEST_KIND;
  readonly version: 1;
  readonly id: string;
  readonly namespace: string;
  /** The DatabaseBackup that made it. */
  readonly name: string;
  readonly database: string;
  readonly serverVersion: string;
  readonly pgDumpVersion: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  /** The dump object's key, size and SHA-256 as stored (after encryption, if any). */
  readonly dumpKey: string;
  readonly sizeBytes: number;
  readonly sha256: string;
  /** pg_dump's custom format, compressed by pg_dump at this level (0 = none). */
  readonly compressionLevel: number;
  readonly encrypted: boolean;
  /** Rows per table in the snapshot pg_dump read (`schema.table` → rows). */
  readonly tableRows: Readonly<Record<string, number>>;
  readonly verification: Verification;
  readonly verificationMessage: string;
}

/** `<name>-<yyyymmddThhmmssZ>-<4 hex>`: sortable per resource, unique, safe as a key segment. */
export function backupId(name: string, at: Date, random: string): string {
  return `${name}-${compactTime(at)}-${random}`;
}

export function backupKeys(namespace: string, name: string, id: string): { dump: string; manifest: string } {
  const base = `${BACKUP_PREFIX}/${namespace}/${name}/${id}`;
  return { dump: `${base}.dump`, manifest: `${base}.json` };
}

const ID = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?-\d{8}T\d{6}Z-[0-9a-f]{4}$/;

export function isBackupId(text: string): boolean {
  return ID.test(text);
}

export function parseManifest(text: string): BackupManifest | undefined {
  try {
    const value = JSON.parse(text) as Partial<BackupManifest>;
    if (
      value.kind === MANIFEST_KIND &&
      value.version === 1 &&
      typeof value.id === 'string' &&
      typeof value.dumpKey === 'string' &&
      typeof value.sha256 === 'string' &&
      typeof value.sizeBytes === 'number' &&
      typeof value.encrypted === 'boolean'
    )
      return value as BackupManifest;
  } catch {
    // not a manifest of ours
  }
  return undefined;
}

export interface StoredBackup {
  readonly id: string;
  readonly finishedAt: Date;
  readonly verification: Verification;
}

export interface KeepPolicy {
  /** The newest this many backups are kept (failed verifications count). */
  readonly count: number;
  /** Older backups are removed, whatever the count. */
  readonly maxAgeMs?: number;
}

/**
 * Backups to delete: beyond the newest `count`, and older than `maxAge`. The newest verified
 * backup is always kept, whatever its age or rank, so retention can never leave nothing to
 * restore.
 */
export function backupsToDelete(
  backups: readonly StoredBackup[],
  keep: KeepPolicy,
  now: Date,
): StoredBackup[] {
  const newestFirst = [...backups].sort((a, b) => b.finishedAt.getTime() - a.finishedAt.getTime());
  const lastGood = newestFirst.find((b) => b.verification === 'Verified');
  return newestFirst.filter((backup, rank) => {
    if (backup === lastGood) return false;
    const tooMany = rank >= keep.count;
    const tooOld = keep.maxAgeMs !== undefined && now.getTime() - backup.finishedAt.getTime() > keep.maxAgeMs;
    return tooMany || tooOld;
  });
}

export interface RowCountMismatch {
  readonly table: string;
  readonly expected: number | undefined;
  readonly restored: number | undefined;
}

/** Tables whose restored row count differs from the snapshot's (a table missing on one side too). */
export function compareRowCounts(
  expected: Readonly<Record<string, number>>,
  restored: Readonly<Record<string, number>>,
): RowCountMismatch[] {
  const tables = [...new Set([...Object.keys(expected), ...Object.keys(restored)])].sort();
  return tables
    .filter((table) => expected[table] !== restored[table])
    .map((table) => ({ table, expected: expected[table], restored: restored[table] }));
}

export function describeMismatches(mismatches: readonly RowCountMismatch[]): string {
  const shown = mismatches
    .slice(0, 5)
    .map((m) => `${m.table}: ${m.expected ?? 'absent'} in the snapshot, ${m.restored ?? 'absent'} restored`);
  const more = mismatches.length > 5 ? ` and ${mismatches.length - 5} more` : '';
  return `${shown.join('; ')}${more}`;
}

/** 1536 → "1.5 KiB". */
export function humanBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(value >= 100 ? 0 : 1)} ${units[unit] ?? ''}`;
}
