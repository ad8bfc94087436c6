import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { KubeConfig } from '@kubernetes/client-node';
import { Registry } from 'prom-client';
import { usesExistingCluster, type Cluster } from '../../src/envtest/cluster.js';
import { KubeClient } from '../../src/runtime/kube/client.js';
import { CoreTypes, type KubeObject } from '../../src/runtime/kube/resource.js';
import { LeaderElector, microTime } from '../../src/runtime/leader-election.js';
import { silentLogger } from '../../src/runtime/logger.js';
import { sharedCluster, uniqueName } from '../support/shared-cluster.js';
import { TcpGate } from '../support/tcp-gate.js';
import { eventually } from '../support/widgets.js';

/** Short enough for a test, in the same proportions as client-go's 15 s / 10 s / 2 s. */
const TIMING = { leaseDurationMs: 2_000, renewDeadlineMs: 1_500, retryPeriodMs: 250 };
const LEASE = 'gateway-worker';

interface Lease extends KubeObject {
  spec?: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

interface Candidate {
  readonly identity: string;
  readonly elector: LeaderElector;
  readonly client: KubeClient;
  /** Date.now() of every onStartedLeading / onStoppedLeading call. */
  readonly startedAt: number[];
  readonly stoppedAt: number[];
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('leader election (real API server)', function () {
  this.timeout(120_000);
  let cluster: Cluster;
  let admin: KubeClient;
  let namespace: string;
  let live: Candidate[];

  before(async () => {
    cluster = await sharedCluster();
    admin = new KubeClient(cluster.kubeConfig);
  });
  after(() => {
    admin.close();
  });

  beforeEach(async () => {
    namespace = uniqueName('leader');
    await admin.create(CoreTypes.namespace, { metadata: { name: namespace } });
    live = [];
  });
  afterEach(async () => {
    await Promise.all(live.map((c) => c.elector.stop()));
    for (const c of live) c.client.close();
  });

  function candidate(identity: string, client = new KubeClient(cluster.kubeConfig)): Candidate {
    const startedAt: number[] = [];
    const stoppedAt: number[] = [];
    const elector = new LeaderElector({
      client,
      namespace,
      name: LEASE,
      identity,
      ...TIMING,
      logger: silentLogger,
      onStartedLeading: () => startedAt.push(Date.now()),
      onStoppedLeading: () => {
        stoppedAt.push(Date.now());
      },
    });
    const c = { identity, elector, client, startedAt, stoppedAt };
    live.push(c);
    void elector.run();
    return c;
  }

  async function leaderAmong(candidates: Candidate[]): Promise<Candidate> {
    await eventually(() => candidates.some((c) => c.elector.isLeader()), 10_000, 'a leader');
    return candidates.find((c) => c.elector.isLeader())!;
  }

  const readLease = (): Promise<Lease> => admin.get<Lease>(CoreTypes.lease, namespace, LEASE);

  it('lets exactly one of two candidates lead, and the Lease names it', async () => {
    const candidates = [candidate('a'), candidate('b')];
    const leader = await leaderAmong(candidates);
    // Longer than a lease duration, so a standby that wrongly took over would show up.
    for (let i = 0; i < 150; i++) {
      expect(candidates.filter((c) => c.elector.isLeader())).to.deep.equal([leader]);
      await sleep(20);
    }
    const spec = (await readLease()).spec;
    expect(spec).to.include({
      holderIdentity: leader.identity,
      leaseDurationSeconds: 2,
      leaseTransitions: 0,
    });
    expect(spec?.renewTime).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(candidates.map((c) => c.startedAt.length)).to.have.members([1, 0]);
  });

  it('hands over within about one retry period when the leader stops and releases', async () => {
    let previous = await leaderAmong([candidate('gen-0')]);
    const handovers: number[] = [];
    for (let round = 1; round <= 3; round++) {
      const standby = candidate(`gen-${round}`);
      await sleep(300); // the standby has seen the Lease held
      const stopAt = Date.now();
      await previous.elector.stop();
      await eventually(() => standby.startedAt.length === 1, 5_000, `gen-${round} to lead`);
      handovers.push(standby.startedAt[0]! - stopAt);
      expect(previous.stoppedAt[0], 'the old leader stopped before the new one started').to.be.at.most(
        standby.startedAt[0]!,
      );
      previous = standby;
    }
    console.log(`      hand-over after stop() (ms): ${handovers.join(', ')}`);
    for (const ms of handovers) expect(ms).to.be.lessThan(3_000);
    expect((await readLease()).spec).to.include({ holderIdentity: 'gen-3', leaseTransitions: 3 });
  });

  // Both need the local control plane: its port (for the TCP gate) and its client CA.
  const localOnly = usesExistingCluster() ? () => undefined : it;

  localOnly('stops a leader whose renews fail before a standby may take over', async () => {
    const local = cluster.local!;
    const gate = await TcpGate.start(local.apiServerPort);
    try {
      const kubeConfig = new KubeConfig();
      kubeConfig.loadFromString(
        readFileSync(cluster.kubeconfigPath, 'utf8').replace(
          `127.0.0.1:${local.apiServerPort}`,
          `127.0.0.1:${gate.port}`,
        ),
      );
      const cutOff = candidate('cut-off', new KubeClient(kubeConfig));
      await leaderAmong([cutOff]);
      const standby = candidate('standby');
      await sleep(500);

      const cutAt = Date.now();
      gate.close();
      await eventually(() => standby.startedAt.length === 1, 10_000, 'the standby to lead');
      const stopped = cutOff.stoppedAt[0]! - cutAt;
      const tookOver = standby.startedAt[0]! - cutAt;
      console.log(
        `      partition: old leader stopped after ${stopped} ms, standby led after ${tookOver} ms`,
      );
      // Its last good renew began before the cut, so it gives up about renewDeadline after the cut
      // (exact timing is pinned by the FakeClock unit test); here, what matters is before anyone
      // else may consider the lease expired.
      expect(stopped).to.be.lessThan(TIMING.leaseDurationMs);
      expect(cutOff.stoppedAt[0], 'no moment with two leaders').to.be.lessThan(standby.startedAt[0]!);
      expect(cutOff.elector.isLeader()).to.equal(false);
      gate.reopen();
    } finally {
      await gate.stop();
    }
  });

  it('stops a leader promptly when another party overwrites the holder, then takes it back', async () => {
    const leader = await leaderAmong([candidate('a')]);
    const stealAt = Date.now();
    await admin.mergePatch(CoreTypes.lease, namespace, LEASE, {
      spec: { holderIdentity: 'thief', renewTime: microTime(Date.now()) },
    });
    await eventually(() => leader.stoppedAt.length === 1, 5_000, 'the leader to stop');
    const reaction = leader.stoppedAt[0]! - stealAt;
    console.log(`      stolen lease noticed after ${reaction} ms`);
    expect(reaction).to.be.lessThan(TIMING.renewDeadlineMs);
    expect(leader.elector.isLeader()).to.equal(false);

    // The thief never renews: once its record stood still for a lease duration, it is ours again.
    await eventually(() => leader.startedAt.length === 2, 10_000, 'the lease to come back');
    expect(leader.startedAt[1]! - leader.stoppedAt[0]!).to.be.at.least(TIMING.leaseDurationMs - 300);
    expect((await readLease()).spec).to.include({ holderIdentity: 'a', leaseTransitions: 1 });
  });

  localOnly(
    'never lets a candidate without RBAC rights lead or write, even once the Lease is released',
    async () => {
      const registry = new Registry();
      const noRights = new KubeClient(await cluster.local!.kubeConfigFor('no-rights'), { registry });
      const leader = await leaderAmong([candidate('a')]);
      const outsider = candidate('outsider', noRights);
      await sleep(1_000);
      await leader.elector.stop();
      await sleep(1_000);

      expect(outsider.startedAt).to.deep.equal([]);
      expect(outsider.elector.isLeader()).to.equal(false);
      const requests =
        (await registry.getSingleMetric('gateway_worker_kube_api_requests_total')?.get())?.values ?? [];
      expect(requests.length).to.be.greaterThan(0);
      expect(requests.map((r) => `${r.labels.verb} ${r.labels.code}`)).to.deep.equal(['get 403']);
      expect((await readLease()).spec).to.include({
        holderIdentity: '',
        leaseDurationSeconds: 1,
        leaseTransitions: 0,
      });
    },
  );
});
