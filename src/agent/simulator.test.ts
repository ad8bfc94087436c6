import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { freePort } from '../envtest/ports.js';
import { ResourceType } from '../generated/gateway/worker/v1/resources.js';
import {
  SyncSession,
  agentClient,
  agentPki,
  jsonResource,
  update,
  wafRule,
} from '../../test/support/agent-fixtures.js';
import { startSimulatedGateways, type SimulatedGateways } from './simulator.js';

describe('simulated gateways', () => {
  let root: string;
  let sim: SimulatedGateways;
  let port: number;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'gateway-sim-'));
    port = await freePort();
    sim = await startSimulatedGateways({ count: 3, tls: (await agentPki()).agent, dirRoot: root, port });
  });

  after(async () => {
    await sim.stop();
    await rm(root, { recursive: true, force: true });
  });

  it('start on 127.0.0.2-4, one port, one folder each', () => {
    expect(sim.gateways.map((g) => g.address)).to.deep.equal([2, 3, 4].map((n) => `127.0.0.${n}:${port}`));
    expect(sim.gateways.map((g) => g.dir)).to.deep.equal([0, 1, 2].map((i) => join(root, `gateway-${i}`)));
  });

  it('each ACK an update and write it to its own folder; a forced NACK hits only its gateway', async () => {
    const { worker } = await agentPki();
    const request = update(ResourceType.RESOURCE_TYPE_WAF_RULES, [
      jsonResource('default/base', { version: '1.0', rules: [wafRule('r1')] }),
    ]);
    sim.gateways[1]!.rejectNext(ResourceType.RESOURCE_TYPE_WAF_RULES, 'gateway-1 says no');
    const answers = await Promise.all(
      sim.gateways.map(async (gateway) => {
        const client = agentClient(gateway.address, worker);
        const session = new SyncSession(client);
        try {
          return await session.exchange(request);
        } finally {
          session.close();
          client.close();
        }
      }),
    );
    expect(answers.map((a) => [a.gateway, a.version, a.errorMessage])).to.deep.equal([
      ['gateway-0', request.version, ''],
      ['gateway-1', '', 'gateway-1 says no'],
      ['gateway-2', request.version, ''],
    ]);
    for (const i of [0, 2]) {
      expect(sim.gateways[i]!.appliedVersions()).to.deep.equal({ RESOURCE_TYPE_WAF_RULES: request.version });
      expect(await readFile(join(sim.gateways[i]!.dir, 'waf-rules.yaml'), 'utf8')).to.include('id: "r1"');
    }
    expect(sim.gateways[1]!.appliedVersions()).to.deep.equal({});
  });
});
