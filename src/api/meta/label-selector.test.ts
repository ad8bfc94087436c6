import { expect } from 'chai';
import {
  matchesSelector,
  parseEqualitySelector,
  selectorToQuery,
  type LabelSelector,
} from './label-selector.js';

describe('label selectors', () => {
  const labels = { app: 'gateway', tier: 'edge' };
  const cases: [string, LabelSelector | undefined, boolean][] = [
    ['no selector matches everything', undefined, true],
    ['an empty selector matches everything', {}, true],
    ['matchLabels equal', { matchLabels: { app: 'gateway' } }, true],
    ['matchLabels differ', { matchLabels: { app: 'api' } }, false],
    [
      'In with the value',
      { matchExpressions: [{ key: 'tier', operator: 'In', values: ['edge', 'core'] }] },
      true,
    ],
    ['In without the label', { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }, false],
    [
      'NotIn with the value',
      { matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['edge'] }] },
      false,
    ],
    [
      'NotIn without the label',
      { matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['a'] }] },
      true,
    ],
    ['Exists', { matchExpressions: [{ key: 'app', operator: 'Exists' }] }, true],
    ['DoesNotExist', { matchExpressions: [{ key: 'app', operator: 'DoesNotExist' }] }, false],
  ];
  for (const [name, selector, expected] of cases) {
    it(`${name} → ${expected}`, () => {
      expect(matchesSelector(selector, labels)).to.equal(expected);
    });
  }

  it('renders the API query form', () => {
    expect(
      selectorToQuery({
        matchLabels: { app: 'gateway' },
        matchExpressions: [
          { key: 'tier', operator: 'In', values: ['edge', 'core'] },
          { key: 'canary', operator: 'DoesNotExist' },
        ],
      }),
    ).to.equal('app=gateway,tier in (edge,core),!canary');
  });

  it('parses key=value lists and rejects anything else', () => {
    expect(parseEqualitySelector('app.kubernetes.io/name=gateway, tier=edge')).to.deep.equal({
      matchLabels: { 'app.kubernetes.io/name': 'gateway', tier: 'edge' },
    });
    expect(() => parseEqualitySelector('app')).to.throw('"app" is not key=value');
  });
});
