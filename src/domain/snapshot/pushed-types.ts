/**
 * Every type the worker pushes to the gateways, registered here and nowhere else. The order of
 * this list is the order a gateway receives them in. Everything that needs a list of pushed types
 * derives it from this one: snapshots (snapshot.ts), the proto enum and make-before-break of the
 * connection (push/gateway-connection.ts), the owners the pusher routes status to
 * (controllers/push-owners.ts), the agent's writers (agent/config-writers.ts, which the compiler
 * keeps complete) and the chart's RBAC (scripts/render-rbac.ts, checked by a test).
 * docs/development.md walks through adding one.
 */
import type { PushedType, RbacNeed, SyncedPushedType } from './pushed-type.js';

const READ = ['get', 'list', 'watch'] as const;
const READ_WRITE = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'] as const;

function configMaps(why: string): RbacNeed {
  return { apiGroup: '', resources: ['configmaps'], verbs: READ_WRITE, why };
}

export const PUSHED_TYPES = [
  {
    name: 'certificate',
    transport: 'ApplyCertificate',
    publishedBy: ['Certificate'],
    waitsFor: [],
    rbac: [
      {
        apiGroup: '',
        resources: ['secrets'],
        verbs: READ_WRITE,
        why: 'certificate Secrets; ACME account and DNS-01 credentials',
      },
    ],
  },
  {
    name: 'acme',
    transport: 'SyncConfig',
    proto: 'RESOURCE_TYPE_ACME_CHALLENGES',
    publishedBy: ['Certificate'],
    waitsFor: [],
    rbac: [],
  },
  {
    name: 'waf',
    transport: 'SyncConfig',
    proto: 'RESOURCE_TYPE_WAF_RULES',
    publishedBy: ['WafRuleSet'],
    waitsFor: [],
    rbac: [configMaps('compiled WafRuleSet revisions')],
  },
  {
    // IP deny lists from threat feeds (and, later, decisions), in shards of sorted ranges: a
    // feed of a million entries cannot ride in a WafRuleSet's 1,024-entry list. The agent writes
    // them into waf-ip-lists.yaml beside the WAF's own lists.
    name: 'ip-deny',
    transport: 'SyncConfig',
    proto: 'RESOURCE_TYPE_IP_DENY_LIST',
    publishedBy: ['ThreatFeed', 'ThreatPolicy'],
    waitsFor: [],
    rbac: [
      { apiGroup: '', resources: ['secrets'], verbs: ['get'], why: 'ThreatFeed auth headers' },
      { apiGroup: '', resources: ['configmaps'], verbs: READ, why: 'ThreatAllowlist entries in ConfigMaps' },
    ],
  },
  {
    name: 'routes',
    transport: 'SyncConfig',
    proto: 'RESOURCE_TYPE_ROUTES',
    publishedBy: ['RouteConfig'],
    waitsFor: ['certificate', 'waf'],
    rbac: [
      configMaps('the last good revision of each RouteConfig'),
      { apiGroup: '', resources: ['services'], verbs: READ, why: 'route backends' },
      { apiGroup: 'discovery.k8s.io', resources: ['endpointslices'], verbs: READ, why: 'route endpoints' },
    ],
  },
] as const satisfies readonly PushedType[];

type Registered = (typeof PUSHED_TYPES)[number];

export type PushedTypeName = Registered['name'];
/** The types that travel on the SyncConfig stream (all but certificates). */
export type SyncedTypeName = Extract<Registered, { transport: 'SyncConfig' }>['name'];
/** The kinds whose controllers publish something; the pusher's owners are named after them. */
export type PublishingKind = Registered['publishedBy'][number];

export interface SyncedDescriptor extends SyncedPushedType {
  readonly name: SyncedTypeName;
  readonly waitsFor: readonly PushedTypeName[];
}

export const SYNCED_TYPES: readonly SyncedDescriptor[] = PUSHED_TYPES.filter(
  (t): t is Extract<Registered, { transport: 'SyncConfig' }> => t.transport === 'SyncConfig',
);

export function isSynced(name: PushedTypeName): name is SyncedTypeName {
  return SYNCED_TYPES.some((t) => t.name === name);
}
