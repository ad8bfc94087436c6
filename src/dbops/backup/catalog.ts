/**
 * Where backups are found. The object store is the source of truth — each dump has a manifest
 * beside it (`<id>.json`), so a restore needs nothing but the store, even after gateway-worker's
 * own database is lost. The `dbops_backups` table indexes them for status and retention.
 */
import {
  BACKUP_PREFIX,
  parseManifest,
  type BackupManifest,
  type StoredBackup,
  type Verification,
} from '../../domain/dbops/index.js';
import { identifier, type Queryable } from '../../storage/database.js';
import type { ObjectStore } from '../../storage/object-store.js';

export interface CatalogEntry extends StoredBackup {
  readonly namespace: string;
  readonly name: string;
  readonly job: string | undefined;
  readonly startedAt: Date;
  readonly dumpKey: string;
  readonly sizeBytes: number;
  readonly sha256: string;
  readonly encrypted: boolean;
  readonly durationMs: number;
  readonly verificationMessage: string;
}

interface Row {
  id: string;
  namespace: string;
  name: string;
  job_id: string | null;
  started_at: Date | string;
  finished_at: Date | string;
  dump_key: string;
  size_bytes: string;
  sha256: string;
  encrypted: boolean;
  duration_ms: number;
  verification: Verification;
  verification_message: string;
}

export class BackupCatalog {
  private readonly table: string;

  constructor(
    private readonly db: Queryable,
    schema: string,
  ) {
    this.table = `${identifier(schema)}.dbops_backups`;
  }

  async add(manifest: BackupManifest, job: string | undefined, durationMs: number): Promise<void> {
    await this.db.query(
      `INSERT INTO ${this.table} (id, namespace, name, job_id, started_at, finished_at, dump_key, size_bytes, sha256,
         encrypted, duration_ms, verification, verification_message, manifest)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14::jsonb)
       ON CONFLICT (id) DO NOTHING`,
      [
        manifest.id,
        manifest.namespace,
        manifest.name,
        job ?? null,
        new Date(manifest.startedAt),
        new Date(manifest.finishedAt),
        manifest.dumpKey,
        manifest.sizeBytes,
        manifest.sha256,
        manifest.encrypted,
        Math.round(durationMs),
        manifest.verification,
        manifest.verificationMessage,
        JSON.stringify(manifest),
      ],
    );
  }

  /** The backups of one DatabaseBackup, newest first. */
  async list(namespace: string, name: string): Promise<CatalogEntry[]> {
    const result = await this.db.query<Row>(
      `SELECT id, namespace, name, job_id, started_at, finished_at, dump_key, size_bytes::text, sha256, encrypted,
              duration_ms, verification, verification_message
       FROM ${this.table} WHERE namespace = $1 AND name = $2 ORDER BY finished_at DESC`,
      [namespace, name],
    );
    return result.rows.map((r) => ({
      id: r.id,
      namespace: r.namespace,
      name: r.name,
      job: r.job_id ?? undefined,
      startedAt: new Date(r.started_at),
      finishedAt: new Date(r.finished_at),
      dumpKey: r.dump_key,
      sizeBytes: Number(r.size_bytes),
      sha256: r.sha256,
      encrypted: r.encrypted,
      durationMs: r.duration_ms,
      verification: r.verification,
      verificationMessage: r.verification_message,
    }));
  }

  async remove(id: string): Promise<void> {
    await this.db.query(`DELETE FROM ${this.table} WHERE id = $1`, [id]);
  }
}

export async function readText(store: ObjectStore, key: string): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of await store.get(key)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Every backup manifest in the store, optionally of one namespace or resource, newest first. */
export async function manifestsInStore(
  store: ObjectStore,
  namespace?: string,
  name?: string,
): Promise<BackupManifest[]> {
  const prefix = `${BACKUP_PREFIX}/${namespace === undefined ? '' : `${namespace}/${name === undefined ? '' : `${name}/`}`}`;
  const manifests: BackupManifest[] = [];
  for await (const object of store.list(prefix)) {
    if (!object.key.endsWith('.json')) continue;
    const manifest = parseManifest(await readText(store, object.key));
    if (manifest) manifests.push(manifest);
  }
  return manifests.sort((a, b) => b.finishedAt.localeCompare(a.finishedAt));
}

/** The manifest of backup `id`, looked for in the store alone. */
export async function findManifest(store: ObjectStore, id: string): Promise<BackupManifest | undefined> {
  for await (const object of store.list(`${BACKUP_PREFIX}/`)) {
    if (object.key.endsWith(`/${id}.json`)) return parseManifest(await readText(store, object.key));
  }
  return undefined;
}
