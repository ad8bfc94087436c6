import { expect } from 'chai';
import { boolean, integer, namespaceName, oneOf, parseQuery, QueryError } from './query.js';

const spec = {
  state: oneOf(['queued', 'running', 'done'], { default: 'queued' }),
  limit: integer({ min: 1, max: 500, default: 100 }),
  namespace: namespaceName(),
  failed: boolean(),
};

function refusal(search: string): string {
  try {
    parseQuery(spec, new URLSearchParams(search));
  } catch (error) {
    expect(error).to.be.instanceOf(QueryError);
    return (error as QueryError).message;
  }
  throw new Error(`"${search}" was accepted`);
}

describe('HTTP API query parameters', () => {
  it('parses what is given and fills in the defaults', () => {
    const query = parseQuery(spec, new URLSearchParams('state=running&namespace=team-a&failed=true'));
    expect(query).to.deep.equal({ state: 'running', limit: 100, namespace: 'team-a', failed: true });
    // The parsed type knows which parameters always have a value.
    const limit: number = query.limit;
    const namespace: string | undefined = query.namespace;
    expect([limit, namespace]).to.deep.equal([100, 'team-a']);
  });

  it('leaves out a parameter without a default that was not given', () => {
    expect(parseQuery(spec, new URLSearchParams(''))).to.deep.equal({ state: 'queued', limit: 100 });
  });

  it('names the values a word parameter allows', () => {
    expect(refusal('state=paused')).to.equal(
      'query parameter state="paused": must be one of queued, running, done',
    );
  });

  it('names the range of an integer', () => {
    expect(refusal('limit=0')).to.equal('query parameter limit="0": must be an integer from 1 to 500');
    expect(refusal('limit=ten')).to.include('an integer from 1 to 500');
    expect(refusal('limit=1.5')).to.include('an integer from 1 to 500');
  });

  it('refuses a bad namespace and a bad boolean', () => {
    expect(refusal('namespace=Team_A')).to.include('a namespace name');
    expect(refusal('failed=yes')).to.equal('query parameter failed="yes": must be true or false');
  });

  it('refuses an unknown parameter, listing the allowed ones', () => {
    expect(refusal('sort=name')).to.equal(
      'unknown query parameter "sort": allowed are state, limit, namespace, failed',
    );
    expect(() => parseQuery({}, new URLSearchParams('x=1'))).to.throw(QueryError, 'this path takes none');
  });

  it('refuses a parameter given twice', () => {
    expect(refusal('state=running&state=done')).to.equal(
      'query parameter "state" is given 2 times; give it once',
    );
  });
});
