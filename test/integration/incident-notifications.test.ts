/**
 * Security incidents → notifications, on a real PostgreSQL: IncidentOpened fires for an incident
 * stored by the threat pipeline's own repository and resolves once the incident is over (quiet for
 * an hour and no decision in force); each applied decision notifies DecisionTaken once.
 */
import { expect } from 'chai';
import type { NotificationEvent } from '../../src/domain/notify/event.js';
import type { IncidentUpdate } from '../../src/domain/threats/incidents.js';
import { NotificationHooks } from '../../src/notify/hooks.js';
import type { Notifier } from '../../src/notify/notifier.js';
import { incidentSource } from '../../src/notify/sources/incident-source.js';
import { FakeClock } from '../../src/runtime/clock.js';
import { silentLogger } from '../../src/runtime/logger.js';
import { IncidentRepository } from '../../src/storage/threats/incident-repository.js';
import { migratedStore, type TestStore } from '../support/job-fixtures.js';

/** Records what reaches the notifier, as the StoreNotifier would receive it. */
class RecordingNotifier implements Notifier {
  readonly emitted: NotificationEvent[] = [];
  readonly sets = new Map<string, readonly NotificationEvent[]>();
  emit(event: NotificationEvent): void {
    this.emitted.push(event);
  }
  replace(source: string, events: readonly NotificationEvent[]): void {
    this.sets.set(source, events);
  }
}

const HOUR = 3_600_000;

function update(clock: FakeClock, decisions: IncidentUpdate['decisions']): IncidentUpdate {
  return {
    policy: 'shop/baseline',
    scenario: 'shop/baseline/sqli-burst',
    source: '45.10.20.50',
    mode: 'Enforce',
    firstSeenMs: clock.now() - 2_000,
    lastSeenMs: clock.now(),
    events: 21,
    samples: [],
    hosts: ['api.example.com'],
    routes: ['shop/api/login'],
    decisions,
  };
}

describe('security incidents notify (real PostgreSQL)', function () {
  this.timeout(60_000);
  let test: TestStore;

  before(async () => {
    test = await migratedStore('incident_notify');
  });

  after(async () => {
    await test.db.close();
  });

  it('fires IncidentOpened while the incident is open, resolves it after, and notifies each applied decision once', async () => {
    const clock = new FakeClock(Date.UTC(2026, 11, 6, 12));
    const notifier = new RecordingNotifier();
    const source = incidentSource({
      store: test.store,
      schema: test.schema,
      notifier,
      logger: silentLogger,
      clock,
    });
    const hooks = new NotificationHooks(
      notifier,
      { errorRatePercent: 5, p95LatencyMs: 1000, dropPercent: 50, minRequests: 100 },
      () => source.changed(),
    );
    const repository = new IncidentRepository(test.db, test.schema);
    const ban = (untilMs: number) => ({
      scope: 'ip' as const,
      value: '45.10.20.50',
      type: 'ban' as const,
      until: new Date(untilMs).toISOString(),
      outcome: 'applied' as const,
    });

    const first = await repository.record(update(clock, [ban(clock.now() + 4 * HOUR)]));
    expect(first.opened).to.equal(true);
    hooks.incident(first.incident, 'opened');
    await source.evaluate();
    const open = notifier.sets.get('incidents') ?? [];
    expect(open.map((e) => [e.type, e.labels])).to.deep.equal([
      [
        'IncidentOpened',
        { namespace: 'shop', name: `baseline-${first.incident.id}`, incident_severity: 'high' },
      ],
    ]);
    expect(open[0]?.annotations?.summary).to.equal(
      `Incident shop/baseline-${first.incident.id}: sqli-burst from 45.10.20.50`,
    );
    expect(notifier.emitted.map((e) => [e.type, e.labels.decision, e.labels.target])).to.deep.equal([
      ['DecisionTaken', 'ban-45.10.20.50', '45.10.20.50'],
    ]);

    // A second overflow extends the incident: one more decision, the same incident.
    clock.advance(60_000);
    const second = await repository.record(update(clock, [ban(clock.now() + 8 * HOUR)]));
    expect(second.opened).to.equal(false);
    hooks.incident(second.incident, 'extended');
    expect(notifier.emitted).to.have.length(2);

    // Quiet for more than an hour, but the ban is still in force: still open.
    clock.advance(2 * HOUR);
    await source.evaluate();
    expect(notifier.sets.get('incidents')).to.have.length(1);

    // The last ban expired: the incident is over, and the set that resolves it is empty.
    clock.advance(7 * HOUR);
    await source.evaluate();
    expect(notifier.sets.get('incidents')).to.deep.equal([]);
  });

  it('a dry run or an allowlisted source opens an incident but notifies no decision', async () => {
    const clock = new FakeClock(Date.UTC(2026, 11, 7, 12));
    const notifier = new RecordingNotifier();
    const hooks = new NotificationHooks(notifier, {
      errorRatePercent: 5,
      p95LatencyMs: 1000,
      dropPercent: 50,
      minRequests: 100,
    });
    const repository = new IncidentRepository(test.db, test.schema);
    const { incident } = await repository.record({
      ...update(clock, [{ scope: 'ip', value: '45.10.40.77', type: 'ban', outcome: 'allowlisted' }]),
      source: '45.10.40.77',
    });
    hooks.incident(incident, 'opened');
    expect(notifier.emitted).to.deep.equal([]);
  });
});
