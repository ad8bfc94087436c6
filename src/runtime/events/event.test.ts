import { expect } from 'chai';
import { eventBody, eventName, microTime, normalizeFields, truncateUtf8 } from './event.js';

describe('event body', () => {
  it('formats eventTime as a MicroTime', () => {
    expect(microTime(Date.UTC(2026, 0, 1))).to.equal('2026-01-01T00:00:00.000000Z');
  });

  const cuts: { name: string; text: string; max: number; result: string }[] = [
    { name: 'keeps a short note', text: 'short', max: 10, result: 'short' },
    { name: 'cuts ASCII at the byte limit', text: 'abcdef', max: 4, result: 'abcd' },
    { name: 'never splits a multi-byte character', text: 'aé', max: 2, result: 'a' },
    { name: 'never splits an emoji', text: 'ab😀', max: 5, result: 'ab' },
  ];
  for (const { name, text, max, result } of cuts) {
    it(name, () => {
      expect(truncateUtf8(text, max)).to.equal(result);
    });
  }

  it('cuts the note to 1024 bytes and reason and action to 128 characters', () => {
    const fields = normalizeFields({
      type: 'Normal',
      reason: 'R'.repeat(200),
      note: 'n'.repeat(2000),
      action: 'A'.repeat(200),
      reportingInstance: 'pod-1',
    });
    expect([fields.reason.length, fields.note.length, fields.action.length]).to.deep.equal([128, 1024, 128]);
  });

  it('names Events like client-go, distinct within one millisecond and within 253 characters', () => {
    const ms = Date.UTC(2026, 0, 1);
    expect(eventName('w', ms, 0)).to.equal(`w.${(BigInt(ms) * 1_000_000n).toString(16)}`);
    expect(eventName('w', ms, 1)).to.not.equal(eventName('w', ms, 0));
    expect(eventName('x'.repeat(253), ms, 0)).to.have.length.at.most(253);
  });

  it('refers to the object and files Events about cluster-scoped objects under default', () => {
    const body = eventBody(
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a', uid: 'u1', resourceVersion: '5' } },
      { type: 'Normal', reason: 'Seen', note: 'hello', action: 'Observe', reportingInstance: 'pod-1' },
      Date.UTC(2026, 0, 1),
    );
    expect(body).to.deep.equal({
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { namespace: 'default' },
      eventTime: '2026-01-01T00:00:00.000000Z',
      reportingController: 'gateway-worker',
      reportingInstance: 'pod-1',
      type: 'Normal',
      reason: 'Seen',
      note: 'hello',
      action: 'Observe',
      regarding: {
        apiVersion: 'v1',
        kind: 'Namespace',
        name: 'team-a',
        namespace: undefined,
        uid: 'u1',
        resourceVersion: '5',
      },
    });
  });
});
