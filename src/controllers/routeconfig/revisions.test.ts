import { expect } from 'chai';
import type { RouteConfig } from '../../api/v1alpha1/index.js';
import { contentVersion } from '../../domain/snapshot/snapshot.js';
import { route, routeConfig } from '../../domain/routes/builders.test-support.js';
import type { ConfigMap } from '../../runtime/kube/resource.js';
import {
  PAYLOAD_KEY,
  ROUTE_CONFIG_LABEL,
  SPEC_KEY,
  parseRevisionRef,
  parseStoredRoutes,
  revisionConfigMap,
  revisionsToPrune,
  specHash,
  type RevisionRef,
} from './revisions.js';

function owner(spec = routeConfig('shop/web').spec): RouteConfig {
  return {
    apiVersion: 'gateway.awesomeapi.com.br/v1alpha1',
    kind: 'RouteConfig',
    metadata: { namespace: 'shop', name: 'web', uid: 'uid-1', generation: 4 },
    spec,
  } as RouteConfig;
}

const payload = (text: string) => {
  const bytes = new TextEncoder().encode(text);
  return { bytes, version: contentVersion(bytes) };
};

function stored(rc: RouteConfig, revision: number, text = '{"routes":[]}'): ConfigMap {
  const cm = revisionConfigMap(rc, revision, payload(text));
  if (!cm) throw new Error('not stored');
  return cm;
}

const ref = (name: string, revision: number): RevisionRef => ({
  name,
  revision,
  specHash: name,
  generation: 1,
});

describe('RouteConfig revisions', () => {
  it('are immutable ConfigMaps named by the spec hash, owned by the RouteConfig, labelled with its name', () => {
    const rc = owner();
    const cm = stored(rc, 3);
    expect(cm.immutable).to.equal(true);
    expect(cm.metadata.name).to.equal(`web-routes-${specHash(rc.spec).slice(0, 10)}`);
    expect(cm.metadata.labels?.[ROUTE_CONFIG_LABEL]).to.equal('web');
    expect(cm.metadata.ownerReferences).to.deep.equal([
      {
        apiVersion: 'gateway.awesomeapi.com.br/v1alpha1',
        kind: 'RouteConfig',
        name: 'web',
        uid: 'uid-1',
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    expect(parseRevisionRef(cm)).to.deep.equal({
      name: cm.metadata.name,
      revision: 3,
      specHash: specHash(rc.spec),
      generation: 4,
    });
  });

  it('give back the spec and payload they hold', () => {
    const rc = owner();
    const content = parseStoredRoutes(stored(rc, 1, '{"hostnames":["a"]}'));
    expect(content?.spec).to.deep.equal(rc.spec);
    expect(specHash(content!.spec)).to.equal(specHash(rc.spec));
    expect(new TextDecoder().decode(content?.payload?.bytes)).to.equal('{"hostnames":["a"]}');
  });

  it('are refused when their content does not match the hash they carry', () => {
    const cm = stored(owner(), 1);
    const tampered = { ...cm, data: { ...cm.data, [SPEC_KEY]: '{"hostnames":["evil.example"]}' } };
    expect(parseStoredRoutes(tampered)).to.equal(undefined);
    const badPayload = { ...cm, data: { ...cm.data, [PAYLOAD_KEY]: '{}' } };
    expect(parseStoredRoutes(badPayload)?.payload, 'a payload that is not the stored one').to.equal(
      undefined,
    );
  });

  it('keep the spec alone when the payload would not fit, and are not made for a spec that does not fit', () => {
    const big = 'x'.repeat(950 * 1024);
    const cm = stored(owner(), 1, JSON.stringify({ big }));
    expect(cm.data?.[PAYLOAD_KEY]).to.equal(undefined);
    expect(parseStoredRoutes(cm)?.spec).to.deep.equal(owner().spec);
    const huge = routeConfig('shop/web').spec;
    huge.routes = Array.from({ length: 64 }, (_, i) =>
      route(`r${i}`, (r) => {
        r.backends = Array.from({ length: 16 }, () => ({
          url: `https://${'a'.repeat(1000)}.example`,
          weight: 1,
        }));
      }),
    );
    expect(revisionConfigMap(owner(huge), 1, payload('{}'))).to.equal(undefined);
  });

  it('are pruned to the ones in service and the newest others, as many as the limit says', () => {
    const all = [ref('a', 1), ref('b', 2), ref('c', 3), ref('d', 4), ref('e', 5)];
    const names = (limit: number, keep: string[]) =>
      revisionsToPrune(all, limit, new Set(keep)).map((r) => r.name);
    expect(names(1, ['e'])).to.deep.equal(['c', 'b', 'a']);
    expect(names(1, ['b'])).to.deep.equal(['d', 'c', 'a']);
    expect(names(0, ['e'])).to.deep.equal(['d', 'c', 'b', 'a']);
    expect(names(10, ['e'])).to.deep.equal([]);
  });
});
