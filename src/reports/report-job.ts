/**
 * `reports.generate`: one scheduled report of a Report resource (target `Report/<ns>/<name>`).
 * Reads the Report (gone: nothing to do), gathers and renders it, stores its files in the object
 * store and keeps the last `spec.keep`, queues it to the delivery channels (an e-mail carries the
 * HTML page as an attachment; webhooks and chats get a link to the HTTP API), and writes the
 * outcome in the Report's status. The job queue retries a failed run with back-off.
 */
import type { CertificateItem } from '../domain/reports/report-data.js';
import { normaliseSections } from '../domain/reports/report-model.js';
import type { Report, ReportStatus, StoredReportEntry } from '../api/v1alpha1/index.js';
import { statusOf } from '../api/v1alpha1/index.js';
import { humanBytes } from '../domain/dbops/index.js';
import type { NotificationOutbox } from '../notify/outbox.js';
import type { Clock } from '../runtime/clock.js';
import { setCondition } from '../runtime/status/conditions.js';
import type { Database } from '../storage/database.js';
import { PermanentJobError, type JobContext, type JobKind } from '../storage/jobs/job-kind.js';
import type { ObjectStore } from '../storage/object-store.js';
import { generateReport } from './generate.js';
import { ReportArchive, reportId, type StoredReport } from './report-archive.js';

export const REPORT_JOB_KIND = 'reports.generate';

export interface ReportJobDeps {
  readonly store: { readonly database: Database | undefined; readonly status: string };
  readonly schema: string;
  readonly objectStore: () => ObjectStore | undefined;
  readonly outbox: () => NotificationOutbox | undefined;
  /** The Report as the API has it now; undefined when it is gone. */
  readonly getReport: (namespace: string, name: string) => Promise<Report | undefined>;
  readonly writeStatus: (report: Report, status: ReportStatus) => Promise<void>;
  readonly certificates?: () => Promise<CertificateItem[]>;
  /** REPORT_LINK_BASE_URL: links in delivered reports start with it; without it, they are paths. */
  readonly linkBaseUrl?: string;
  readonly clock: Clock;
}

/** `Report/ns/name` ↔ its parts. */
export function reportTarget(namespace: string, name: string): string {
  return `Report/${namespace}/${name}`;
}

export function parseReportTarget(target: string): { namespace: string; name: string } | undefined {
  const [kind, namespace = '', name = '', ...rest] = target.split('/');
  if (kind !== 'Report' || namespace === '' || name === '' || rest.length > 0) return undefined;
  return { namespace, name };
}

export function reportLink(base: string | undefined, stored: StoredReport, format = 'html'): string {
  const path = `/api/v1/reports/${stored.namespace}/${stored.name}/${stored.id}?format=${format}`;
  return base === undefined ? path : `${base.replace(/\/+$/, '')}${path}`;
}

export function reportJobKind(deps: ReportJobDeps): JobKind {
  return {
    name: REPORT_JOB_KIND,
    description: "generates a Report's scheduled report, stores it and delivers it",
    timeoutMs: 15 * 60_000,
    retry: { maxAttempts: 3, backoffInitialMs: 60_000, backoffMaxMs: 15 * 60_000 },
    handler: (job) => runReportJob(deps, job),
  };
}

export async function runReportJob(deps: ReportJobDeps, job: JobContext): Promise<void> {
  const ref = parseReportTarget(job.target);
  if (!ref) throw new PermanentJobError(`target ${job.target} is not Report/<namespace>/<name>`);
  const report = await deps.getReport(ref.namespace, ref.name);
  if (!report) {
    job.logger.info('the Report is gone; nothing to generate', { target: job.target });
    return;
  }
  const fail = async (reason: string, message: string, permanent: boolean): Promise<never> => {
    await deps.writeStatus(report, statusWith(report, deps, { reason, message, ready: false }));
    throw permanent ? new PermanentJobError(message) : new Error(message);
  };
  const db = deps.store.database;
  if (!db) return fail('StoreUnavailable', `the database is not available: ${deps.store.status}`, false);
  const objectStore = deps.objectStore();
  if (!objectStore)
    return fail(
      'ObjectStoreMissing',
      'reports are stored in the object store, and none is configured: set OBJECT_STORE_URL',
      false,
    );
  const nowMs = deps.clock.now();
  const { spec } = report;
  let stored: StoredReport;
  try {
    const generated = await generateReport({
      db,
      schema: deps.schema,
      window: spec.window,
      nowMs,
      namespace: ref.namespace,
      ...(deps.certificates ? { certificates: deps.certificates } : {}),
      sections: normaliseSections(spec.sections),
      formats: spec.formats,
      title: `Report ${ref.namespace}/${ref.name} (${spec.window})`,
    });
    const archive = new ReportArchive(objectStore);
    stored = await archive.put(ref.namespace, ref.name, reportId(nowMs), generated.files);
    await archive.prune(ref.namespace, ref.name, spec.keep);
    const failures = await deliver(deps, report, stored, generated.files);
    const kept = await archive.list(ref.namespace, ref.name);
    if (failures.length > 0) {
      await deps.writeStatus(
        report,
        statusWith(report, deps, {
          reason: 'DeliveryFailed',
          message: `report ${stored.id} was stored; delivery failed: ${failures.join('; ')}`,
          ready: false,
          stored,
          kept,
        }),
      );
      return;
    }
    await deps.writeStatus(
      report,
      statusWith(report, deps, {
        reason: 'ReportStored',
        message: `report ${stored.id} stored (${humanBytes(stored.sizeBytes)}) and queued to ${spec.delivery?.channels?.length ?? 0} channel(s)`,
        ready: true,
        stored,
        kept,
      }),
    );
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return fail('GenerationFailed', `the report could not be generated: ${message}`, false);
  }
}

/** Queues the report to each channel; returns what could not be queued, per channel. */
async function deliver(
  deps: ReportJobDeps,
  report: Report,
  stored: StoredReport,
  files: readonly { format: string; contentType: string; body: string }[],
): Promise<string[]> {
  const channels = report.spec.delivery?.channels ?? [];
  if (channels.length === 0) return [];
  const outbox = deps.outbox();
  if (!outbox) return ['notifications are not running on this replica'];
  const namespace = report.metadata.namespace ?? '';
  const name = report.metadata.name ?? '';
  const html = files.find((f) => f.format === 'html');
  const failures: string[] = [];
  for (const channel of channels) {
    try {
      await outbox.send(
        { namespace, name: channel.name },
        {
          title: `Report ${namespace}/${name}: ${report.spec.window} to ${stored.generatedAt}`,
          text: `The ${report.spec.window} gateway report ${stored.id} is ready.`,
          labels: { report: `${namespace}/${name}`, id: stored.id },
          links: stored.formats.map((format) => ({
            title: `Report (${format})`,
            url: reportLink(deps.linkBaseUrl, stored, format),
          })),
          // E-mail channels send it as an attachment; the others show the links.
          attachments: html
            ? [
                {
                  filename: `report-${name}-${stored.id}.html`,
                  contentType: html.contentType,
                  contentBase64: Buffer.from(html.body, 'utf8').toString('base64'),
                },
              ]
            : [],
        },
      );
    } catch (error) {
      failures.push(`${channel.name}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return failures;
}

function statusWith(
  report: Report,
  deps: ReportJobDeps,
  outcome: {
    reason: string;
    message: string;
    ready: boolean;
    stored?: StoredReport;
    kept?: readonly StoredReport[];
  },
): ReportStatus {
  const previous = statusOf(report);
  const observedGeneration = report.metadata.generation;
  const entries: StoredReportEntry[] | undefined = outcome.kept?.map((r) => ({
    id: r.id,
    generatedAt: r.generatedAt,
    sizeBytes: r.sizeBytes,
    formats: [...r.formats],
  }));
  return {
    ...previous,
    ...(observedGeneration === undefined ? {} : { observedGeneration }),
    conditions: setCondition(
      previous?.conditions,
      {
        type: 'Ready',
        status: outcome.ready ? 'True' : 'False',
        reason: outcome.reason,
        message: outcome.message,
        ...(observedGeneration === undefined ? {} : { observedGeneration }),
      },
      new Date(deps.clock.now()),
    ),
    ...(outcome.stored
      ? {
          lastReport: outcome.stored.id,
          lastReportTime: outcome.stored.generatedAt,
          lastReportSize: humanBytes(outcome.stored.sizeBytes),
        }
      : {}),
    ...(entries ? { reports: entries } : {}),
  };
}
