import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { agentPki, wafRule } from '../../test/support/agent-fixtures.js';
import { eventually } from '../../test/support/grpc-fixtures.js';
import { startSimulatedGateways, type SimulatedGateways } from '../agent/simulator.js';
import { contentVersion, type ConfigResource } from '../domain/snapshot/snapshot.js';
import { ResourceType } from '../generated/gateway/worker/v1/resources.js';
import { silentLogger } from '../runtime/logger.js';
import { Pusher } from './pusher.js';

function ruleSet(name: string, ...ids: string[]): ConfigResource {
  const payload = new TextEncoder().encode(
    JSON.stringify({ version: '1', rules: ids.map((id) => wafRule(id)) }),
  );
  return { type: 'waf', name, version: contentVersion(payload), payload };
}

describe('Pusher status notifications (real agents over mTLS)', () => {
  let root: string;
  let sim: SimulatedGateways;
  let pusher: Pusher;
  const told: string[] = [];

  before(async () => {
    const { agent, worker } = await agentPki();
    root = await mkdtemp(join(tmpdir(), 'pusher-'));
    sim = await startSimulatedGateways({ count: 2, tls: agent, dirRoot: root });
    pusher = new Pusher({
      tls: worker,
      logger: silentLogger,
      quietMs: 5,
      maxDelayMs: 50,
      onStatusChange: (owner) => told.push(owner),
    });
    pusher.setGateways(sim.gateways.map((g) => ({ name: g.name, address: g.address, labels: {} })));
    await pusher.start();
  });

  after(async () => {
    await pusher.stop();
    await sim.stop();
    await rm(root, { recursive: true, force: true });
  });

  it("tells an owner of its own status changes only, not of every other owner's ACKs", async () => {
    pusher.publish('WafRuleSet:a/one', undefined, [ruleSet('a/one', 'r1')]);
    pusher.publish('WafRuleSet:b/two', undefined, [ruleSet('b/two', 'r2')]);
    await eventually('both owners synced on both gateways', () =>
      ['WafRuleSet:a/one', 'WafRuleSet:b/two'].every((o) => pusher.status(o).summary === '2/2'),
    );
    expect(told.at(-1)).to.not.equal(undefined);
    told.length = 0;

    pusher.publish('WafRuleSet:a/one', undefined, [ruleSet('a/one', 'r1', 'r3')]);
    await eventually(
      'the new version on both gateways',
      () => pusher.status('WafRuleSet:a/one').summary === '2/2',
    );
    // Out of sync on the new version (0/2), then 1/2, then 2/2: at most three changes, all a's.
    expect(told).to.have.length.within(1, 3);
    expect(new Set(told)).to.deep.equal(new Set(['WafRuleSet:a/one']));
  });

  it('sends a change to a few of many resources as an increment on the acknowledged state, and the complete state when the gateway refuses it', async () => {
    const gateway = sim.gateways[0];
    if (!gateway) throw new Error('no gateway');
    const state = gateway.agent.state;
    const apply = state.apply.bind(state);
    const received: { resources: number; incremental: boolean }[] = [];
    state.apply = (type, version, resources, delta) => {
      if (type === ResourceType.RESOURCE_TYPE_WAF_RULES)
        received.push({ resources: resources.length, incremental: delta !== undefined });
      return apply(type, version, resources, delta);
    };
    const owners = ['c/1', 'c/2', 'c/3', 'c/4'];
    const synced = (what: string) =>
      eventually(what, () => owners.every((o) => pusher.status(`WafRuleSet:${o}`).summary === '2/2'));
    for (const o of owners)
      pusher.publish(`WafRuleSet:${o}`, undefined, [ruleSet(o, `r-${o.replace('/', '-')}`)]);
    await synced('four more rule sets on both gateways');
    received.length = 0;

    pusher.publish('WafRuleSet:c/2', undefined, [ruleSet('c/2', 'r-c-2', 'extra')]);
    await synced('the changed rule set on both gateways');
    // One changed resource of the six (a/one, b/two and c/1-4) travels, not all six.
    expect(received).to.deep.equal([{ resources: 1, incremental: true }]);
    expect(state.appliedResources(ResourceType.RESOURCE_TYPE_WAF_RULES)).to.have.length(6);

    received.length = 0;
    gateway.rejectNext(ResourceType.RESOURCE_TYPE_WAF_RULES, 'not now');
    pusher.publish('WafRuleSet:c/3', undefined, [ruleSet('c/3', 'r-c-3', 'extra')]);
    await synced('the next change on both gateways, through the complete state');
    expect(received).to.deep.equal([
      { resources: 1, incremental: true },
      { resources: 6, incremental: false },
    ]);
  });

  it('tells every owner on a gateway when that gateway goes away', async () => {
    told.length = 0;
    const [first] = sim.gateways;
    if (!first) throw new Error('no gateway');
    pusher.setGateways([{ name: first.name, address: first.address, labels: {} }]);
    // a/one, b/two and c/1-4 all lost a gateway.
    await eventually('all six owners told', () => new Set(told).size === 6);
    expect(pusher.status('WafRuleSet:b/two').summary).to.equal('1/1');
  });
});
