import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { CRDS_DIR, renderCrdFiles } from '../../../scripts/generate-crds.js';
import { invalidFixtures } from '../../../test/fixtures/invalid/index.js';
import { validateText } from '../../validate/index.js';
import { KINDS, crdFor, keySize } from './index.js';
import type { JsonSchema, Node } from './schema/builder.js';

/** Every schema node with its path, for the invariants below. */
function nodes(node: Node, path: string): [string, Node][] {
  const children = [
    ...Object.entries(node.properties ?? {}).map(([key, child]) => nodes(child, `${path}.${key}`)),
    node.items ? nodes(node.items, `${path}[]`) : [],
    node.values ? nodes(node.values, `${path}{}`) : [],
  ].flat();
  return [[path, node], ...children];
}

const allNodes = KINDS.flatMap((kind) => nodes(kind.root, kind.kind));

describe('v1alpha1 CRDs', () => {
  it('crds/ holds exactly what scripts/generate-crds.ts renders (run it after a schema change)', async () => {
    const rendered = await renderCrdFiles();
    const onDisk = readdirSync(CRDS_DIR).filter((f) => f.endsWith('.yaml'));
    expect(onDisk.sort()).to.deep.equal([...rendered.keys()].sort());
    for (const [name, content] of rendered) {
      expect(readFileSync(join(CRDS_DIR, name), 'utf8'), `crds/${name} is stale`).to.equal(content);
    }
  });

  it('names the kinds as DESIGN.md fixes them (and the kinds of later issues after them)', () => {
    const names = KINDS.map((k) => {
      const { spec } = crdFor(k);
      return [
        spec.names.kind,
        spec.names.plural,
        spec.names.shortNames[0],
        spec.names.categories[0],
        spec.scope,
      ];
    });
    expect(names).to.deep.equal([
      ['Certificate', 'certificates', 'gwcert', 'gateway-worker', 'Namespaced'],
      ['WafRuleSet', 'wafrulesets', 'waf', 'gateway-worker', 'Namespaced'],
      ['RouteConfig', 'routeconfigs', 'gwroute', 'gateway-worker', 'Namespaced'],
      ['DatabaseConnection', 'databaseconnections', 'gwdb', 'gateway-worker', 'Namespaced'],
      ['DatabaseMigration', 'databasemigrations', 'gwdbmig', 'gateway-worker', 'Namespaced'],
      ['DatabaseRetention', 'databaseretentions', 'gwdbret', 'gateway-worker', 'Namespaced'],
      ['DatabaseBackup', 'databasebackups', 'gwdbbak', 'gateway-worker', 'Namespaced'],
      ['DatabaseMaintenance', 'databasemaintenances', 'gwdbmaint', 'gateway-worker', 'Namespaced'],
      ['NotificationChannel', 'notificationchannels', 'gwchannel', 'gateway-worker', 'Namespaced'],
      ['NotificationPolicy', 'notificationpolicies', 'gwpolicy', 'gateway-worker', 'Namespaced'],
      ['ThreatFeed', 'threatfeeds', 'gwfeed', 'gateway-worker', 'Namespaced'],
      ['ThreatAllowlist', 'threatallowlists', 'gwallow', 'gateway-worker', 'Namespaced'],
      ['ThreatPolicy', 'threatpolicies', 'gwthreat', 'gateway-worker', 'Namespaced'],
      ['Report', 'reports', 'gwreport', 'gateway-worker', 'Namespaced'],
    ]);
    for (const kind of KINDS) {
      const [version] = crdFor(kind).spec.versions;
      expect(version?.name).to.equal('v1alpha1');
      expect(version?.subresources).to.deep.equal({ status: {} });
    }
  });

  it('has the printer columns of the issue', () => {
    const columns = KINDS.map((k) => k.printerColumns.map((c) => c.name).join(','));
    expect(columns).to.deep.equal([
      'Ready,Secret,Expires,Temporary,Age',
      'Ready,Mode,Rules,Revision,Synced,Age',
      'Ready,Hosts,Synced,Age',
      'Ready,Host,Database,Version,Size,Connections,Age',
      'Ready,Drifted,Applied,Pending,Last Run,Age',
      'Ready,Schedule,Deleted,Last Run,Age',
      'Ready,Schedule,Last Backup,Size,Verified,Age',
      'Ready,Mode,Findings,Applied,Last Run,Age',
      'Type,Ready,Sent,Dead,Last Sent,Age',
      'Ready,Groups,Last Notified,Age',
      'Ready,Degraded,Entries,Ranges,Last Refresh,Synced,Age',
      'Ready,Entries,Age',
      'Ready,Mode,Decisions,Incidents 24h,Last Triggered,Age',
      'Schedule,Window,Last Report,Ready,Age',
    ]);
    const synced = KINDS.flatMap((k) => k.printerColumns.filter((c) => c.name === 'Synced'));
    for (const column of synced) expect(column.jsonPath).to.equal('.status.gateways.summary');
  });

  it('describes every field, so kubectl explain teaches the API', () => {
    const undescribed = allNodes.filter(([path, n]) => !n.json.description && !path.endsWith('.metadata'));
    expect(undescribed.map(([path]) => path)).to.deep.equal([]);
  });

  it('bounds every string, list and map, so CEL cost estimates stay bounded', () => {
    const unbounded = allNodes.filter(([, n]) => {
      const s: JsonSchema = n.json;
      if (s.type === 'string') return s.maxLength === undefined && s.enum === undefined;
      if (s.type === 'array') return s.maxItems === undefined;
      if (s.type === 'object' && s.additionalProperties) return s.maxProperties === undefined;
      return false;
    });
    expect(unbounded.map(([path]) => path)).to.deep.equal([]);
  });

  it('gives every kind status.observedGeneration, status.conditions (a map by type) and spec required', () => {
    for (const kind of KINDS) {
      const status = kind.root.properties?.status;
      expect(status?.properties).to.include.keys('observedGeneration', 'conditions');
      expect(status?.properties?.conditions?.json['x-kubernetes-list-map-keys']).to.deep.equal(['type']);
      expect(kind.root.json.required).to.include('spec');
    }
  });

  it('has a failing fixture for every CEL rule, so each rule and its TypeScript twin are compared on the server', () => {
    const reported = invalidFixtures()
      .filter((f) => !f.offlineOnly)
      .flatMap((f) => validateText(f.text).problems.map((p) => p.message));
    const rules = allNodes.flatMap(([path, n]) =>
      n.rules.filter((r) => r.cel).map((r) => ({ path, message: r.message })),
    );
    const untested = rules.filter((r) => !reported.some((message) => message.includes(r.message)));
    expect(untested).to.deep.equal([]);
  });
});

describe('keySize', () => {
  it('defaults to 256 for ECDSA and 2048 for RSA, as the size description says', () => {
    expect(keySize({ algorithm: 'ECDSA', rotationPolicy: 'Always' })).to.equal(256);
    expect(keySize({ algorithm: 'RSA', rotationPolicy: 'Always' })).to.equal(2048);
    expect(keySize({ algorithm: 'RSA', rotationPolicy: 'Never', size: 4096 })).to.equal(4096);
  });
});
