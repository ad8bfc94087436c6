import { expect } from 'chai';
import { SYNCED_TYPES } from './pushed-types.js';
import { groupVersion, snapshotFor, type ConfigResource, type Published } from './snapshot.js';

const enc = (s: string) => new TextEncoder().encode(s);
function waf(name: string, body: string, selector?: Record<string, string>): Published<ConfigResource> {
  return {
    owner: `WafRuleSet/${name}`,
    selector: selector ? { matchLabels: selector } : undefined,
    item: { type: 'waf', name, version: body, payload: enc(body) },
  };
}

describe('gateway snapshots', () => {
  it('give each gateway only the resources its labels select, every type present', () => {
    const published = [waf('ns/a', 'A'), waf('ns/b', 'B', { zone: 'eu' })];
    const us = snapshotFor({ zone: 'us' }, published, []);
    const eu = snapshotFor({ zone: 'eu' }, published, []);
    expect(us.config.get('waf')?.resources.map((r) => r.name)).to.deep.equal(['ns/a']);
    expect(eu.config.get('waf')?.resources.map((r) => r.name)).to.deep.equal(['ns/a', 'ns/b']);
    // Every SyncConfig type, in the registry's order, even when nothing of it is published.
    expect([...us.config.keys()]).to.deep.equal(SYNCED_TYPES.map((type) => type.name));
    expect([...us.config.keys()]).to.include.members(['acme', 'waf', 'ip-deny', 'routes']);
    expect(us.config.get('routes')?.resources).to.deep.equal([]);
  });

  it('version a group by content, independent of publication order', () => {
    const one = snapshotFor({}, [waf('ns/a', 'A'), waf('ns/b', 'B')], []);
    const two = snapshotFor({}, [waf('ns/b', 'B'), waf('ns/a', 'A')], []);
    const changed = snapshotFor({}, [waf('ns/a', 'A2'), waf('ns/b', 'B')], []);
    expect(one.config.get('waf')?.version).to.equal(two.config.get('waf')?.version);
    expect(one.config.get('waf')?.version).to.not.equal(changed.config.get('waf')?.version);
  });

  it('tell an empty group from one holding an empty resource', () => {
    expect(groupVersion([])).to.not.equal(groupVersion([{ name: 'x', version: '', payload: enc('') }]));
  });
});
