import { expect } from 'chai';
import type { KubeObject, ResourceType } from '../kube/resource.js';
import { addFinalizer, hasFinalizer, removeFinalizer, type MetadataClient } from './finalizers.js';

const widgets: ResourceType = {
  group: 'test.gateway-worker.dev',
  version: 'v1',
  plural: 'widgets',
  kind: 'Widget',
  namespaced: true,
};
const FINALIZER = 'gateway.awesomeapi.com.br/cleanup';

/** Records each patch and answers with the object it was given. */
function recordingClient(): MetadataClient & { patches: unknown[] } {
  const patches: unknown[] = [];
  return {
    patches,
    mergePatch<T extends KubeObject>(
      _type: ResourceType,
      _ns: string | undefined,
      _name: string,
      patch: unknown,
    ): Promise<T> {
      patches.push(patch);
      return Promise.resolve({ metadata: { name: 'w', resourceVersion: '8' } } as T);
    },
  };
}

const widget = (finalizers?: string[]): KubeObject => ({
  metadata: { name: 'w', namespace: 'ns', resourceVersion: '7', finalizers },
});

describe('finalizers', () => {
  it('tells whether an object carries a finalizer', () => {
    expect(hasFinalizer(widget([FINALIZER]), FINALIZER)).to.equal(true);
    expect(hasFinalizer(widget(), FINALIZER)).to.equal(false);
  });

  const cases: {
    name: string;
    op: typeof addFinalizer;
    finalizers: string[] | undefined;
    patch: unknown;
  }[] = [
    {
      name: 'adds a finalizer after the others, guarded by resourceVersion',
      op: addFinalizer,
      finalizers: ['other.io/keep'],
      patch: { metadata: { resourceVersion: '7', finalizers: ['other.io/keep', FINALIZER] } },
    },
    {
      name: 'writes nothing when the finalizer is already there',
      op: addFinalizer,
      finalizers: [FINALIZER],
      patch: undefined,
    },
    {
      name: 'removes only our finalizer',
      op: removeFinalizer,
      finalizers: ['other.io/keep', FINALIZER],
      patch: { metadata: { resourceVersion: '7', finalizers: ['other.io/keep'] } },
    },
    {
      name: 'removes the field when our finalizer was the last one',
      op: removeFinalizer,
      finalizers: [FINALIZER],
      patch: { metadata: { resourceVersion: '7', finalizers: null } },
    },
    {
      name: 'writes nothing when there is no finalizer to remove',
      op: removeFinalizer,
      finalizers: undefined,
      patch: undefined,
    },
  ];
  for (const { name, op, finalizers, patch } of cases) {
    it(name, async () => {
      const client = recordingClient();
      const obj = widget(finalizers);
      const result = await op(client, widgets, obj, FINALIZER);
      expect(client.patches).to.deep.equal(patch === undefined ? [] : [patch]);
      expect(result.written).to.equal(patch !== undefined);
      if (patch === undefined) expect(result.object).to.equal(obj);
    });
  }
});
