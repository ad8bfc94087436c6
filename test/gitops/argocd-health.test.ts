import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { LuaFactory } from 'wasmoon';
import { renderArgoCdConfigMap } from '../../scripts/render-argocd.js';
import { KINDS } from '../../src/api/v1alpha1/index.js';

const SCRIPT = readFileSync(new URL('../../gitops/argocd/health.lua', import.meta.url), 'utf8');
const factory = new LuaFactory();

interface Health {
  status: string;
  message: string;
}

/** Runs the health script in a real Lua VM (Lua compiled to WebAssembly), as Argo CD would. */
async function health(obj: object): Promise<Health> {
  const lua = await factory.createEngine();
  try {
    lua.global.set('obj', obj);
    return (await lua.doString(SCRIPT)) as Health;
  } finally {
    lua.global.close();
  }
}

const cond = (type: string, status: string, reason = 'Reason', message = `${type} ${status}`) => ({
  type,
  status,
  reason,
  message,
});
const cert = (status?: object, generation = 2) => ({
  apiVersion: 'gateway.awesomeapi.com.br/v1alpha1',
  kind: 'Certificate',
  metadata: { name: 'shop', generation },
  ...(status ? { status } : {}),
});

describe('Argo CD health script', () => {
  const cases: [string, object, string, string?][] = [
    ['no status yet → Progressing', cert(), 'Progressing', 'Waiting for gateway-worker to reconcile'],
    [
      'a generation not yet observed → Progressing, even if Ready',
      cert({ observedGeneration: 1, conditions: [cond('Ready', 'True')] }),
      'Progressing',
      'Waiting for gateway-worker to observe generation 2',
    ],
    [
      'Ready=True → Healthy',
      cert({
        observedGeneration: 2,
        conditions: [cond('Ready', 'True', 'Issued', 'valid until 2027-01-01')],
      }),
      'Healthy',
      'valid until 2027-01-01',
    ],
    [
      'Ready=Unknown → Progressing',
      cert({ observedGeneration: 2, conditions: [cond('Ready', 'Unknown')] }),
      'Progressing',
    ],
    [
      'Ready=False while issuing → Progressing',
      cert({ observedGeneration: 2, conditions: [cond('Ready', 'False', 'Issuing', 'order pending')] }),
      'Progressing',
      'order pending',
    ],
    [
      'Ready=False, TestsFailed → Degraded',
      cert({
        observedGeneration: 2,
        conditions: [cond('Ready', 'False', 'TestsFailed', '2 of 5 tests failed')],
      }),
      'Degraded',
      '2 of 5 tests failed',
    ],
    [
      'Stalled=True → Degraded',
      cert({ observedGeneration: 2, conditions: [cond('Stalled', 'True', 'RateLimited', 'retry after 1h')] }),
      'Degraded',
      'retry after 1h',
    ],
    [
      'a temporary certificate → Degraded though Ready',
      cert({
        observedGeneration: 2,
        conditions: [
          cond('Ready', 'True'),
          cond('Temporary', 'True', 'CAUnavailable', 'self-signed until the CA answers'),
        ],
      }),
      'Degraded',
      'self-signed until the CA answers',
    ],
    [
      'a gateway rejected the version → Degraded',
      cert({
        observedGeneration: 2,
        conditions: [cond('Ready', 'True'), cond('Synced', 'False', 'Rejected', 'gw-2: bad regex')],
      }),
      'Degraded',
      'gw-2: bad regex',
    ],
    [
      'gateways still applying → Progressing',
      cert({
        observedGeneration: 2,
        conditions: [cond('Ready', 'True'), cond('Synced', 'False', 'Pending', '2/3 gateways')],
      }),
      'Progressing',
      '2/3 gateways',
    ],
    [
      'a migration that failed → Degraded: a person must fix the file',
      cert({
        observedGeneration: 2,
        conditions: [cond('Ready', 'False', 'MigrationFailed', 'V2__x.sql failed at statement 3')],
      }),
      'Degraded',
      'V2__x.sql failed at statement 3',
    ],
    [
      'a database that cannot be reached → Progressing: it is retried',
      cert({
        observedGeneration: 2,
        conditions: [cond('Ready', 'False', 'Unreachable', 'connect ECONNREFUSED')],
      }),
      'Progressing',
      'connect ECONNREFUSED',
    ],
    [
      'a backup waiting for its first scheduled run → Healthy',
      cert({
        observedGeneration: 2,
        conditions: [
          cond('Ready', 'True', 'Scheduled', 'scheduled; the first backup is at 2026-01-01T03:00:00.000Z'),
        ],
      }),
      'Healthy',
    ],
  ];
  for (const [name, obj, status, message] of cases) {
    it(name, async () => {
      const hs = await health(obj);
      expect(hs.status).to.equal(status);
      if (message !== undefined) expect(hs.message).to.equal(message);
    });
  }

  it('is registered for every kind in the shipped argocd-cm patch, which is up to date', () => {
    const shipped = readFileSync(new URL('../../gitops/argocd/argocd-cm.yaml', import.meta.url), 'utf8');
    expect(shipped, 'gitops/argocd/argocd-cm.yaml is stale: run npx tsx scripts/render-argocd.ts').to.equal(
      renderArgoCdConfigMap(),
    );
    for (const { kind } of KINDS) {
      expect(shipped).to.contain(`resource.customizations.health.gateway.awesomeapi.com.br_${kind}: |`);
    }
  });
});
