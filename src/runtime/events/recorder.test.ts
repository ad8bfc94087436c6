import { expect } from 'chai';
import { FakeClock } from '../clock.js';
import { ApiError } from '../kube/errors.js';
import type { KubeObject, ResourceType } from '../kube/resource.js';
import { silentLogger, type Logger } from '../logger.js';
import type { EventObject, Regarding } from './event.js';
import { EventRecorder, type EventClient } from './recorder.js';

const MINUTE = 60_000;

interface Call {
  verb: 'create' | 'patch';
  name?: string;
  body: unknown;
}

/** An API server stand-in: `answer` decides each response, so tests can fail or stall it. */
function fakeClient(
  answer: (call: Call) => Promise<void> = () => Promise.resolve(),
): EventClient & { calls: Call[] } {
  const calls: Call[] = [];
  let created = 0;
  return {
    calls,
    async create<T extends KubeObject>(_type: ResourceType, obj: T): Promise<T> {
      const call: Call = { verb: 'create', body: obj };
      calls.push(call);
      await answer(call);
      created += 1;
      return { ...obj, metadata: { ...obj.metadata, name: `w.${created}` } };
    },
    async mergePatch<T extends KubeObject>(
      _t: ResourceType,
      _ns: string | undefined,
      name: string,
      patch: unknown,
    ): Promise<T> {
      const call: Call = { verb: 'patch', name, body: patch };
      calls.push(call);
      await answer(call);
      return { metadata: { name } } as T;
    },
  };
}

const widget: Regarding = {
  apiVersion: 'test.gateway-worker.dev/v1',
  kind: 'Widget',
  metadata: { name: 'w', namespace: 'ns', uid: 'u1', resourceVersion: '3' },
};

function recorder(
  client: EventClient,
  clock = new FakeClock(),
  logger: Logger = silentLogger,
): EventRecorder {
  return new EventRecorder({ client, clock, logger, instance: 'pod-1' });
}

describe('EventRecorder', () => {
  it('creates an Event the first time with exactly the fields the caller passed', async () => {
    const client = fakeClient();
    const events = recorder(client);
    events.record(widget, 'Warning', 'InvalidSpec', 'spec.size must be positive', 'Validate');
    await events.flush();
    expect(client.calls).to.have.length(1);
    const body = client.calls[0]!.body as EventObject;
    expect(body).to.include({
      reason: 'InvalidSpec',
      note: 'spec.size must be positive',
      action: 'Validate',
      type: 'Warning',
    });
    expect(body).to.include({
      reportingController: 'gateway-worker',
      reportingInstance: 'pod-1',
      eventTime: '2026-01-01T00:00:00.000000Z',
    });
    expect(body.series).to.equal(undefined);
  });

  it('patches the series count of the existing Event on each repeat', async () => {
    const clock = new FakeClock();
    const client = fakeClient();
    const events = recorder(client, clock);
    for (let i = 0; i < 3; i++) {
      events.record(widget, 'Normal', 'Synced', 'all good');
      await events.flush();
      clock.advance(MINUTE);
    }
    expect(client.calls.map((c) => [c.verb, c.name, c.body]).slice(1)).to.deep.equal([
      ['patch', 'w.1', { series: { count: 2, lastObservedTime: '2026-01-01T00:01:00.000000Z' } }],
      ['patch', 'w.1', { series: { count: 3, lastObservedTime: '2026-01-01T00:02:00.000000Z' } }],
    ]);
  });

  it('sends one write with the latest count for repeats queued behind a slow request', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const client = fakeClient(() => gate);
    const events = recorder(client);
    for (let i = 0; i < 5; i++) events.record(widget, 'Normal', 'Synced', 'all good');
    await Promise.resolve();
    release();
    await events.flush();
    const verbs = client.calls.map((c) => c.verb);
    expect(verbs.length).to.be.at.most(2);
    expect(client.calls.at(-1)!.body).to.deep.include({
      series: { count: 5, lastObservedTime: '2026-01-01T00:00:00.000000Z' },
    });
  });

  it('returns at once and keeps a bounded queue while the API server hangs', () => {
    const client = fakeClient(() => new Promise<void>(() => undefined));
    const events = new EventRecorder({ client, clock: new FakeClock(), instance: 'pod-1', maxQueue: 2 });
    for (let i = 0; i < 10; i++) events.record(widget, 'Normal', 'Step', `step ${i}`);
    expect(events.pending).to.equal(2);
  });

  it('never throws, and logs failures at debug', async () => {
    const debug: string[] = [];
    const logger: Logger = { ...silentLogger, debug: (msg) => debug.push(msg), child: () => logger };
    const client = fakeClient(() =>
      Promise.reject(new ApiError(403, 'Forbidden', 'namespace is terminating')),
    );
    const events = recorder(client, new FakeClock(), logger);
    expect(() => events.record(widget, 'Normal', 'Synced', 'all good')).to.not.throw();
    expect(() => events.record({} as Regarding, 'Normal', 'Synced', 'no metadata')).to.not.throw();
    await events.flush();
    expect(debug).to.include('event write failed');
    expect(debug).to.include('event not recorded');
  });

  it('creates a fresh Event carrying the series when the old one expired', async () => {
    const client = fakeClient((call) =>
      call.verb === 'patch' ? Promise.reject(new ApiError(404, 'NotFound', 'gone')) : Promise.resolve(),
    );
    const events = recorder(client);
    events.record(widget, 'Normal', 'Synced', 'all good');
    await events.flush();
    events.record(widget, 'Normal', 'Synced', 'all good');
    await events.flush();
    expect(client.calls.map((c) => c.verb)).to.deep.equal(['create', 'patch', 'create']);
    expect((client.calls[2]!.body as EventObject).series?.count).to.equal(2);
  });

  it('starts a new Event once the series window has passed', async () => {
    const clock = new FakeClock();
    const client = fakeClient();
    const events = recorder(client, clock);
    events.record(widget, 'Normal', 'Synced', 'all good');
    await events.flush();
    clock.advance(7 * MINUTE);
    events.record(widget, 'Normal', 'Synced', 'all good');
    await events.flush();
    expect(client.calls.map((c) => c.verb)).to.deep.equal(['create', 'create']);
    expect((client.calls[1]!.body as EventObject).eventTime).to.equal('2026-01-01T00:07:00.000000Z');
  });
});
