/**
 * The time-partitioned tables of telemetry, described once: the partition granularity, the time
 * column, and which retention applies. Partition management, retention and archival read this
 * list; nothing else keeps one.
 */
import type { Granularity } from '../domain/telemetry/partitions.js';

export type RetentionClass = 'minute' | 'hour' | 'day' | 'security';

export interface PartitionedTable {
  readonly name: string;
  readonly granularity: Granularity;
  readonly timeColumn: string;
  readonly retention: RetentionClass;
}

export const PARTITIONED_TABLES = [
  { name: 'traffic_minute', granularity: 'day', timeColumn: 'bucket', retention: 'minute' },
  { name: 'top_minute', granularity: 'day', timeColumn: 'bucket', retention: 'minute' },
  { name: 'waf_minute', granularity: 'day', timeColumn: 'bucket', retention: 'minute' },
  { name: 'drops_minute', granularity: 'day', timeColumn: 'bucket', retention: 'minute' },
  { name: 'traffic_hour', granularity: 'month', timeColumn: 'bucket', retention: 'hour' },
  { name: 'top_hour', granularity: 'month', timeColumn: 'bucket', retention: 'hour' },
  { name: 'waf_hour', granularity: 'month', timeColumn: 'bucket', retention: 'hour' },
  { name: 'drops_hour', granularity: 'month', timeColumn: 'bucket', retention: 'hour' },
  { name: 'traffic_day', granularity: 'month', timeColumn: 'bucket', retention: 'day' },
  { name: 'security_events', granularity: 'day', timeColumn: 'occurred_at', retention: 'security' },
] as const satisfies readonly PartitionedTable[];

export type PartitionedTableName = (typeof PARTITIONED_TABLES)[number]['name'];

export function tableInfo(name: PartitionedTableName): PartitionedTable {
  const table = PARTITIONED_TABLES.find((t) => t.name === name);
  if (!table) throw new Error(`unknown partitioned table ${name}`);
  return table;
}

/** How long each class of data is kept (TELEMETRY_*_RETENTION_DAYS, SECURITY_EVENT_RETENTION_DAYS). */
export interface RetentionSettings {
  readonly minuteDays: number;
  readonly hourDays: number;
  /** Daily rollups; never less than `hourDays` (see {@link retentionMs}). */
  readonly dayDays: number;
  readonly securityDays: number;
  readonly auditDays: number;
  /** Processed telemetry_batches rows are deleted after this many hours. */
  readonly batchHours: number;
}

export const DEFAULT_RETENTION: RetentionSettings = {
  minuteDays: 14,
  hourDays: 400,
  dayDays: 800,
  securityDays: 30,
  auditDays: 400,
  batchHours: 24,
};

export function retentionMs(settings: RetentionSettings, cls: RetentionClass): number {
  return retentionDays(settings, cls) * 86_400_000;
}

function retentionDays(settings: RetentionSettings, cls: RetentionClass): number {
  switch (cls) {
    case 'minute':
      return settings.minuteDays;
    case 'hour':
      return settings.hourDays;
    case 'day':
      // Queries take a complete day from the daily table rather than from its hours: a day
      // dropped while its hours are kept would read as a day without traffic.
      return Math.max(settings.dayDays, settings.hourDays);
    case 'security':
      return settings.securityDays;
  }
}
