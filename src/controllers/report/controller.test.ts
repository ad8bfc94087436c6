import { expect } from 'chai';
import type { Report } from '../../api/v1alpha1/index.js';
import { plannedStatus, scheduleProblem } from './controller.js';

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
    const invalid = plannedStatus(report({ conditions: [ready('ReportStored')] }), problem, undefined, NOW);
    expect(invalid.conditions?.[0]).to.include({ status: 'False', reason: 'InvalidSchedule' });
    const fixed = plannedStatus(report({ conditions: invalid.conditions ?? [] }), undefined, NEXT, NOW);
    expect(fixed.conditions?.[0]).to.include({ status: 'True', reason: 'Scheduled' });
    expect(scheduleProblem(report())).to.equal(undefined);
  });
});
