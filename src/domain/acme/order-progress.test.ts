import { expect } from 'chai';
import { orderStep, type OrderStep, type StatusOrder } from './order-progress.js';

describe('the crash-safe order protocol', () => {
  const url = 'https://ca.test/order/1';
  const cases: [string, StatusOrder | undefined, boolean, OrderStep][] = [
    ['records the intent before the first order', undefined, true, { step: 'RecordIntent' }],
    ['does nothing when no order exists and none is needed', undefined, false, { step: 'Idle' }],
    ['creates the order once the intent is recorded', {}, true, { step: 'CreateOrder' }],
    [
      'resumes a pending order after a restart instead of creating another',
      { url, state: 'pending' },
      true,
      { step: 'ResumeOrder', url },
    ],
    ['resumes a ready order', { url, state: 'ready' }, true, { step: 'ResumeOrder', url }],
    ['resumes a processing order', { url, state: 'processing' }, true, { step: 'ResumeOrder', url }],
    ['resumes an order whose state was not written yet', { url }, true, { step: 'ResumeOrder', url }],
    [
      'records a new intent after a valid order, for the next renewal',
      { url, state: 'valid' },
      true,
      { step: 'RecordIntent' },
    ],
    [
      'records a new intent after an invalid order',
      { url, state: 'invalid' },
      true,
      { step: 'RecordIntent' },
    ],
    [
      'keeps a finished order in status when nothing is needed',
      { url, state: 'valid' },
      false,
      { step: 'Idle' },
    ],
    [
      'abandons an order in flight that is no longer needed',
      { url, state: 'pending' },
      false,
      { step: 'AbandonOrder' },
    ],
    ['abandons an intent that is no longer needed', {}, false, { step: 'AbandonOrder' }],
  ];
  for (const [name, order, needed, expected] of cases) {
    it(name, () => {
      expect(orderStep(order, needed)).to.deep.equal(expected);
    });
  }
});
