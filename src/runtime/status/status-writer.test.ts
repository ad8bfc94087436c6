import { expect } from 'chai';
import type { KubeObject, ResourceType } from '../kube/resource.js';
import { statusPatch, statusToWrite, updateStatus, type StatusClient } from './status-writer.js';

const widgets: ResourceType = {
  group: 'test.gateway-worker.dev',
  version: 'v1',
  plural: 'widgets',
  kind: 'Widget',
  namespaced: true,
};

function widget(status?: Record<string, unknown>): KubeObject {
  return { metadata: { name: 'w', namespace: 'ns', generation: 3, resourceVersion: '11' }, status };
}

function recordingClient(): StatusClient & { calls: unknown[][] } {
  const calls: unknown[][] = [];
  return {
    calls,
    mergePatch<T extends KubeObject>(...args: unknown[]): Promise<T> {
      calls.push(args);
      return Promise.resolve({ metadata: { name: 'w', resourceVersion: '12' } } as T);
    },
  };
}

describe('status writer', () => {
  it('stamps observedGeneration from the cached object and drops undefined members', () => {
    expect(statusToWrite(widget(), { phase: 'Ready', gone: undefined, observedGeneration: 1 })).to.deep.equal(
      {
        phase: 'Ready',
        observedGeneration: 3,
      },
    );
  });

  it('passes the cached status to a status function', () => {
    const seen: unknown[] = [];
    statusToWrite(widget({ phase: 'Old' }), (current) => {
      seen.push(current);
      return {};
    });
    expect(seen).to.deep.equal([{ phase: 'Old' }]);
  });

  const cases: {
    name: string;
    current: Record<string, unknown> | undefined;
    desired: Record<string, unknown>;
    patch: unknown;
  }[] = [
    {
      name: 'writes nothing when the stored status already matches',
      current: { observedGeneration: 3, phase: 'Ready', nested: { a: 1 } },
      desired: { nested: { a: 1 }, phase: 'Ready' },
      patch: undefined,
    },
    {
      name: 'writes the whole status the first time',
      current: undefined,
      desired: { phase: 'Ready' },
      patch: { metadata: { resourceVersion: '11' }, status: { phase: 'Ready', observedGeneration: 3 } },
    },
    {
      name: 'removes keys the desired status no longer has, at any depth',
      current: { observedGeneration: 3, phase: 'Ready', stale: 'x', nested: { keep: 1, gone: 2 } },
      desired: { phase: 'Ready', nested: { keep: 1 } },
      patch: { metadata: { resourceVersion: '11' }, status: { stale: null, nested: { gone: null } } },
    },
    {
      name: 'moves observedGeneration forward when only the generation changed',
      current: { observedGeneration: 2, phase: 'Ready' },
      desired: { phase: 'Ready' },
      patch: { metadata: { resourceVersion: '11' }, status: { observedGeneration: 3 } },
    },
  ];
  for (const { name, current, desired, patch } of cases) {
    it(name, async () => {
      const obj = widget(current);
      expect(statusPatch(obj, statusToWrite(obj, desired))).to.deep.equal(patch);
      const client = recordingClient();
      const result = await updateStatus(client, widgets, obj, desired);
      expect(result.written).to.equal(patch !== undefined);
      expect(client.calls).to.deep.equal(patch === undefined ? [] : [[widgets, 'ns', 'w', patch, 'status']]);
    });
  }
});
