import { expect } from 'chai';
import { KINDS } from '../../api/v1alpha1/index.js';
import { ResourceType } from '../../generated/gateway/worker/v1/resources.js';
import { PUSHED_TYPES, SYNCED_TYPES, isSynced } from './pushed-types.js';
import { CONFIG_ORDER, snapshotFor } from './snapshot.js';

describe('the pushed-type registry', () => {
  it('describes every resource type of the proto exactly once', () => {
    const inProto = Object.keys(ResourceType).filter(
      (k) => Number.isNaN(Number(k)) && k !== 'RESOURCE_TYPE_UNSPECIFIED' && k !== 'UNRECOGNIZED',
    );
    expect(SYNCED_TYPES.map((t) => t.proto).sort()).to.deep.equal(inProto.sort());
  });

  it('gives every type a name of its own', () => {
    const names = PUSHED_TYPES.map((t) => t.name);
    expect(new Set(names).size).to.equal(names.length);
  });

  it('lets a type wait only for types registered before it, so no two wait for each other', () => {
    PUSHED_TYPES.forEach((type, i) => {
      const earlier = PUSHED_TYPES.slice(0, i).map((t) => t.name as string);
      for (const other of type.waitsFor) expect(earlier, `${type.name} waits for ${other}`).to.include(other);
    });
  });

  it('names only kinds of the API as publishers', () => {
    const kinds = KINDS.map((k) => k.kind);
    for (const type of PUSHED_TYPES) {
      expect(type.publishedBy, type.name).to.not.be.empty;
      for (const kind of type.publishedBy)
        expect(kinds, `${type.name} published by ${kind}`).to.include(kind);
    }
  });

  it('asks RBAC for named resources and verbs, with a reason', () => {
    for (const type of PUSHED_TYPES) {
      for (const need of type.rbac) {
        expect(need.resources, type.name).to.not.be.empty;
        expect(need.verbs, type.name).to.not.be.empty;
        expect(need.why, type.name).to.match(/\w/);
      }
    }
  });

  it('is the order snapshots and connections send the SyncConfig types in, routes after what they name', () => {
    expect(CONFIG_ORDER).to.deep.equal(SYNCED_TYPES.map((t) => t.name));
    expect([...snapshotFor({}, [], []).config.keys()]).to.deep.equal([...CONFIG_ORDER]);
    expect(CONFIG_ORDER.indexOf('waf')).to.be.below(CONFIG_ORDER.indexOf('routes'));
    expect(isSynced('certificate')).to.equal(false);
    expect(isSynced('routes')).to.equal(true);
  });
});
