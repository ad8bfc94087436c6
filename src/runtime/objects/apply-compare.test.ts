import { expect } from 'chai';
import type { KubeObject } from '../kube/resource.js';
import { needsApply } from './apply-compare.js';

const owner = {
  apiVersion: 'test.gateway-worker.dev/v1',
  kind: 'Widget',
  name: 'w',
  uid: 'u1',
  controller: true,
  blockOwnerDeletion: true,
};

function configMap(overrides: Partial<KubeObject> & { data?: Record<string, string> } = {}): KubeObject {
  return {
    metadata: { name: 'cm', namespace: 'ns', labels: { app: 'gw' }, ownerReferences: [owner] },
    data: { a: '1' },
    ...overrides,
  };
}

function cached(extra: Partial<KubeObject['metadata']> = {}, rest: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: 'cm',
      namespace: 'ns',
      uid: 'c1',
      resourceVersion: '7',
      labels: { app: 'gw', 'other.io/added': 'x' },
      annotations: { 'kubectl.kubernetes.io/note': 'y' },
      ownerReferences: [owner],
      ...extra,
    },
    data: { a: '1' },
    ...rest,
  };
}

describe('needsApply', () => {
  const cases: { name: string; desired: KubeObject; cached: KubeObject | undefined; result: boolean }[] = [
    { name: 'applies when nothing is cached', desired: configMap(), cached: undefined, result: true },
    {
      name: "skips when every field we set is there, ignoring others' labels and annotations",
      desired: configMap(),
      cached: cached(),
      result: false,
    },
    {
      name: 'applies when a data value changed',
      desired: configMap({ data: { a: '2' } }),
      cached: cached(),
      result: true,
    },
    {
      name: 'applies when a data key must be removed',
      desired: configMap({ data: {} }),
      cached: cached(),
      result: true,
    },
    {
      name: 'applies when one of our labels changed',
      desired: configMap(),
      cached: cached({ labels: { app: 'old' } }),
      result: true,
    },
    {
      name: 'applies when our owner reference is missing',
      desired: configMap(),
      cached: cached({ ownerReferences: [] }),
      result: true,
    },
    {
      name: 'skips when another owner reference sits beside ours',
      desired: configMap(),
      cached: cached({ ownerReferences: [{ apiVersion: 'v1', kind: 'Other', name: 'o', uid: 'u2' }, owner] }),
      result: false,
    },
    {
      name: 'skips when the server defaulted extra spec fields',
      desired: { metadata: { name: 'cm', namespace: 'ns' }, spec: { size: 1 } },
      cached: cached({}, { spec: { size: 1, defaulted: 'yes' } }),
      result: false,
    },
    {
      name: 'applies when managedFields show we own a label we no longer set',
      desired: configMap({ metadata: { name: 'cm', namespace: 'ns', ownerReferences: [owner] } }),
      cached: cached({
        managedFields: [
          {
            manager: 'gateway-worker',
            operation: 'Apply',
            fieldsV1: {
              'f:metadata': {
                'f:labels': { '.': {}, 'f:app': {} },
                'f:ownerReferences': { 'k:{"uid":"u1"}': {} },
              },
              'f:data': { 'f:a': {} },
            },
          },
        ],
      }),
      result: true,
    },
    {
      name: 'ignores fields another manager owns',
      desired: configMap(),
      cached: cached({
        managedFields: [{ manager: 'kubectl', operation: 'Update', fieldsV1: { 'f:data': { 'f:zzz': {} } } }],
      }),
      result: false,
    },
  ];
  for (const { name, desired, cached: have, result } of cases) {
    it(name, () => {
      expect(needsApply(desired, have)).to.equal(result);
    });
  }
});
