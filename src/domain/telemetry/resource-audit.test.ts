import { expect } from 'chai';
import { lastManager, resourceChange, type ObservedResource } from './resource-audit.js';

const observed = (over: Partial<ObservedResource> = {}): ObservedResource => ({
  uid: 'u1',
  kind: 'WafRuleSet',
  namespace: 'shop',
  name: 'strict',
  generation: 1,
  labels: {},
  spec: { mode: 'Block', rules: [{ id: 'a' }] },
  managers: [
    { manager: 'kubectl-client-side-apply', operation: 'Update', time: '2026-01-01T00:00:00Z' },
    { manager: 'gateway-worker', operation: 'Update', time: '2026-01-01T00:05:00Z', subresource: 'status' },
  ],
  ...over,
});

describe('auditing resource changes', () => {
  const now = Date.UTC(2026, 0, 1, 1);

  it('a new object is a create by the manager that wrote it (status writers aside)', () => {
    const event = resourceChange(undefined, observed(), now, false);
    expect(event).to.deep.include({ action: 'create', actor: 'kubectl-client-side-apply', generation: 1 });
    expect(event?.timeMs).to.equal(Date.parse('2026-01-01T00:00:00Z'));
  });

  it('objects already there when a kind is first audited are observed, not created', () => {
    expect(resourceChange(undefined, observed(), now, true)?.action).to.equal('observed');
  });

  it('a new generation is an update with a summary of the fields that changed', () => {
    const before = observed();
    const after = observed({
      generation: 2,
      spec: { mode: 'Detect', rules: [{ id: 'a' }] },
      managers: [{ manager: 'argocd-controller', operation: 'Apply', time: '2026-01-01T00:30:00Z' }],
    });
    const event = resourceChange(before, after, now, false);
    expect(event).to.deep.include({
      action: 'update',
      actor: 'argocd-controller',
      summary: 'changed spec.mode',
    });
  });

  it('a status write (same generation, same labels) is not recorded', () => {
    expect(resourceChange(observed(), observed(), now, false)).to.equal(undefined);
  });

  it('new labels are an update even without a new generation', () => {
    const event = resourceChange(observed(), observed({ labels: { team: 'a' } }), now, false);
    expect(event?.summary).to.equal('changed metadata.labels.team');
  });

  it('a vanished object is a delete', () => {
    expect(resourceChange(observed(), undefined, now, false)).to.deep.include({
      action: 'delete',
      name: 'strict',
    });
  });

  it('the newest non-status manager wins', () => {
    expect(
      lastManager([
        { manager: 'a', time: '2026-01-01T00:00:00Z' },
        { manager: 'b', time: '2026-01-02T00:00:00Z' },
        { manager: 'c', time: '2026-01-03T00:00:00Z', subresource: 'status' },
      ])?.manager,
    ).to.equal('b');
  });
});
