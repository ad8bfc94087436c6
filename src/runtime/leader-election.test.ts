import { expect } from 'chai';
import { KubeConfig } from '@kubernetes/client-node';
import { Registry } from 'prom-client';
import { FakeClock } from './clock.js';
import { KubeClient, type RequestOptions } from './kube/client.js';
import { ApiError } from './kube/errors.js';
import {
  decideLease,
  defaultIdentity,
  LeaderElector,
  microTime,
  observeLease,
  type Lease,
  type LeaderElectorOptions,
  type LeaseSpec,
  type LeaseDecision,
  type LeaseRecord,
  type Observation,
} from './leader-election.js';
import { silentLogger } from './logger.js';

type Method = Parameters<KubeClient['request']>[0];

/** One Lease with the API server's optimistic concurrency: enough to drive electors on a FakeClock. */
class FakeLeaseServer {
  lease: Lease | undefined;
  readonly log: string[] = [];
  private version = 0;

  handle(method: Method, body: unknown): Lease {
    this.log.push(method);
    const sent = body as Lease | undefined;
    if (method === 'GET') {
      if (!this.lease) throw new ApiError(404, 'NotFound', 'leases not found');
      return structuredClone(this.lease);
    }
    if (!sent) throw new Error(`${method} without a body`);
    if (method === 'POST' && this.lease) throw new ApiError(409, 'AlreadyExists', 'already exists');
    if (method === 'PUT' && sent.metadata.resourceVersion !== this.lease?.metadata.resourceVersion) {
      throw new ApiError(409, 'Conflict', 'the object has been modified');
    }
    return this.store(sent);
  }

  /** Someone else overwrites the record, as `kubectl apply` or a rogue process would. */
  forceWrite(spec: LeaseSpec): void {
    this.store({ metadata: { ...this.lease?.metadata, name: 'gateway-worker' }, spec });
  }

  get spec(): LeaseSpec | undefined {
    return this.lease?.spec;
  }

  private store(lease: Lease): Lease {
    this.version += 1;
    this.lease = structuredClone({
      ...lease,
      metadata: { ...lease.metadata, resourceVersion: String(this.version) },
    });
    return structuredClone(this.lease);
  }
}

/** A client whose network can be cut ('fail') or made to swallow requests until aborted ('hang'). */
class FakeClient extends KubeClient {
  mode: 'ok' | 'fail' | 'hang' = 'ok';

  constructor(private readonly leases: FakeLeaseServer) {
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromOptions({
      clusters: [{ name: 'fake', server: 'http://127.0.0.1:1' }],
      users: [{ name: 'tester' }],
      contexts: [{ name: 'fake', cluster: 'fake', user: 'tester' }],
      currentContext: 'fake',
    });
    super(kubeConfig);
  }

  override async request<T>(method: Method, _path: string, options: RequestOptions = {}): Promise<T> {
    await Promise.resolve();
    if (this.mode === 'fail') throw new Error('connect ECONNREFUSED (simulated)');
    if (this.mode === 'hang') {
      return new Promise<T>((_resolve, reject) => {
        options.signal?.addEventListener('abort', () => {
          reject(new Error('aborted'));
        });
      });
    }
    return this.leases.handle(method, options.body) as unknown as T;
  }
}

/** Lets every pending promise chain run; the fake server answers in microtasks only. */
async function flush(): Promise<void> {
  await new Promise<void>((resolve) => setImmediate(resolve));
}

/** Moves the clock in small steps so each timer's continuation runs at its own instant. */
async function advance(clock: FakeClock, ms: number, step = 10): Promise<void> {
  await flush();
  for (let done = 0; done < ms; done += step) {
    clock.advance(Math.min(step, ms - done));
    await flush();
  }
}

const T0 = Date.UTC(2026, 0, 1);

interface Candidate {
  readonly elector: LeaderElector;
  readonly client: FakeClient;
  /** What the callbacks saw, with times relative to T0: `started@0`, `stopped@12000`, `leader:a`. */
  readonly events: string[];
}

describe('LeaderElector (FakeClock, in-memory Lease)', () => {
  let clock: FakeClock;
  let server: FakeLeaseServer;
  let live: Candidate[];

  beforeEach(() => {
    clock = new FakeClock(T0);
    server = new FakeLeaseServer();
    live = [];
  });

  afterEach(async () => {
    for (const { client, elector } of live) {
      client.mode = 'ok';
      await elector.stop();
    }
  });

  function candidate(identity: string, extra: Partial<LeaderElectorOptions> = {}): Candidate {
    const events: string[] = [];
    const client = new FakeClient(server);
    const elector = new LeaderElector({
      client,
      namespace: 'gateway-system',
      name: 'gateway-worker',
      identity,
      clock,
      random: () => 0,
      logger: silentLogger,
      onStartedLeading: () => {
        events.push(`started@${clock.now() - T0}`);
      },
      onStoppedLeading: () => {
        events.push(`stopped@${clock.now() - T0}`);
      },
      onNewLeader: (leader) => {
        events.push(`leader:${leader}`);
      },
      ...extra,
    });
    const c = { elector, client, events };
    live.push(c);
    void elector.run();
    return c;
  }

  it('creates the missing Lease in MicroTime format and leads at once', async () => {
    const registry = new Registry();
    const a = candidate('a', { registry });
    await flush();
    expect(a.elector.isLeader()).to.equal(true);
    expect(a.events).to.deep.equal(['leader:a', 'started@0']);
    expect(server.spec).to.deep.equal({
      holderIdentity: 'a',
      leaseDurationSeconds: 15,
      acquireTime: '2026-01-01T00:00:00.000000Z',
      renewTime: '2026-01-01T00:00:00.000000Z',
      leaseTransitions: 0,
    });
    const gauge = await registry.getSingleMetric('leader_election_master_status')?.get();
    expect(gauge?.values).to.deep.equal([{ labels: { name: 'gateway-worker' }, value: 1 }]);
  });

  it('renews with one PUT per retry period, no reads, keeping acquireTime and transitions', async () => {
    candidate('a');
    await advance(clock, 6_000);
    expect(server.log).to.deep.equal(['GET', 'POST', 'PUT', 'PUT', 'PUT']);
    expect(server.spec).to.include({
      acquireTime: microTime(T0),
      renewTime: microTime(T0 + 6_000),
      leaseTransitions: 0,
    });
  });

  it('lets exactly one of two candidates that start together create the Lease', async () => {
    const a = candidate('a');
    const b = candidate('b');
    await advance(clock, 10_000);
    expect([a.elector.isLeader(), b.elector.isLeader()]).to.deep.equal([true, false]);
    expect(b.events).to.deep.equal(['leader:a']);
  });

  for (const remote of ['2000-01-01T00:00:00.000000Z', '2100-01-01T00:00:00.000000Z']) {
    it(`takes over a silent holder only after leaseDuration on its own clock (remote renewTime ${remote.slice(0, 4)})`, async () => {
      server.forceWrite({
        holderIdentity: 'old',
        leaseDurationSeconds: 15,
        acquireTime: remote,
        renewTime: remote,
        leaseTransitions: 4,
      });
      const b = candidate('b');
      // Seen first at 0, so valid until 15 000: the standby wakes at that instant and takes over.
      await advance(clock, 14_990);
      expect(b.elector.isLeader()).to.equal(false);
      await advance(clock, 10);
      expect(b.elector.isLeader()).to.equal(true);
      expect(b.events).to.deep.equal(['leader:old', 'leader:b', 'started@15000']);
      expect(server.spec).to.include({
        holderIdentity: 'b',
        leaseTransitions: 5,
        acquireTime: microTime(T0 + 15_000),
      });
    });
  }

  it('never takes over from a holder that keeps renewing', async () => {
    const a = candidate('a');
    const b = candidate('b');
    await advance(clock, 60_000, 50);
    expect(a.elector.isLeader()).to.equal(true);
    expect(b.events).to.deep.equal(['leader:a']);
  });

  it('stops leading exactly renewDeadline after the last successful renew began, then re-acquires', async () => {
    const registry = new Registry();
    const a = candidate('a', { registry });
    await advance(clock, 3_000); // renews at 0 and 2 000 succeed
    a.client.mode = 'fail';
    await advance(clock, 8_990);
    expect(a.elector.isLeader()).to.equal(true);
    await advance(clock, 10);
    expect(a.elector.isLeader()).to.equal(false);
    expect(a.events).to.deep.equal(['leader:a', 'started@0', 'stopped@12000']);
    const gauge = await registry.getSingleMetric('leader_election_master_status')?.get();
    expect(gauge?.values[0]?.value).to.equal(0);

    // The Lease still names us and nobody else took it: the next poll (half a retry period) renews it.
    a.client.mode = 'ok';
    await advance(clock, 2_000);
    expect(a.events).to.deep.equal(['leader:a', 'started@0', 'stopped@12000', 'started@13000']);
    expect(server.spec?.leaseTransitions).to.equal(0);
  });

  it('does not let a hanging renew keep it leading past the deadline', async () => {
    const a = candidate('a');
    await advance(clock, 3_000);
    a.client.mode = 'hang';
    await advance(clock, 9_000);
    expect(a.events).to.deep.equal(['leader:a', 'started@0', 'stopped@12000']);
    expect(a.elector.isLeader()).to.equal(false);
  });

  it('stops leading at the next renew when another party overwrites the holder', async () => {
    const a = candidate('a');
    await advance(clock, 3_000);
    server.forceWrite({ ...server.spec, holderIdentity: 'thief', renewTime: microTime(clock.now()) });
    await advance(clock, 1_000);
    expect(a.events).to.deep.equal(['leader:a', 'started@0', 'leader:thief', 'stopped@4000']);
    // The thief never renews: seen last at 4 000, so it is ours again the moment it expires, at 19 000.
    await advance(clock, 16_000);
    expect(a.events.slice(-2)).to.deep.equal(['leader:a', 'started@19000']);
    expect(server.spec).to.include({ holderIdentity: 'a', leaseTransitions: 1 });
  });

  it('releases on stop() after onStoppedLeading, so a standby leads at its next retry', async () => {
    let holderDuringCallback: string | undefined;
    const a = candidate('a', {
      onStoppedLeading: () => {
        holderDuringCallback = server.spec?.holderIdentity;
      },
    });
    const b = candidate('b');
    await advance(clock, 5_000);
    await a.elector.stop();
    expect(holderDuringCallback).to.equal('a');
    expect(a.elector.isLeader()).to.equal(false);
    expect(server.spec).to.deep.equal({
      holderIdentity: '',
      leaseDurationSeconds: 1,
      acquireTime: microTime(T0 + 5_000),
      renewTime: microTime(T0 + 5_000),
      leaseTransitions: 0,
    });
    await advance(clock, 1_000); // b's retries fall on even seconds
    expect(b.events).to.deep.equal(['leader:a', 'leader:b', 'started@6000']);
    expect(server.spec).to.include({ holderIdentity: 'b', leaseTransitions: 1 });
  });

  it('waits for an asynchronous onStoppedLeading before releasing', async () => {
    let finishWork = (): void => undefined;
    const a = candidate('a', {
      onStoppedLeading: () =>
        new Promise<void>((resolve) => {
          finishWork = resolve;
        }),
    });
    await flush();
    const stopping = a.elector.stop();
    await flush();
    expect(server.spec?.holderIdentity, 'still held while the work drains').to.equal('a');
    finishWork();
    await stopping;
    expect(server.spec?.holderIdentity).to.equal('');
  });

  it('stops without writing when it never led', async () => {
    server.forceWrite({ holderIdentity: 'other', leaseDurationSeconds: 15, leaseTransitions: 0 });
    const b = candidate('b');
    await advance(clock, 2_000);
    const writes = server.log.length;
    await b.elector.stop();
    expect(server.log.slice(writes)).to.deep.equal([]);
    expect(b.events).to.deep.equal(['leader:other']);
  });

  it('keeps the master-status gauge per lease name in a shared registry', async () => {
    const registry = new Registry();
    candidate('a', { registry });
    const other = new LeaderElector({
      client: new FakeClient(new FakeLeaseServer()),
      namespace: 'gateway-system',
      name: 'other-lease',
      identity: 'x',
      logger: silentLogger,
      registry,
      onStartedLeading: () => undefined,
      onStoppedLeading: () => undefined,
    });
    await flush();
    const gauge = await registry.getSingleMetric('leader_election_master_status')?.get();
    expect(gauge?.values.map((v) => [v.labels.name, v.value])).to.deep.equal([
      ['gateway-worker', 1],
      ['other-lease', 0],
    ]);
    expect(other.isLeader()).to.equal(false);
  });

  const invalid: { why: string; options: Partial<LeaderElectorOptions>; message: RegExp }[] = [
    {
      why: 'renew deadline not below lease duration',
      options: { renewDeadlineMs: 15_000 },
      message: /leaseDurationMs/,
    },
    {
      why: 'retry period too close to the deadline',
      options: { retryPeriodMs: 9_000 },
      message: /1.2 × retryPeriodMs/,
    },
    { why: 'zero retry period', options: { retryPeriodMs: 0 }, message: /retryPeriodMs must be greater/ },
    { why: 'empty identity', options: { identity: '' }, message: /identity/ },
  ];
  for (const { why, options, message } of invalid) {
    it(`rejects options with ${why}`, () => {
      const build = (): LeaderElector =>
        new LeaderElector({
          client: new FakeClient(server),
          namespace: 'ns',
          name: 'n',
          identity: 'a',
          logger: silentLogger,
          onStartedLeading: () => undefined,
          onStoppedLeading: () => undefined,
          ...options,
        });
      expect(build).to.throw(message);
    });
  }
});

describe('decideLease', () => {
  const held = (holderIdentity: string, leaseDurationSeconds = 15): LeaseRecord => ({
    holderIdentity,
    leaseDurationSeconds,
    acquireTime: '2000-01-01T00:00:00.000000Z',
    renewTime: '2000-01-01T00:00:00.000000Z',
    leaseTransitions: 3,
  });
  const seenAt = (record: LeaseRecord, time: number): Observation => ({ record, time });
  const cases: { name: string; observed: Observation | undefined; now: number; want: LeaseDecision }[] = [
    { name: 'no Lease yet: create it', observed: undefined, now: 0, want: { action: 'create' } },
    {
      name: 'we hold it: renew, however old',
      observed: seenAt(held('me'), 0),
      now: 99_000,
      want: { action: 'renew' },
    },
    {
      name: 'released (empty holder): take it at once',
      observed: seenAt(held(''), 1_000),
      now: 1_000,
      want: { action: 'acquire', reason: 'released' },
    },
    {
      name: 'another holder just seen: wait until seen time + its duration',
      observed: seenAt(held('other'), 1_000),
      now: 1_000,
      want: { action: 'wait', holder: 'other', expiresAt: 16_000 },
    },
    {
      name: 'another holder unchanged for 1 ms less than its duration: wait',
      observed: seenAt(held('other'), 1_000),
      now: 15_999,
      want: { action: 'wait', holder: 'other', expiresAt: 16_000 },
    },
    {
      name: 'another holder unchanged for its whole duration: take over',
      observed: seenAt(held('other'), 1_000),
      now: 16_000,
      want: { action: 'acquire', reason: 'expired' },
    },
    {
      name: "the holder's declared duration counts, not ours",
      observed: seenAt(held('other', 60), 0),
      now: 30_000,
      want: { action: 'wait', holder: 'other', expiresAt: 60_000 },
    },
    {
      name: 'no declared duration: ours applies',
      observed: seenAt(held('other', 0), 0),
      now: 15_000,
      want: { action: 'acquire', reason: 'expired' },
    },
  ];
  for (const { name, observed, now, want } of cases) {
    it(name, () => {
      expect(decideLease(observed, 'me', now, 15_000)).to.deep.equal(want);
    });
  }
});

describe('observeLease', () => {
  const record: LeaseRecord = {
    holderIdentity: 'a',
    leaseDurationSeconds: 15,
    acquireTime: microTime(0),
    renewTime: microTime(0),
    leaseTransitions: 0,
  };
  const changes: { name: string; next: LeaseRecord; since: number }[] = [
    { name: 'an identical record keeps its first-seen time', next: { ...record }, since: 1_000 },
    { name: 'a renewal restarts the clock', next: { ...record, renewTime: microTime(2_000) }, since: 5_000 },
    { name: 'a new holder restarts the clock', next: { ...record, holderIdentity: 'b' }, since: 5_000 },
    { name: 'a new duration restarts the clock', next: { ...record, leaseDurationSeconds: 1 }, since: 5_000 },
  ];
  for (const { name, next, since } of changes) {
    it(name, () => {
      const first = observeLease(undefined, record, 1_000);
      expect(first.time).to.equal(1_000);
      expect(observeLease(first, next, 5_000).time).to.equal(since);
    });
  }
});

describe('defaultIdentity and microTime', () => {
  it('uses the pod name, else the hostname, plus a per-process random suffix', () => {
    expect(defaultIdentity('worker-7d9f-abcde', 'node-1')).to.match(/^worker-7d9f-abcde_[0-9a-f-]{36}$/);
    expect(defaultIdentity(undefined, 'node-1')).to.match(/^node-1_[0-9a-f-]{36}$/);
    expect(defaultIdentity('', 'node-1')).to.match(/^node-1_/);
    expect(defaultIdentity(undefined, 'node-1')).to.not.equal(defaultIdentity(undefined, 'node-1'));
  });

  it('writes MicroTime with six fraction digits', () => {
    expect(microTime(Date.UTC(2026, 0, 1, 12, 30, 5, 42))).to.equal('2026-01-01T12:30:05.042000Z');
  });
});
