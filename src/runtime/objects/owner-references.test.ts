import { expect } from 'chai';
import type { KubeObject, ResourceType } from '../kube/resource.js';
import { controllerOf, isOwnedBy, ownerReference, withOwnerReference } from './owner-references.js';

const widgets: ResourceType = {
  group: 'test.gateway-worker.dev',
  version: 'v1',
  plural: 'widgets',
  kind: 'Widget',
  namespaced: true,
};
const widget = (name: string, uid: string): KubeObject => ({ metadata: { name, namespace: 'ns', uid } });

describe('owner references', () => {
  it('builds a controller reference from the owner and its type', () => {
    expect(
      ownerReference(widget('w', 'u1'), widgets, { controller: true, blockOwnerDeletion: true }),
    ).to.deep.equal({
      apiVersion: 'test.gateway-worker.dev/v1',
      kind: 'Widget',
      name: 'w',
      uid: 'u1',
      controller: true,
      blockOwnerDeletion: true,
    });
  });

  it('refuses an owner that was never stored', () => {
    expect(() => ownerReference({ metadata: { name: 'w' } }, widgets)).to.throw(/uid/);
  });

  it('recognises the owner by uid, not by name', () => {
    const owned: KubeObject = { metadata: { ownerReferences: [ownerReference(widget('w', 'u1'), widgets)] } };
    expect(isOwnedBy(owned, widget('w', 'u1'))).to.equal(true);
    expect(isOwnedBy(owned, widget('w', 'u-recreated'))).to.equal(false);
  });

  it('finds the controller among several owners', () => {
    const owned: KubeObject = {
      metadata: {
        ownerReferences: [
          ownerReference(widget('a', 'u1'), widgets),
          ownerReference(widget('b', 'u2'), widgets, { controller: true }),
        ],
      },
    };
    expect(controllerOf(owned)?.name).to.equal('b');
    expect(controllerOf({ metadata: {} })).to.equal(undefined);
  });

  it('replaces the reference with the same uid and appends others', () => {
    const a = ownerReference(widget('a', 'u1'), widgets);
    const b = ownerReference(widget('b', 'u2'), widgets);
    const aController = { ...a, controller: true };
    expect(withOwnerReference([a, b], aController)).to.deep.equal([aController, b]);
    expect(withOwnerReference(undefined, a)).to.deep.equal([a]);
  });

  it('refuses a second controller', () => {
    const a = ownerReference(widget('a', 'u1'), widgets, { controller: true });
    const b = ownerReference(widget('b', 'u2'), widgets, { controller: true });
    expect(() => withOwnerReference([a], b)).to.throw(/already controlled by Widget a/);
  });
});
