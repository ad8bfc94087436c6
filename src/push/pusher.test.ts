import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { agentPki, wafRule } from '../../test/support/agent-fixtures.js';
import { eventually } from '../../test/support/grpc-fixtures.js';
import { startSimulatedGateways, type SimulatedGateways } from '../agent/simulator.js';
import { contentVersion, type ConfigResource } from '../domain/snapshot/snapshot.js';
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

  it('tells every owner on a gateway when that gateway goes away', async () => {
    told.length = 0;
    const [first] = sim.gateways;
    if (!first) throw new Error('no gateway');
    pusher.setGateways([{ name: first.name, address: first.address, labels: {} }]);
    await eventually('both owners told', () => new Set(told).size === 2);
    expect(pusher.status('WafRuleSet:b/two').summary).to.equal('1/1');
  });
});
