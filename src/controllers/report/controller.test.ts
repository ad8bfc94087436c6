import { expect } from 'chai';
import type { ChannelType, Report } from '../../api/v1alpha1/index.js';
import { plannedStatus, reportProblem, scheduleProblem } from './controller.js';

const NOW = new Date(Date.UTC(2026, 3, 6, 6));
const NEXT = new Date(Date.UTC(2026, 3, 6, 7));

function report(status?: Report['status'], spec: Partial<Report['spec']> = {}): Report {
  return {
    apiVersion: 'gateway.awesomeapi.com.br/v1alpha1',
    kind: 'Report',
    metadata: { namespace: 'shop', name: 'daily', generation: 2 },
    spec: {
      schedule: '0 7 * * *',
      timeZone: 'UTC',
      window: '24h',
      sections: [],
      formats: ['html'],
      keep: 10,
      ...spec,
    },
    ...(status ? { status } : {}),
  } as Report;
}

const ready = (reason: string, status: 'True' | 'False' = 'True') => ({
  type: 'Ready',
  status,
  reason,
  message: reason,
  lastTransitionTime: '2026-04-05T00:00:00Z',
  observedGeneration: 1,
});

describe('Report controller status', () => {
  it('says Scheduled, with the next run, before the first report', () => {
    const status = plannedStatus(report(), undefined, NEXT, NOW);
    expect(status.observedGeneration).to.equal(2);
    expect(status.conditions?.[0]).to.include({
      type: 'Ready',
      status: 'True',
      reason: 'Scheduled',
      message: 'scheduled; the next report is at 2026-04-06T07:00:00.000Z',
    });
  });

  it("leaves the job's outcome in Ready, a failure included, until the next run", () => {
    for (const outcome of [ready('ReportStored'), ready('ObjectStoreMissing', 'False')]) {
      const status = plannedStatus(report({ conditions: [outcome] }), undefined, NEXT, NOW);
      expect(status.conditions?.[0]).to.include({ reason: outcome.reason, status: outcome.status });
    }
  });

  it('says InvalidSchedule for a schedule only the parser rejects, and Scheduled again once fixed', () => {
    const problem = scheduleProblem(report(undefined, { timeZone: 'Mars/Olympus_Mons' }));
    expect(problem).to.match(/^schedule "0 7 \* \* \*" \(Mars\/Olympus_Mons\): /);
    const invalid = plannedStatus(
      report({ conditions: [ready('ReportStored')] }),
      { reason: 'InvalidSchedule', message: problem ?? '' },
      undefined,
      NOW,
    );
    expect(invalid.conditions?.[0]).to.include({ status: 'False', reason: 'InvalidSchedule' });
    const fixed = plannedStatus(report({ conditions: invalid.conditions ?? [] }), undefined, NEXT, NOW);
    expect(fixed.conditions?.[0]).to.include({ status: 'True', reason: 'Scheduled' });
    expect(scheduleProblem(report())).to.equal(undefined);
  });
});

describe('Report controller: delivery channels', () => {
  const types: Record<string, ChannelType> = {
    'team-email': 'email',
    'ops-webhook': 'webhook',
    oncall: 'pagerduty',
    'oncall-eu': 'pagerduty',
  };
  const typeOf = (name: string): ChannelType | undefined => types[name];
  const delivering = (...names: string[]) =>
    report(undefined, { delivery: { channels: names.map((name) => ({ name })) } });

  it('refuses a PagerDuty channel with UnsupportedChannel, naming it and the types that carry reports', () => {
    const problem = reportProblem(delivering('team-email', 'oncall'), typeOf);
    expect(problem).to.deep.equal({
      reason: 'UnsupportedChannel',
      message:
        'spec.delivery.channels: "oncall" (pagerduty) cannot carry a report (PagerDuty Events v2 takes alerts only); ' +
        'name webhook, slack, msteams or email channels. The report is still stored and sent to the other channels',
    });
    const status = plannedStatus(delivering('team-email', 'oncall'), problem, NEXT, NOW);
    expect(status.conditions?.[0]).to.include({
      type: 'Ready',
      status: 'False',
      reason: 'UnsupportedChannel',
    });
  });

  it('names every refused channel, in the order given', () => {
    expect(reportProblem(delivering('oncall-eu', 'ops-webhook', 'oncall'), typeOf)?.message).to.match(
      /^spec\.delivery\.channels: "oncall-eu" \(pagerduty\), "oncall" \(pagerduty\) cannot carry a report/,
    );
  });

  it('accepts webhook, e-mail and channels that do not exist yet (their own condition says so)', () => {
    expect(reportProblem(delivering('team-email', 'ops-webhook', 'not-yet'), typeOf)).to.equal(undefined);
    expect(reportProblem(report(), typeOf)).to.equal(undefined);
  });

  it('puts the schedule problem first, and overrides a run outcome until the channel is fixed', () => {
    const bad = report(undefined, {
      timeZone: 'Mars/Olympus_Mons',
      delivery: { channels: [{ name: 'oncall' }] },
    });
    expect(reportProblem(bad, typeOf)?.reason).to.equal('InvalidSchedule');

    const stored = delivering('oncall');
    stored.status = { conditions: [ready('ReportStored')] };
    const refused = plannedStatus(stored, reportProblem(stored, typeOf), NEXT, NOW);
    expect(refused.conditions?.[0]).to.include({ status: 'False', reason: 'UnsupportedChannel' });
    // The channel removed from the Report: Scheduled again, as after a fixed schedule.
    const fixed = plannedStatus(report({ conditions: refused.conditions ?? [] }), undefined, NEXT, NOW);
    expect(fixed.conditions?.[0]).to.include({ status: 'True', reason: 'Scheduled' });
  });
});
