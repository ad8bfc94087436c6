/**
 * What each gateway should have: the published resources whose gateway selector matches the
 * gateway's labels, grouped by type, each group versioned by a content hash. Pure: the push
 * layer turns snapshots into messages, the controllers publish the resources.
 */
import { createHash } from 'node:crypto';
import { matchesSelector, type LabelSelector } from '../../api/meta/label-selector.js';
import { SYNCED_TYPES, type SyncedTypeName } from './pushed-types.js';

/** A type sent on the SyncConfig stream; registered in pushed-types.ts. */
export type ConfigType = SyncedTypeName;

/** The registry's order: what a route references (rule sets) goes out before routes. */
export const CONFIG_ORDER: readonly ConfigType[] = SYNCED_TYPES.map((t) => t.name);

export interface ConfigResource {
  readonly type: ConfigType;
  /** Unique within its type, e.g. the `namespace/name` of the custom resource. */
  readonly name: string;
  readonly version: string;
  readonly payload: Uint8Array;
}

export interface CertificateResource {
  readonly name: string;
  readonly version: string;
  readonly certificateChainPem: string;
  readonly privateKeyPem: string;
  readonly dnsNames: readonly string[];
  readonly notAfterUnix: number;
  readonly temporary: boolean;
}

/** A resource with the gateways it is for; `owner` names the custom resource for status. */
export interface Published<T> {
  readonly owner: string;
  readonly selector: LabelSelector | undefined;
  readonly item: T;
}

export interface ConfigGroup {
  readonly version: string;
  readonly resources: readonly ConfigResource[];
}

export interface GatewaySnapshot {
  readonly config: ReadonlyMap<ConfigType, ConfigGroup>;
  readonly certificates: ReadonlyMap<string, CertificateResource>;
}

/**
 * The name a Certificate is pushed under and stored as on the gateway (`certs/<name>.crt`): a
 * safe file stem, unique because Kubernetes names never contain '_'. Routes refer to it.
 */
export function certificateResourceName(namespace: string, name: string): string {
  return `${namespace}_${name}`;
}

export function contentVersion(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex').slice(0, 32);
}

/**
 * The version of a whole group: a hash over its resources sorted by name. The agent computes the
 * same over what it received, so a truncated or mixed-up update is caught.
 */
export function groupVersion(
  resources: readonly Pick<ConfigResource, 'name' | 'version' | 'payload'>[],
): string {
  const hash = createHash('sha256');
  for (const r of [...resources].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    hash.update(r.name).update('\0').update(r.version).update('\0').update(r.payload);
  }
  return hash.digest('hex').slice(0, 32);
}

export function snapshotFor(
  labels: Record<string, string>,
  config: readonly Published<ConfigResource>[],
  certificates: readonly Published<CertificateResource>[],
): GatewaySnapshot {
  const byType = new Map<ConfigType, ConfigResource[]>();
  for (const { selector, item } of config) {
    if (!matchesSelector(selector, labels)) continue;
    const list = byType.get(item.type) ?? [];
    list.push(item);
    byType.set(item.type, list);
  }
  const groups = new Map<ConfigType, ConfigGroup>();
  // Every type is always present, so an agent that had resources of a type learns they are gone.
  for (const type of CONFIG_ORDER) {
    const resources = (byType.get(type) ?? []).sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
    );
    groups.set(type, { version: groupVersion(resources), resources });
  }
  const certs = new Map<string, CertificateResource>();
  for (const { selector, item } of certificates) {
    if (matchesSelector(selector, labels)) certs.set(item.name, item);
  }
  return { config: groups, certificates: certs };
}
