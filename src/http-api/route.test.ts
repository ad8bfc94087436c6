import { expect } from 'chai';
import { integer, oneOf, QueryError } from './query.js';
import { ApiResponse, route } from './route.js';

const user = { username: 'alice', groups: ['team'] };

describe('HTTP API routes', () => {
  const job = route({
    method: 'GET',
    path: '/api/v1/jobs/:id/runs/:run',
    verb: 'get',
    resource: 'jobs',
    query: { view: oneOf(['short', 'full'], { default: 'short' }), tail: integer({ min: 1, max: 10 }) },
    scope: ({ params }) => ({ name: params.id }),
    handler: ({ params, query }) => ({
      id: params.id,
      run: params.run,
      view: query.view,
      tail: query.tail ?? null,
    }),
  });

  it('matches its pattern and decodes the path parameters', () => {
    expect(job.match('/api/v1/jobs/backup%2Fdaily/runs/7')).to.deep.equal({ id: 'backup/daily', run: '7' });
    expect(job.match('/api/v1/jobs/backup/runs')).to.equal(undefined);
    expect(job.match('/api/v1/jobs//runs/7')).to.equal(undefined);
    expect(job.match('/api/v1/jobs/a/runs/7/extra')).to.equal(undefined);
    expect(job.match('/api/v1/tasks/a/runs/7')).to.equal(undefined);
  });

  it('refuses a path parameter that is not valid percent-encoding', () => {
    expect(() => job.match('/api/v1/jobs/%E0%A4%A/runs/1')).to.throw(QueryError, 'percent-encoding');
  });

  it('asks for its verb on its resource, scoped as it says, then runs the handler', async () => {
    const params = job.match('/api/v1/jobs/nightly/runs/3') ?? {};
    const call = job.prepare(params, new URLSearchParams('tail=5'));
    expect(call.access).to.deep.equal({ verb: 'get', resource: 'jobs', name: 'nightly' });
    const response = await call.run(user);
    expect(response).to.be.instanceOf(ApiResponse);
    expect(response).to.deep.include({
      status: 200,
      body: { id: 'nightly', run: '3', view: 'short', tail: 5 },
    });
  });

  it('refuses a bad query before anything is asked', () => {
    const params = job.match('/api/v1/jobs/nightly/runs/3') ?? {};
    expect(() => job.prepare(params, new URLSearchParams('view=all'))).to.throw(
      QueryError,
      'must be one of short, full',
    );
  });

  it('lists its query parameters and what each allows', () => {
    expect(job.queryParams).to.deep.equal({ view: 'one of short, full', tail: 'an integer from 1 to 10' });
  });

  it('checks cluster-wide when the route has no scope, and passes a handler’s own status through', async () => {
    const create = route({
      method: 'POST',
      path: '/api/v1/decisions',
      verb: 'create',
      resource: 'decisions',
      handler: () => new ApiResponse(201, { created: true }),
    });
    const call = create.prepare(create.match('/api/v1/decisions') ?? {}, new URLSearchParams());
    expect(call.access).to.deep.equal({ verb: 'create', resource: 'decisions' });
    expect(await call.run(user)).to.deep.include({ status: 201, body: { created: true } });
  });
});
