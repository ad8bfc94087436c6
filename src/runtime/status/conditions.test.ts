import { expect } from 'chai';
import { FakeClock } from '../clock.js';
import {
  conditionTime,
  findCondition,
  isFalse,
  isTrue,
  isValidReason,
  MAX_MESSAGE_LENGTH,
  removeCondition,
  setCondition,
  type Condition,
  type ConditionInput,
} from './conditions.js';

const MINUTE = 60_000;
const T0 = '2026-01-01T00:00:00Z';
const T1 = '2026-01-01T00:01:00Z';

function ready(status: Condition['status'], overrides: Partial<Condition> = {}): Condition {
  return {
    type: 'Ready',
    status,
    reason: 'Initial',
    message: 'first',
    lastTransitionTime: T0,
    observedGeneration: 1,
    ...overrides,
  };
}

describe('setCondition', () => {
  const cases: {
    name: string;
    before: Condition[] | undefined;
    input: ConditionInput;
    after: Condition[];
  }[] = [
    {
      name: 'adds a missing condition stamped with the current time',
      before: undefined,
      input: { type: 'Ready', status: 'False', reason: 'Pending', message: 'waiting', observedGeneration: 1 },
      after: [ready('False', { reason: 'Pending', message: 'waiting', lastTransitionTime: T1 })],
    },
    {
      name: 'keeps lastTransitionTime when the status stays the same',
      before: [ready('True')],
      input: { type: 'Ready', status: 'True', reason: 'Initial', message: 'first', observedGeneration: 1 },
      after: [ready('True')],
    },
    {
      name: 'updates reason, message and observedGeneration in place without moving lastTransitionTime',
      before: [ready('False')],
      input: {
        type: 'Ready',
        status: 'False',
        reason: 'StillPending',
        message: 'second',
        observedGeneration: 2,
      },
      after: [ready('False', { reason: 'StillPending', message: 'second', observedGeneration: 2 })],
    },
    {
      name: 'moves lastTransitionTime when the status flips',
      before: [ready('False')],
      input: { type: 'Ready', status: 'True', reason: 'Issued', message: 'done', observedGeneration: 1 },
      after: [ready('True', { reason: 'Issued', message: 'done', lastTransitionTime: T1 })],
    },
    {
      name: 'moves lastTransitionTime from Unknown to False too',
      before: [ready('Unknown')],
      input: { type: 'Ready', status: 'False', reason: 'Initial', message: 'first', observedGeneration: 1 },
      after: [ready('False', { lastTransitionTime: T1 })],
    },
    {
      name: 'stamps a condition that was stored without lastTransitionTime',
      before: [ready('True', { lastTransitionTime: '' })],
      input: { type: 'Ready', status: 'True', reason: 'Initial', message: 'first', observedGeneration: 1 },
      after: [ready('True', { lastTransitionTime: T1 })],
    },
    {
      name: 'keeps the position of the other conditions and appends new ones',
      before: [ready('True'), ready('False', { type: 'Reconciling' })],
      input: { type: 'Stalled', status: 'True', reason: 'Invalid', observedGeneration: 1 },
      after: [
        ready('True'),
        ready('False', { type: 'Reconciling' }),
        ready('True', { type: 'Stalled', reason: 'Invalid', message: '', lastTransitionTime: T1 }),
      ],
    },
    {
      name: 'drops observedGeneration when the input has none',
      before: [ready('True')],
      input: { type: 'Ready', status: 'True', reason: 'Initial', message: 'first' },
      after: [{ type: 'Ready', status: 'True', reason: 'Initial', message: 'first', lastTransitionTime: T0 }],
    },
  ];
  for (const { name, before, input, after } of cases) {
    it(name, () => {
      const clock = new FakeClock();
      clock.advance(MINUTE);
      const frozen = before ? structuredClone(before) : undefined;
      expect(setCondition(before, input, new Date(clock.now()))).to.deep.equal(after);
      expect(before, 'the input array is not mutated').to.deep.equal(frozen);
    });
  }

  it('returns a new array even when nothing changed', () => {
    const before = [ready('True')];
    const after = setCondition(
      before,
      { type: 'Ready', status: 'True', reason: 'Initial', message: 'first', observedGeneration: 1 },
      new Date(),
    );
    expect(after).to.not.equal(before);
    expect(after).to.deep.equal(before);
  });

  it('keeps lastTransitionTime across many identical updates as time passes', () => {
    const clock = new FakeClock();
    let conditions: Condition[] = [];
    const input: ConditionInput = { type: 'Ready', status: 'True', reason: 'Ready', observedGeneration: 3 };
    for (let i = 0; i < 5; i++) {
      conditions = setCondition(conditions, input, new Date(clock.now()));
      clock.advance(MINUTE);
    }
    expect(findCondition(conditions, 'Ready')?.lastTransitionTime).to.equal(T0);
  });

  it('caps the message at 32768 characters', () => {
    const [condition] = setCondition(
      [],
      { type: 'Ready', status: 'False', reason: 'Failed', message: 'x'.repeat(MAX_MESSAGE_LENGTH + 10) },
      new Date(),
    );
    expect(condition?.message).to.have.length(MAX_MESSAGE_LENGTH);
  });

  it('never splits a surrogate pair when capping the message', () => {
    const message = 'x'.repeat(MAX_MESSAGE_LENGTH - 1) + '😀';
    const [condition] = setCondition(
      [],
      { type: 'Ready', status: 'False', reason: 'Failed', message },
      new Date(),
    );
    expect(condition?.message).to.equal('x'.repeat(MAX_MESSAGE_LENGTH - 1));
  });

  for (const reason of ['', 'has space', '1Leading', 'Trailing,', 'Trailing:', 'Dash-ed']) {
    it(`refuses the reason ${JSON.stringify(reason)}`, () => {
      expect(() => setCondition([], { type: 'Ready', status: 'True', reason }, new Date())).to.throw(
        RangeError,
      );
    });
  }

  for (const type of ['', 'has space', '-Ready']) {
    it(`refuses the condition type ${JSON.stringify(type)}`, () => {
      expect(() => setCondition([], { type, status: 'True', reason: 'Ok' }, new Date())).to.throw(RangeError);
    });
  }
});

describe('isValidReason', () => {
  for (const reason of ['Ready', 'A', 'Issued_OK', 'A1', 'Not:Yet,Ready', 'x_']) {
    it(`accepts ${reason}`, () => {
      expect(isValidReason(reason)).to.equal(true);
    });
  }
});

describe('condition lookups', () => {
  const conditions = [
    ready('True'),
    ready('False', { type: 'Stalled' }),
    ready('Unknown', { type: 'Reconciling' }),
  ];

  it('finds a condition by type', () => {
    expect(findCondition(conditions, 'Stalled')?.status).to.equal('False');
    expect(findCondition(conditions, 'Missing')).to.equal(undefined);
    expect(findCondition(undefined, 'Ready')).to.equal(undefined);
  });

  it('tells True from False, Unknown and absent', () => {
    expect([
      isTrue(conditions, 'Ready'),
      isTrue(conditions, 'Stalled'),
      isTrue(conditions, 'Reconciling'),
    ]).to.deep.equal([true, false, false]);
    expect([
      isFalse(conditions, 'Stalled'),
      isFalse(conditions, 'Reconciling'),
      isFalse(conditions, 'Missing'),
    ]).to.deep.equal([true, false, false]);
  });

  it('removes a condition into a new array and leaves the rest in order', () => {
    const after = removeCondition(conditions, 'Stalled');
    expect(after.map((c) => c.type)).to.deep.equal(['Ready', 'Reconciling']);
    expect(conditions).to.have.length(3);
    expect(removeCondition(undefined, 'Ready')).to.deep.equal([]);
  });

  it('formats times in whole seconds like metav1.Time', () => {
    expect(conditionTime(new Date(Date.UTC(2026, 0, 1, 0, 0, 0, 999)))).to.equal(T0);
  });
});
