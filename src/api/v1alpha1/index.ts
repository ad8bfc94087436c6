/**
 * gateway.awesomeapi.com.br/v1alpha1: the schemas of our kinds (the single source of truth),
 * the TypeScript types derived from them, and where each kind lives in the API.
 */
import { certificateKind } from './certificate.js';
import { databaseBackupKind } from './databasebackup.js';
import { databaseConnectionKind } from './databaseconnection.js';
import { databaseMaintenanceKind } from './databasemaintenance.js';
import { databaseMigrationKind } from './databasemigration.js';
import { databaseRetentionKind } from './databaseretention.js';
import { routeConfigKind } from './routeconfig.js';
import { threatAllowlistKind } from './threatallowlist.js';
import { threatFeedKind } from './threatfeed.js';
import { threatPolicyKind } from './threatpolicy.js';
import { wafRuleSetKind } from './wafruleset.js';
import { notificationChannelKind } from './notificationchannel.js';
import { notificationPolicyKind } from './notificationpolicy.js';
import { reportKind } from './report.js';
import type { KindDefinition } from './schema/kind.js';

export { certificateKind, routeConfigKind, wafRuleSetKind, notificationChannelKind, notificationPolicyKind };
export {
  databaseBackupKind,
  databaseConnectionKind,
  databaseMaintenanceKind,
  databaseMigrationKind,
  databaseRetentionKind,
};
export type {
  DatabaseConnection,
  DatabaseConnectionSpec,
  DatabaseConnectionStatus,
} from './databaseconnection.js';
export type {
  DatabaseMigration,
  DatabaseMigrationSpec,
  DatabaseMigrationStatus,
} from './databasemigration.js';
export type {
  DatabaseRetention,
  DatabaseRetentionSpec,
  DatabaseRetentionStatus,
} from './databaseretention.js';
export type { DatabaseBackup, DatabaseBackupSpec, DatabaseBackupStatus } from './databasebackup.js';
export type {
  DatabaseMaintenance,
  DatabaseMaintenanceSpec,
  DatabaseMaintenanceStatus,
} from './databasemaintenance.js';
export { threatAllowlistKind, threatFeedKind, threatPolicyKind, reportKind };
export type { Report, ReportSpec, ReportStatus, StoredReportEntry } from './report.js';
export { keySize, type Certificate, type CertificateSpec, type CertificateStatus } from './certificate.js';
export type { WafRuleSet, WafRuleSetSpec, WafRuleSetStatus, WafRule, WafCondition } from './wafruleset.js';
export type { RouteConfig, RouteConfigSpec, RouteConfigStatus, Route, Backend } from './routeconfig.js';
export type { ThreatFeed, ThreatFeedSpec, ThreatFeedStatus } from './threatfeed.js';
export type { ThreatAllowlist, ThreatAllowlistSpec, ThreatAllowlistStatus } from './threatallowlist.js';
export { ALLOWLIST_CONFIGMAP_LABEL } from './threatallowlist.js';
export type {
  ThreatPolicy,
  ThreatPolicySpec,
  ThreatPolicyStatus,
  ThreatScenarioSpec,
} from './threatpolicy.js';
export {
  CHANNEL_TYPES,
  type ChannelType,
  type NotificationChannel,
  type NotificationChannelSpec,
  type NotificationChannelStatus,
} from './notificationchannel.js';
export type { NotificationPolicy, NotificationPolicySpec } from './notificationpolicy.js';
export {
  API_VERSION,
  CATEGORY,
  GROUP,
  VERSION,
  type KindDefinition,
  type InputOfKind,
} from './schema/kind.js';
export { crdFileName, crdFor, type CustomResourceDefinition } from './crd.js';

/** Every kind of this version, in the order CRDs are generated and documented. */
export const KINDS: readonly KindDefinition[] = [
  certificateKind,
  wafRuleSetKind,
  routeConfigKind,
  databaseConnectionKind,
  databaseMigrationKind,
  databaseRetentionKind,
  databaseBackupKind,
  databaseMaintenanceKind,
  notificationChannelKind,
  notificationPolicyKind,
  threatFeedKind,
  threatAllowlistKind,
  threatPolicyKind,
  reportKind,
];

/** For KubeClient and informers: `client.get<Certificate>(CertificateResource, ns, name)`. */
export const CertificateResource = certificateKind.resource;
export const WafRuleSetResource = wafRuleSetKind.resource;
export const RouteConfigResource = routeConfigKind.resource;
export const DatabaseConnectionResource = databaseConnectionKind.resource;
export const DatabaseMigrationResource = databaseMigrationKind.resource;
export const DatabaseRetentionResource = databaseRetentionKind.resource;
export const DatabaseBackupResource = databaseBackupKind.resource;
export const DatabaseMaintenanceResource = databaseMaintenanceKind.resource;
export const NotificationChannelResource = notificationChannelKind.resource;
export const NotificationPolicyResource = notificationPolicyKind.resource;
export const ThreatFeedResource = threatFeedKind.resource;
export const ThreatAllowlistResource = threatAllowlistKind.resource;
export const ThreatPolicyResource = threatPolicyKind.resource;
export const ReportResource = reportKind.resource;

export function kindNamed(kind: string): KindDefinition | undefined {
  return KINDS.find((k) => k.kind === kind);
}

/**
 * The status of an object as read from the API: absent until the operator first writes it,
 * whatever the derived type (which describes a complete object) says.
 */
export function statusOf<T extends { status: unknown }>(obj: T): T['status'] | undefined {
  return (obj as Partial<T>).status;
}
