/**
 * Stored reports over the HTTP API: the list of every Report's stored reports (newest first), and
 * one report's file with its own content type. Which Reports exist comes from the operator's
 * informer; the files from the object store.
 */
import { CONTENT_TYPES, type ReportFormat } from '../domain/reports/sections.js';
import { isReportId, type ReportArchive, type StoredReport } from '../reports/report-archive.js';
import { ApiProblem, FileResponse } from './route.js';

export interface ReportSources {
  /** The object store's reports; undefined when no object store is configured. */
  readonly archive: () => ReportArchive | undefined;
  /** The Report resources this replica knows. */
  readonly reports: () => readonly { readonly namespace: string; readonly name: string }[];
}

function archiveOf(sources: ReportSources): ReportArchive {
  const archive = sources.archive();
  if (!archive)
    throw new ApiProblem(
      503,
      'ServiceUnavailable',
      'reports are kept in the object store, and none is configured',
    );
  return archive;
}

export async function listReports(
  sources: ReportSources,
  query: { namespace?: string | undefined; name?: string | undefined },
): Promise<{ items: StoredReport[] }> {
  const archive = archiveOf(sources);
  const items: StoredReport[] = [];
  const reports = sources
    .reports()
    .filter(
      (r) =>
        (query.namespace === undefined || r.namespace === query.namespace) &&
        (query.name === undefined || r.name === query.name),
    )
    .sort((a, b) => (`${a.namespace}/${a.name}` < `${b.namespace}/${b.name}` ? -1 : 1));
  for (const r of reports) items.push(...(await archive.list(r.namespace, r.name)));
  return { items };
}

export async function downloadReport(
  sources: ReportSources,
  params: { namespace: string; name: string; id: string },
  format: ReportFormat | undefined,
): Promise<FileResponse> {
  const archive = archiveOf(sources);
  if (!isReportId(params.id))
    throw new ApiProblem(404, 'NotFound', `${params.id} is not a report id (such as 20260302T070000Z)`);
  const stored = (await archive.list(params.namespace, params.name)).find((r) => r.id === params.id);
  const chosen = format ?? stored?.formats[0];
  if (!stored || chosen === undefined)
    throw new ApiProblem(404, 'NotFound', `no stored report ${params.namespace}/${params.name}/${params.id}`);
  const bytes = await archive.read(params.namespace, params.name, params.id, chosen);
  if (!bytes)
    throw new ApiProblem(
      404,
      'NotFound',
      `report ${params.id} was not stored as ${chosen}; it is stored as ${stored.formats.join(', ')}`,
    );
  return new FileResponse(CONTENT_TYPES[chosen], bytes, `report-${params.name}-${params.id}.${chosen}`);
}
