import { expect } from 'chai';
import { clip } from './text.js';

describe('clip', () => {
  it('keeps short text, collapsing whitespace', () => {
    expect(clip('a\n  b', 10)).to.equal('a b');
  });

  it('cuts long text to the limit and says how much was cut', () => {
    const cut = clip('x'.repeat(5000), 100);
    expect(cut).to.have.length(100);
    expect(cut).to.match(/ … \(\d+ more characters\)$/);
  });
});
