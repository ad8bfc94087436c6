import { expect } from 'chai';
import { diffSummary } from './diff-summary.js';

describe('audit diff summaries', () => {
  it('names the changed fields, a few levels deep', () => {
    const before = { routes: [{ name: 'a', backends: [{ url: 'x' }] }], hostnames: ['a.test'] };
    const after = { routes: [{ name: 'a', backends: [{ url: 'y' }] }], hostnames: ['a.test'] };
    expect(diffSummary(before, after)).to.equal('changed spec.routes[0].backends');
  });

  it('reports lists that grew, and new fields', () => {
    expect(diffSummary({ rules: [1] }, { rules: [1, 2], mode: 'Block' })).to.equal(
      'changed spec.mode, spec.rules (1 → 2 items)',
    );
  });

  it('caps long summaries', () => {
    const before = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`k${i}`, i]));
    const after = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`k${i}`, i + 1]));
    expect(diffSummary(before, after)).to.match(/and 4 more$/);
  });
});
