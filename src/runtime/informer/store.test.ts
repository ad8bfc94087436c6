import { expect } from 'chai';
import type { KubeObject } from '../kube/resource.js';
import { NAMESPACE_INDEX, Store } from './store.js';

function secret(
  namespace: string,
  name: string,
  owner?: string,
  labels?: Record<string, string>,
): KubeObject {
  return {
    metadata: {
      namespace,
      name,
      labels,
      ownerReferences: owner
        ? [{ apiVersion: 'v1', kind: 'Certificate', name: owner, uid: owner }]
        : undefined,
    },
  };
}

describe('informer store', () => {
  const byOwner = (obj: KubeObject): string[] =>
    (obj.metadata.ownerReferences ?? []).map((r) => `${obj.metadata.namespace ?? ''}/${r.name}`);

  it('looks objects up by key, namespace, label selector and a custom index', () => {
    const store = new Store<KubeObject>({ byOwner });
    store.upsert(secret('a', 's1', 'c1', { tier: 'edge' }));
    store.upsert(secret('a', 's2', 'c1'));
    store.upsert(secret('b', 's3', 'c2', { tier: 'edge' }));
    expect(store.get('a/s1')?.metadata.name).to.equal('s1');
    expect(store.byIndex(NAMESPACE_INDEX, 'a').map((o) => o.metadata.name)).to.have.members(['s1', 's2']);
    expect(store.byIndex('byOwner', 'a/c1').map((o) => o.metadata.name)).to.have.members(['s1', 's2']);
    expect(
      store.listBySelector({ matchLabels: { tier: 'edge' } }).map((o) => o.metadata.name),
    ).to.have.members(['s1', 's3']);
    expect(
      store.listBySelector({ matchLabels: { tier: 'edge' } }, 'b').map((o) => o.metadata.name),
    ).to.deep.equal(['s3']);
  });

  it('moves an object between index values when it changes, and forgets it on removal', () => {
    const store = new Store<KubeObject>({ byOwner });
    store.upsert(secret('a', 's1', 'c1'));
    const old = store.upsert(secret('a', 's1', 'c2'));
    expect(old?.metadata.ownerReferences?.[0]?.name).to.equal('c1');
    expect(store.byIndex('byOwner', 'a/c1')).to.deep.equal([]);
    expect(store.byIndex('byOwner', 'a/c2')).to.have.length(1);
    store.remove('a/s1');
    expect(store.size).to.equal(0);
    expect(store.byIndex('byOwner', 'a/c2')).to.deep.equal([]);
  });
});
