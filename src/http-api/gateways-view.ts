/**
 * `GET /api/v1/gateways`: the gateway pods this replica knows and the versions they run — from
 * the pusher (the leader's connection to each pod: which version of each config type the pod
 * acknowledged or refused) and from the pods' own ReportStatus streams (health and the versions
 * they say they serve). A replica that does not lead pushes nothing, so it shows reports only;
 * `replica.leader` says which view this is.
 */
import { CONFIG_ORDER, type ConfigType } from '../domain/snapshot/snapshot.js';
import type { GatewayReport } from '../grpc/gateway-reports.js';
import type { GatewayConnection } from '../push/gateway-connection.js';

export interface GatewaySources {
  /** The pusher's connections; empty on a replica that is not pushing. */
  connections(): readonly GatewayConnection[];
  reports(): readonly GatewayReport[];
  replica(): { readonly name: string; readonly leader: boolean };
}

export interface GatewayFilter {
  readonly namespace?: string;
  readonly connected?: boolean;
}

export interface ConfigTypeView {
  /** The version of this type the pod acknowledged last. */
  readonly acknowledged?: string;
  /** The latest version sent, when the pod refused it, and why. */
  readonly rejected?: { readonly version: string; readonly message: string };
}

export interface GatewayView {
  /** namespace/pod for pods found by the selector; the reported name for a report alone. */
  readonly name: string;
  readonly namespace?: string;
  readonly pod?: string;
  readonly address?: string;
  readonly labels?: Readonly<Record<string, string>>;
  /** Whether this replica's config stream to the pod is open (leader only). */
  readonly connected?: boolean;
  readonly config?: Partial<Record<ConfigType, ConfigTypeView>>;
  readonly certificates?: { readonly applied: number; readonly refused: number };
  readonly report?: {
    readonly healthy: boolean;
    readonly versions: Readonly<Record<string, string>>;
    /** When the pod took the report, as it says; absent when its clock gave no usable time. */
    readonly reportedAt?: string;
    readonly receivedAt: string;
  };
}

export interface GatewayList {
  readonly replica: { readonly name: string; readonly leader: boolean };
  readonly items: readonly GatewayView[];
}

export function listGateways(sources: GatewaySources, filter: GatewayFilter = {}): GatewayList {
  const reports = new Map(sources.reports().map((r) => [r.gateway, r]));
  const items: GatewayView[] = [];
  for (const connection of sources.connections()) {
    const { name, address, labels } = connection.gateway;
    const [namespace = '', pod = name] = name.includes('/') ? name.split('/', 2) : ['', name];
    // An agent reports under the name it was given: the pod name by default, or namespace/pod.
    const report = reports.get(name) ?? reports.get(pod);
    if (report) reports.delete(report.gateway);
    items.push({
      name,
      ...(namespace ? { namespace } : {}),
      pod,
      address,
      labels,
      connected: connection.connected,
      config: configOf(connection),
      certificates: connection.certificateCounts(),
      ...(report ? { report: reportOf(report) } : {}),
    });
  }
  for (const report of reports.values()) items.push({ name: report.gateway, report: reportOf(report) });
  items.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return {
    replica: sources.replica(),
    items: items.filter(
      (g) =>
        (filter.namespace === undefined || g.namespace === filter.namespace) &&
        (filter.connected === undefined || (g.connected ?? false) === filter.connected),
    ),
  };
}

function configOf(connection: GatewayConnection): Partial<Record<ConfigType, ConfigTypeView>> {
  const config: Partial<Record<ConfigType, ConfigTypeView>> = {};
  for (const type of CONFIG_ORDER) {
    const acknowledged = connection.acknowledgedVersion(type);
    const rejected = connection.outcome(type)?.rejected;
    if (acknowledged === undefined && !rejected) continue;
    config[type] = {
      ...(acknowledged === undefined ? {} : { acknowledged }),
      ...(rejected ? { rejected: { version: rejected.version, message: rejected.message } } : {}),
    };
  }
  return config;
}

function reportOf(report: GatewayReport): NonNullable<GatewayView['report']> {
  const reportedMs = report.timeUnix * 1000;
  return {
    healthy: report.healthy,
    versions: report.versions,
    // A gateway's time is its own to get wrong; Date would throw past year 275760.
    ...(report.timeUnix > 0 && reportedMs <= MAX_DATE_MS
      ? { reportedAt: new Date(reportedMs).toISOString() }
      : {}),
    receivedAt: new Date(report.receivedAtMs).toISOString(),
  };
}

const MAX_DATE_MS = 8.64e15;
