import { expect } from 'chai';
import { configVersion, payloadVersion } from './versioning.js';

const resource = (name: string, body: string) => ({
  name,
  version: payloadVersion(body),
  payload: Buffer.from(body),
});

describe('configVersion', () => {
  it('is a fixed function of the content, so worker and agent agree across releases', () => {
    // Computed independently (Python hashlib). Changing it breaks every deployed agent/worker pair.
    expect(configVersion([resource('b', '{"x":2}'), resource('a', '{"x":1}')])).to.equal(
      'ca839e30a31416903027b136c805907d',
    );
  });

  it('does not depend on the order the resources come in', () => {
    const a = resource('default/a', '{}');
    const b = resource('default/b', '[]');
    expect(configVersion([a, b])).to.equal(configVersion([b, a]));
  });

  it('changes with any name, version or payload byte', () => {
    const base = configVersion([resource('a', 'x')]);
    expect(configVersion([resource('b', 'x')])).to.not.equal(base);
    expect(configVersion([{ ...resource('a', 'x'), version: 'other' }])).to.not.equal(base);
    expect(configVersion([{ ...resource('a', 'x'), payload: Buffer.from('y') }])).to.not.equal(base);
  });

  it('tells an empty state from a state of one empty resource', () => {
    expect(configVersion([])).to.not.equal(
      configVersion([{ name: 'x', version: '', payload: Buffer.alloc(0) }]),
    );
  });
});
