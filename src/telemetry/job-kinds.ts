/**
 * Telemetry's periodic work as job kinds (registered with their schedules in
 * src/cli/job-kinds.ts): rolling minutes up into hours, retention with archival, and making
 * tomorrow's partitions before the first row needs them.
 */
import { systemClock, type Clock } from '../runtime/clock.js';
import type { Database } from '../storage/database.js';
import { DEFAULT_RETRY, type JobKind } from '../storage/jobs/job-kind.js';
import type { ObjectStore } from '../storage/object-store.js';
import { AuditStore } from './audit-store.js';
import { downsample } from './downsample.js';
import { PartitionManager } from './partition-manager.js';
import { applyRetention } from './retention.js';
import { PARTITIONED_TABLES, type RetentionSettings } from './tables.js';

export const DOWNSAMPLE_JOB_KIND = 'telemetry.downsample';
export const RETENTION_JOB_KIND = 'telemetry.retention';
export const PARTITIONS_JOB_KIND = 'telemetry.partitions';

export interface TelemetryJobOptions {
  readonly store: { readonly database: Database | undefined; readonly status: string };
  readonly schema: string;
  readonly retention: RetentionSettings;
  readonly topCapacity: number;
  /** The object store for archives, when one is configured (it opens with the operator). */
  readonly objectStore: () => ObjectStore | undefined;
  readonly clock?: Clock;
}

function database(options: TelemetryJobOptions): Database {
  const db = options.store.database;
  if (!db) throw new Error(`the telemetry store is not available: ${options.store.status}`);
  return db;
}

export function telemetryJobKinds(options: TelemetryJobOptions): JobKind[] {
  const clock = options.clock ?? systemClock;
  return [
    {
      name: DOWNSAMPLE_JOB_KIND,
      description: 'rolls the minute rollups of finished hours up into the hourly tables',
      timeoutMs: 10 * 60_000,
      retry: DEFAULT_RETRY,
      async handler({ logger, signal }) {
        const result = await downsample(database(options), options.schema, clock.now(), {
          topCapacity: options.topCapacity,
          signal,
        });
        if (result.hours > 0) logger.info('telemetry hours rolled up', { hours: result.hours });
      },
    },
    {
      name: RETENTION_JOB_KIND,
      description:
        'archives expired telemetry partitions (gzip NDJSON to the object store), drops them, deletes processed batches and old audit entries',
      timeoutMs: 60 * 60_000,
      retry: DEFAULT_RETRY,
      async handler({ logger, signal }) {
        const db = database(options);
        const now = clock.now();
        const objectStore = options.objectStore();
        const result = await applyRetention({
          db,
          schema: options.schema,
          nowMs: now,
          retention: options.retention,
          objectStore,
          logger,
          signal,
        });
        const trimmed = await new AuditStore(db, options.schema).trim(
          new Date(now - options.retention.auditDays * 86_400_000),
          objectStore,
          now,
        );
        logger.info('telemetry retention applied', {
          partitionsDropped: result.dropped.length,
          batchesDeleted: result.batchesDeleted,
          auditEntriesTrimmed: trimmed,
        });
      },
    },
    {
      name: PARTITIONS_JOB_KIND,
      description: "creates today's and tomorrow's telemetry partitions ahead of the rows that need them",
      timeoutMs: 5 * 60_000,
      retry: DEFAULT_RETRY,
      async handler() {
        const partitions = new PartitionManager(database(options), options.schema);
        const now = clock.now();
        for (const table of PARTITIONED_TABLES) await partitions.ensure(table.name, [now, now + 86_400_000]);
      },
    },
  ];
}
