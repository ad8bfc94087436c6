/**
 * The Report feature's pieces for the operator's wiring: the controller (schedules), the job's
 * dependencies (read and write the Report, list certificates, the outbox, the object store) and
 * the HTTP API's view of stored reports.
 */
import type { Registry } from 'prom-client';
import {
  NotificationChannelResource,
  ReportResource,
  type Certificate,
  type NotificationChannel,
  type Report,
  type ReportStatus,
} from '../../api/v1alpha1/index.js';
import { statusOf } from '../../api/v1alpha1/index.js';
import type { CertificateItem } from '../../domain/reports/report-data.js';
import type { ReportSources } from '../../http-api/reports-view.js';
import type { NotificationOutbox } from '../../notify/outbox.js';
import { ReportArchive } from '../../reports/report-archive.js';
import type { ReportJobDeps } from '../../reports/report-job.js';
import { systemClock } from '../../runtime/clock.js';
import type { Controller } from '../../runtime/controller/controller.js';
import type { Manager } from '../../runtime/controller/manager.js';
import type { Informer } from '../../runtime/informer/informer.js';
import type { KubeClient } from '../../runtime/kube/client.js';
import { isConflict, isNotFound } from '../../runtime/kube/errors.js';
import type { Logger } from '../../runtime/logger.js';
import { updateStatus } from '../../runtime/status/status-writer.js';
import type { Database } from '../../storage/database.js';
import type { ObjectStore } from '../../storage/object-store.js';
import { reportController } from './controller.js';

export interface ReportComponentsOptions {
  readonly client: KubeClient;
  readonly manager: Manager;
  readonly store: { readonly database: Database | undefined; readonly status: string };
  readonly schema: string;
  readonly objectStore: () => ObjectStore | undefined;
  readonly outbox: NotificationOutbox;
  readonly certificates: Informer<Certificate>;
  readonly linkBaseUrl?: string;
  readonly logger: Logger;
  readonly registry: Registry;
  readonly workers: number;
}

export interface ReportComponents {
  readonly controller: Controller;
  readonly jobDeps: ReportJobDeps;
  readonly api: ReportSources;
}

export function certificateItems(certificates: readonly Certificate[]): CertificateItem[] {
  return certificates.map((c) => {
    const status = statusOf(c);
    const notAfter = status?.notAfter === undefined ? undefined : Date.parse(status.notAfter);
    return {
      namespace: c.metadata.namespace ?? '',
      name: c.metadata.name ?? '',
      dnsNames: [...c.spec.dnsNames],
      ...(notAfter === undefined || Number.isNaN(notAfter) ? {} : { notAfterMs: notAfter }),
      ready: status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True') ?? false,
    };
  });
}

export function reportComponents(options: ReportComponentsOptions): ReportComponents {
  const { client } = options;
  const reports = options.manager.informer<Report>(ReportResource);
  const controller = reportController({
    client,
    reports,
    channels: options.manager.informer<NotificationChannel>(NotificationChannelResource),
    store: options.store,
    schema: options.schema,
    logger: options.logger.child({ controller: 'report' }),
    workers: options.workers,
    registry: options.registry,
  });
  const jobDeps: ReportJobDeps = {
    store: options.store,
    schema: options.schema,
    objectStore: options.objectStore,
    outbox: () => options.outbox,
    // Fresh from the API server: a job may run on a replica whose cache does not hold Reports.
    getReport: async (namespace, name) => {
      try {
        return await client.get<Report>(ReportResource, namespace, name);
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    },
    writeStatus: async (report, status: ReportStatus) => {
      const desired = { ...status };
      try {
        await updateStatus(client, ReportResource, report, desired);
      } catch (error) {
        if (isNotFound(error)) return;
        if (!isConflict(error)) throw error;
        // The controller wrote in between: once more on the newest object, not a whole new report.
        const fresh = await client.get<Report>(
          ReportResource,
          report.metadata.namespace,
          report.metadata.name ?? '',
        );
        await updateStatus(client, ReportResource, fresh, desired);
      }
    },
    channelType: async (namespace, name) => {
      try {
        return (await client.get<NotificationChannel>(NotificationChannelResource, namespace, name)).spec
          .type;
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    },
    certificates: () => Promise.resolve(certificateItems(options.certificates.store.list())),
    ...(options.linkBaseUrl === undefined ? {} : { linkBaseUrl: options.linkBaseUrl }),
    clock: systemClock,
  };
  const objectStore = options.objectStore;
  return {
    controller,
    jobDeps,
    api: {
      archive: () => {
        const opened = objectStore();
        return opened ? new ReportArchive(opened) : undefined;
      },
      reports: () =>
        reports.store
          .list()
          .map((r) => ({ namespace: r.metadata.namespace ?? '', name: r.metadata.name ?? '' })),
    },
  };
}
