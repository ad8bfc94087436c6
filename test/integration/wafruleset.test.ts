import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { parse } from 'yaml';
import {
  WafRuleSetResource,
  type WafRuleSet,
  type WafRuleSetSpec,
  statusOf,
} from '../../src/api/v1alpha1/index.js';
import { main } from '../../src/cli/main.js';
import { RULE_SET_LABEL } from '../../src/controllers/wafruleset/revisions.js';
import { ResourceType } from '../../src/generated/gateway/worker/v1/resources.js';
import { CoreTypes, type ConfigMap } from '../../src/runtime/kube/resource.js';
import { findCondition } from '../../src/runtime/status/conditions.js';
import { startOperatorHarness, type OperatorHarness } from '../support/operator-harness.js';
import { sharedCluster } from '../support/shared-cluster.js';
import { eventually } from '../support/widgets.js';

function rule(id: string, pattern: string) {
  return {
    id,
    conditions: [{ field: 'uri', operator: 'regex' as const, value: pattern }],
    action: { type: 'block' as const, message: `${id} matched` },
  };
}

function spec(...rules: ReturnType<typeof rule>[]): WafRuleSetSpec {
  return {
    rules,
    tests: [
      { name: 'ordinary request', request: { uri: '/products?page=2' }, expect: 'allow' },
      { name: 'traversal', request: { uri: '/files/../../etc/passwd' }, expect: 'block' },
    ],
  } as unknown as WafRuleSetSpec;
}

const TRAVERSAL = rule('traversal', '\\.\\./');
const SQLI = rule('sqli', '(?i)union\\s+select');
const XSS = rule('xss', '(?i)<script');

function ruleIds(dir: string): string[] {
  const file = parse(readFileSync(join(dir, 'waf-rules.yaml'), 'utf8')) as { rules: { id: string }[] };
  return file.rules.map((r) => r.id);
}

describe('WafRuleSet end to end (real API server, operator, simulated gateways)', function () {
  this.timeout(120_000);
  let h: OperatorHarness;

  before(async () => {
    h = await startOperatorHarness('waf', { gateways: 3 });
  });
  after(async () => {
    await h.stop();
  });

  const get = () => h.client.get<WafRuleSet>(WafRuleSetResource, h.namespace, 'edge');
  const condition = async (type: string) => findCondition(statusOf(await get())?.conditions, type);
  const everyGatewayHas = async (ids: string[], what: string) =>
    eventually(
      () =>
        h.gateways.simulated.gateways.every((g) => {
          try {
            return JSON.stringify(ruleIds(g.dir)) === JSON.stringify(ids);
          } catch {
            return false;
          }
        }),
      30_000,
      what,
    );
  const revisions = async () =>
    (
      await h.client.list<ConfigMap>(CoreTypes.configMap, h.namespace, {
        labelSelector: `${RULE_SET_LABEL}=edge`,
      })
    ).items;
  // A merge patch, as `kubectl apply` sends: it does not race the operator's status writes.
  const edit = async (next: WafRuleSetSpec) => {
    await h.client.mergePatch(WafRuleSetResource, h.namespace, 'edge', { spec: next });
  };

  it('compiles, stores a revision, pushes it to every gateway and says 3/3', async () => {
    await h.client.create<WafRuleSet>(WafRuleSetResource, {
      apiVersion: 'gateway.awesomeapi.com.br/v1alpha1',
      kind: 'WafRuleSet',
      metadata: { namespace: h.namespace, name: 'edge' },
      spec: spec(TRAVERSAL, SQLI),
    } as WafRuleSet);
    await eventually(async () => (await condition('Ready'))?.status === 'True', 30_000, 'Ready=True');
    const rs = await get();
    expect(statusOf(rs)?.gateways?.summary).to.equal('3/3');
    expect(statusOf(rs)?.revision).to.equal(1);
    expect(statusOf(rs)?.ruleCount).to.equal(2);
    const stored = await revisions();
    expect(stored).to.have.length(1);
    expect(stored[0]?.immutable).to.equal(true);
    await everyGatewayHas(['traversal', 'sqli'], 'every agent to write both rules');
    const versions = h.gateways.simulated.gateways.map((g) => g.appliedVersions()['RESOURCE_TYPE_WAF_RULES']);
    expect(new Set(versions).size, 'one version everywhere').to.equal(1);
  });

  it('keeps the previous revision in service when an edit does not compile, and says why', async () => {
    await edit(spec(TRAVERSAL, rule('broken', '(unclosed')));
    await eventually(
      async () => (await condition('Compiled'))?.reason === 'CompileFailed',
      30_000,
      'CompileFailed',
    );
    const rs = await get();
    expect(findCondition(statusOf(rs)?.conditions, 'Compiled')?.message).to.match(
      /spec\.rules\[1\]\.conditions\[0\]\.value: .*unclosed group/,
    );
    expect(statusOf(rs)?.revision).to.equal(1);
    expect(statusOf(rs)?.errors?.[0]?.path).to.equal('spec.rules[1].conditions[0].value');
    expect(findCondition(statusOf(rs)?.conditions, 'Ready')?.status).to.equal('False');
    for (const g of h.gateways.simulated.gateways)
      expect(ruleIds(g.dir)).to.deep.equal(['traversal', 'sqli']);
  });

  it('keeps the previous revision when a test fails, naming the test', async () => {
    await edit(spec(SQLI));
    await eventually(
      async () => (await condition('Compiled'))?.reason === 'TestsFailed',
      30_000,
      'TestsFailed',
    );
    expect((await condition('Compiled'))?.message).to.include('traversal');
    expect(statusOf(await get())?.revision).to.equal(1);
  });

  it('rolls out a second revision, and `rollback --to-revision 1` restores the first spec', async () => {
    await edit(spec(TRAVERSAL, SQLI, XSS));
    await eventually(async () => statusOf(await get())?.revision === 2, 30_000, 'revision 2');
    await everyGatewayHas(['traversal', 'sqli', 'xss'], 'revision 2 on every gateway');
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(
      ['rollback', 'wafruleset/edge', '--to-revision', '1', '-n', h.namespace],
      { KUBECONFIG: (await sharedCluster()).kubeconfigPath },
      { stdout: (t) => out.push(t), stderr: (t) => err.push(t) },
    );
    expect(code, err.join('')).to.equal(0);
    expect(out.join('')).to.include('rolled back to revision 1');
    expect((await get()).spec.rules?.map((r) => r.id)).to.deep.equal(['traversal', 'sqli']);
    await eventually(
      async () => statusOf(await get())?.revision === 1,
      30_000,
      'revision 1 in service again',
    );
    await everyGatewayHas(['traversal', 'sqli'], 'revision 1 on every gateway');
  });

  it('falls back to the last good revision everywhere when a gateway rejects a new one', async () => {
    h.gateways.simulated.gateways[1]!.rejectNext(
      ResourceType.RESOURCE_TYPE_WAF_RULES,
      'rule xss: not loadable',
    );
    await edit(spec(TRAVERSAL, SQLI, XSS, rule('scanner', '(?i)sqlmap')));
    await eventually(
      async () => (await condition('Degraded'))?.reason === 'RolledBack',
      30_000,
      'RolledBack',
    );
    const degraded = await condition('Degraded');
    expect(degraded?.message).to.include('gateway-1').and.include('rule xss: not loadable');
    await everyGatewayHas(['traversal', 'sqli'], 'the last good revision on every gateway');
    await eventually(
      async () => statusOf(await get())?.gateways?.summary === '3/3',
      30_000,
      '3/3 on the fallback',
    );
    expect(statusOf(await get())?.revision).to.equal(1);
    expect(findCondition(statusOf(await get())?.conditions, 'Ready')?.status).to.equal('False');
  });
});
