/**
 * Stored reports in the object store: `reports/<namespace>/<name>/<id>/report.<format>`, one
 * folder per generated report, its id the UTC time it was generated (so key order is age order).
 * Keeping the last N deletes whole folders, oldest first.
 */
import { REPORT_FORMATS, type ReportFormat } from '../domain/reports/sections.js';
import type { ObjectStore } from '../storage/object-store.js';
import type { RenderedReport } from './render.js';

const ID = /^[0-9]{8}T[0-9]{6}Z$/;

export interface StoredReport {
  readonly id: string;
  readonly namespace: string;
  readonly name: string;
  readonly generatedAt: string;
  readonly sizeBytes: number;
  readonly formats: readonly ReportFormat[];
}

/** `20260302T070000Z`: sortable, and a valid object key segment. */
export function reportId(generatedAtMs: number): string {
  return new Date(generatedAtMs)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
}

export function isReportId(id: string): boolean {
  return ID.test(id);
}

function prefixOf(namespace: string, name: string): string {
  return `reports/${namespace}/${name}/`;
}

export function reportKey(namespace: string, name: string, id: string, format: ReportFormat): string {
  return `${prefixOf(namespace, name)}${id}/report.${format}`;
}

function idToIso(id: string): string {
  return `${id.slice(0, 4)}-${id.slice(4, 6)}-${id.slice(6, 8)}T${id.slice(9, 11)}:${id.slice(11, 13)}:${id.slice(13, 15)}Z`;
}

export class ReportArchive {
  constructor(private readonly store: ObjectStore) {}

  async put(
    namespace: string,
    name: string,
    id: string,
    files: readonly RenderedReport[],
  ): Promise<StoredReport> {
    let sizeBytes = 0;
    for (const file of files) {
      const body = Buffer.from(file.body, 'utf8');
      await this.store.put(reportKey(namespace, name, id, file.format), body, {
        contentType: file.contentType,
      });
      sizeBytes += body.length;
    }
    return { id, namespace, name, generatedAt: idToIso(id), sizeBytes, formats: files.map((f) => f.format) };
  }

  /** A Report's stored reports, newest first. */
  async list(namespace: string, name: string): Promise<StoredReport[]> {
    const prefix = prefixOf(namespace, name);
    const byId = new Map<string, { size: number; formats: ReportFormat[] }>();
    for await (const info of this.store.list(prefix)) {
      const [id = '', file = ''] = info.key.slice(prefix.length).split('/');
      const format = REPORT_FORMATS.find((f) => file === `report.${f}`);
      if (!isReportId(id) || !format) continue;
      const entry = byId.get(id) ?? { size: 0, formats: [] };
      entry.size += info.size;
      entry.formats.push(format);
      byId.set(id, entry);
    }
    return [...byId.entries()]
      .sort(([a], [b]) => (a < b ? 1 : a > b ? -1 : 0))
      .map(([id, e]) => ({
        id,
        namespace,
        name,
        generatedAt: idToIso(id),
        sizeBytes: e.size,
        formats: REPORT_FORMATS.filter((f) => e.formats.includes(f)),
      }));
  }

  /** Deletes all but the newest `keep`; returns the ids deleted. */
  async prune(namespace: string, name: string, keep: number): Promise<string[]> {
    const old = (await this.list(namespace, name)).slice(keep);
    for (const report of old)
      for (const format of report.formats)
        await this.store.delete(reportKey(namespace, name, report.id, format));
    return old.map((r) => r.id);
  }

  /** The file's bytes, or undefined when that report or format is not stored. */
  async read(namespace: string, name: string, id: string, format: ReportFormat): Promise<Buffer | undefined> {
    const key = reportKey(namespace, name, id, format);
    if (!(await this.store.stat(key))) return undefined;
    const chunks: Buffer[] = [];
    for await (const chunk of await this.store.get(key)) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }
}
