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

describe('Pusher at start, while controllers publish what exists (real agents over mTLS)', () => {
  let root: string;
  let sim: SimulatedGateways;
  let pki: Awaited<ReturnType<typeof agentPki>>;

  before(async () => {
    pki = await agentPki();
    root = await mkdtemp(join(tmpdir(), 'pusher-hold-'));
    sim = await startSimulatedGateways({ count: 1, tls: pki.agent, dirRoot: root });
  });

  after(async () => {
    await sim.stop();
    await rm(root, { recursive: true, force: true });
  });

  /** Per type, the resources in every update the gateway accepts from now on. */
  function recordUpdates(): Map<ResourceType, number[]> {
    const seen = new Map<ResourceType, number[]>();
    const gateway = sim.gateways[0];
    if (!gateway) throw new Error('no gateway');
    const state = gateway.agent.state;
    const apply = state.apply.bind(state);
    state.apply = async (type, version, resources, delta) => {
      const result = await apply(type, version, resources, delta);
      if (result.kind === 'ack')
        seen.set(type, [...(seen.get(type) ?? []), state.appliedResources(type).length]);
      return result;
    };
    return seen;
  }

  function pusherFor(holdLimitMs?: number): Pusher {
    const pusher = new Pusher({
      tls: pki.worker,
      logger: silentLogger,
      quietMs: 5,
      maxDelayMs: 50,
      holdLimitMs,
    });
    pusher.setGateways(sim.gateways.map((g) => ({ name: g.name, address: g.address, labels: {} })));
    return pusher;
  }

  it("sends nothing of a kind's types until its controller has published what exists, then all of it", async () => {
    const seen = recordUpdates();
    const pusher = pusherFor();
    let published: () => void = () => undefined;
    pusher.holdUntilPublished('WafRuleSet', new Promise((resolve) => (published = resolve)));
    await pusher.start();
    pusher.publish('WafRuleSet:a/one', undefined, [ruleSet('a/one', 'r1')]);
    await eventually(
      'the routes (not held) answered',
      () => (seen.get(ResourceType.RESOURCE_TYPE_ROUTES) ?? []).length > 0,
    );
    expect(seen.get(ResourceType.RESOURCE_TYPE_WAF_RULES), 'no WAF update while held').to.equal(undefined);
    pusher.publish('WafRuleSet:b/two', undefined, [ruleSet('b/two', 'r2')]);
    published();
    await eventually('both rule sets applied', () => pusher.status('WafRuleSet:b/two').summary === '1/1');
    expect(seen.get(ResourceType.RESOURCE_TYPE_WAF_RULES), 'one update with everything').to.deep.equal([2]);
    await pusher.stop();
  });

  it('stops holding after its limit, for a controller that never finishes', async () => {
    const seen = recordUpdates();
    const pusher = pusherFor(50);
    pusher.holdUntilPublished('WafRuleSet', new Promise<void>(() => undefined));
    await pusher.start();
    pusher.publish('WafRuleSet:c/three', undefined, [ruleSet('c/three', 'r3')]);
    await eventually(
      'the rule set applied after the limit',
      () => pusher.status('WafRuleSet:c/three').summary === '1/1',
    );
    expect(seen.get(ResourceType.RESOURCE_TYPE_WAF_RULES)).to.deep.equal([1]);
    await pusher.stop();
  });
});
