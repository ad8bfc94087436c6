/**
 * The telemetry, audit and job paths of the HTTP API with real reviews: tokens of
 * ServiceAccounts (TokenRequest) checked by a real kube-apiserver (TokenReview,
 * SubjectAccessReview on the virtual resources traffic, audit and jobs), data in a real
 * PostgreSQL written by the real processor.
 */
import { expect } from 'chai';
import { RouteMatcher } from '../../src/domain/telemetry/route-matcher.js';
import { API_PREFIX, HttpApi } from '../../src/http-api/http-api.js';
import { KubeReviewer } from '../../src/http-api/kube-reviews.js';
import { apiRoutes } from '../../src/http-api/routes.js';
import { HealthServer } from '../../src/runtime/health-server.js';
import { KubeClient } from '../../src/runtime/kube/client.js';
import { CoreTypes, type ResourceType } from '../../src/runtime/kube/resource.js';
import { silentLogger } from '../../src/runtime/logger.js';
import { createMetricsRegistry } from '../../src/runtime/metrics.js';
import { JobKinds } from '../../src/storage/jobs/job-kind.js';
import { StoreJobQueue } from '../../src/storage/jobs/job-queue.js';
import { AuditStore } from '../../src/telemetry/audit-store.js';
import { TelemetryProcessor } from '../../src/telemetry/processor.js';
import { migratedStore, testKind, type TestStore } from '../support/job-fixtures.js';
import { sharedCluster, uniqueName } from '../support/shared-cluster.js';
import { accessEntry, insertBatch } from '../support/stored-batches.js';

const rbac = (plural: string, kind: string, namespaced: boolean): ResourceType => ({
  group: 'rbac.authorization.k8s.io',
  version: 'v1',
  plural,
  kind,
  namespaced,
});
const ClusterRoleType = rbac('clusterroles', 'ClusterRole', false);
const ClusterRoleBindingType = rbac('clusterrolebindings', 'ClusterRoleBinding', false);

interface Reply {
  status: number;
  body: Record<string, unknown>;
}

describe('HTTP API: traffic, top, audit and jobs (real API server reviews, real PostgreSQL)', function () {
  this.timeout(120_000);
  let admin: KubeClient;
  let test: TestStore;
  let server: HealthServer;
  let base: string;
  const names: string[] = [];
  const tokens = { reader: '', stranger: '', operator: '' };
  // Set when the data is written, not when mocha loads the file: the full suite reaches this
  // file many minutes after loading it, and the queries look back from the clock.
  let now = 0;

  const call = async (
    path: string,
    bearer: string,
    init: { method?: string; body?: string; type?: string } = {},
  ): Promise<Reply> => {
    const response = await fetch(`${base}${path}`, {
      method: init.method ?? 'GET',
      headers: {
        Authorization: `Bearer ${bearer}`,
        ...(init.type === undefined ? {} : { 'Content-Type': init.type }),
      },
      ...(init.body === undefined ? {} : { body: init.body }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  before(async () => {
    now = Date.now();
    const cluster = await sharedCluster();
    admin = new KubeClient(cluster.kubeConfig);
    const namespace = uniqueName('telemetry-api');
    await admin.create(CoreTypes.namespace, { metadata: { name: namespace } });
    const token = async (account: string) => {
      await admin.create(CoreTypes.serviceAccount, { metadata: { namespace, name: account } });
      const review = await admin.request<{ status: { token: string } }>(
        'POST',
        `/api/v1/namespaces/${namespace}/serviceaccounts/${account}/token`,
        {
          body: {
            apiVersion: 'authentication.k8s.io/v1',
            kind: 'TokenRequest',
            spec: { expirationSeconds: 3600 },
          },
        },
      );
      return review.status.token;
    };
    tokens.reader = await token('reader');
    tokens.stranger = await token('stranger');
    tokens.operator = await token('operator');
    const grant = async (account: string, verbs: string[], resources: string[]) => {
      const name = uniqueName(`gw-${account}`);
      names.push(name);
      await admin.create(ClusterRoleType, {
        metadata: { name },
        rules: [{ apiGroups: ['gateway.awesomeapi.com.br'], resources, verbs }],
      });
      await admin.create(ClusterRoleBindingType, {
        metadata: { name },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
        subjects: [{ kind: 'ServiceAccount', name: account, namespace }],
      });
    };
    await grant('reader', ['get', 'list'], ['traffic', 'audit', 'jobs']);
    await grant('operator', ['get', 'list', 'create', 'update'], ['jobs']);

    test = await migratedStore('telemetry_api');
    for (let i = 0; i < 3; i++) {
      await insertBatch(test.db, test.schema, {
        gatewayId: `gw-${i}`,
        sequence: 1,
        receivedAt: new Date(now - 5 * 60_000),
        entries: Array.from({ length: 10 }, (_, j) =>
          accessEntry(`gw-${i}`, {
            timeMs: now - 5 * 60_000 + j,
            uri: j < 7 ? '/api/hot' : '/api/cold',
            responseTimeMs: 5 + j,
          }),
        ),
      });
    }
    await new TelemetryProcessor({
      store: test.store,
      schema: test.schema,
      logger: silentLogger,
      routes: () => new RouteMatcher([]),
    }).processOnce(test.db);
    await new AuditStore(test.db, test.schema).append([
      {
        timeMs: now - 60_000,
        action: 'update',
        actor: 'kubectl',
        kind: 'WafRuleSet',
        namespace: 'shop',
        name: 'strict',
        generation: 2,
        summary: 'changed spec.mode',
        details: {},
      },
    ]);
    const kinds = new JobKinds().register(testKind('test.noop', () => Promise.resolve()));
    const registry = createMetricsRegistry();
    const reviewer = new KubeReviewer({ client: admin, registry });
    const api = new HttpApi({
      routes: apiRoutes({
        gateways: {
          connections: () => [],
          reports: () => [],
          replica: () => ({ name: 'test', leader: true }),
        },
        telemetry: { store: test.store, schema: test.schema, now: () => Date.now() },
        jobs: new StoreJobQueue({ kinds, store: test.store, schema: test.schema }),
      }),
      authenticator: reviewer,
      authorizer: reviewer,
      logger: silentLogger,
      registry,
    });
    server = new HealthServer({ port: 0, host: '127.0.0.1', registry, logger: silentLogger });
    server.mount(API_PREFIX, (req, res) => api.handle(req, res));
    base = `http://127.0.0.1:${String(await server.start())}`;
  });

  after(async () => {
    await server.stop();
    for (const name of names) {
      await admin.delete(ClusterRoleBindingType, undefined, name).catch(() => undefined);
      await admin.delete(ClusterRoleType, undefined, name).catch(() => undefined);
    }
    admin.close();
    await test.db.close();
  });

  it('200 /api/v1/traffic: the fleet’s requests per step, grouped by gateway, with latency percentiles', async () => {
    const reply = await call('/api/v1/traffic?since=15m&step=5m&by=gateway', tokens.reader);
    expect(reply.status, JSON.stringify(reply.body)).to.equal(200);
    const series = reply.body.series as {
      group: string;
      points: { requests: number; latencyMs: { p99: number | null } }[];
    }[];
    expect(series.map((s) => s.group)).to.deep.equal(['gw-0', 'gw-1', 'gw-2']);
    for (const s of series) {
      expect(s.points.reduce((sum, p) => sum + p.requests, 0)).to.equal(10);
      expect(s.points.some((p) => p.latencyMs.p99 !== null)).to.equal(true);
    }
  });

  it('200 /api/v1/top: the busiest paths', async () => {
    const reply = await call('/api/v1/top?by=path&since=1h&limit=1', tokens.reader);
    expect(reply.status).to.equal(200);
    expect(reply.body.total).to.equal(30);
    expect(reply.body.items).to.deep.equal([{ value: '/api/hot', count: 21, error: 0 }]);
  });

  it('200 /api/v1/audit: entries of the range', async () => {
    const reply = await call('/api/v1/audit?since=1h&kind=WafRuleSet', tokens.reader);
    expect(reply.status).to.equal(200);
    expect((reply.body.items as { summary: string }[]).map((i) => i.summary)).to.deep.equal([
      'changed spec.mode',
    ]);
  });

  it('400 for a bad query, saying what is allowed', async () => {
    const step = await call('/api/v1/traffic?step=5x', tokens.reader);
    expect(step.status).to.equal(400);
    expect(step.body.message).to.match(/step="5x": must be a duration such as 30s, 5m, 1h or 7d/);
    const points = await call('/api/v1/traffic?since=7d&step=1m', tokens.reader);
    expect(points.status).to.equal(400);
    expect(points.body.message).to.match(/makes 10080 points; at most 1440/);
    const by = await call('/api/v1/top?by=referer', tokens.reader);
    expect(by.status).to.equal(400);
    expect(by.body.message).to.include('one of path, client_ip, user_agent, country, asn');
  });

  it('403 without the permission on the virtual resource', async () => {
    const reply = await call('/api/v1/traffic', tokens.stranger);
    expect(reply.status).to.equal(403);
    expect(reply.body).to.include({ verb: 'get', resource: 'traffic.gateway.awesomeapi.com.br' });
    const run = await call('/api/v1/jobs', tokens.reader, {
      method: 'POST',
      type: 'application/json',
      body: '{"kind":"test.noop"}',
    });
    expect(run.status).to.equal(403);
    expect(run.body).to.include({ verb: 'create', resource: 'jobs.gateway.awesomeapi.com.br' });
  });

  it('jobs: run one with a JSON body (201), see it, list it, cancel it (404 for none)', async () => {
    const created = await call('/api/v1/jobs', tokens.operator, {
      method: 'POST',
      type: 'application/json',
      body: JSON.stringify({ kind: 'test.noop', target: 'shop/a', payload: { n: 1 } }),
    });
    expect(created.status, JSON.stringify(created.body)).to.equal(201);
    const job = created.body.job as { id: string; state: string; payload: unknown };
    expect(job).to.deep.include({ state: 'queued', payload: { n: 1 } });
    const shown = await call(`/api/v1/jobs/${job.id}`, tokens.reader);
    expect(shown.status).to.equal(200);
    expect(shown.body.target).to.equal('shop/a');
    const listed = await call('/api/v1/jobs?kind=test.noop&state=queued', tokens.reader);
    expect((listed.body.items as { id: string }[]).map((j) => j.id)).to.include(job.id);
    const cancelled = await call(`/api/v1/jobs/${job.id}/cancel`, tokens.operator, { method: 'POST' });
    expect(cancelled.status).to.equal(200);
    expect(cancelled.body.outcome).to.equal('cancelled');
    const again = await call(`/api/v1/jobs/${job.id}/cancel`, tokens.operator, { method: 'POST' });
    expect(again.status).to.equal(409);
    const none = await call('/api/v1/jobs/00000000-0000-0000-0000-000000000000', tokens.reader);
    expect(none.status).to.equal(404);
  });

  it('jobs: a bad body is a 400, a body of another type 415, a body too large 413', async () => {
    const post = (body: string, type = 'application/json') =>
      call('/api/v1/jobs', tokens.operator, { method: 'POST', type, body });
    const unknownKind = await post('{"kind":"no.such"}');
    expect(unknownKind.status).to.equal(400);
    expect(unknownKind.body.message).to.include('unknown job kind "no.such"; the kinds are test.noop');
    const missing = await post('{"target":"x"}');
    expect(missing.status).to.equal(400);
    expect(missing.body.message).to.include('"kind" is required');
    const field = await post('{"kind":"test.noop","priority":1}');
    expect(field.body.message).to.include('unknown field "priority"');
    const malformed = await post('{"kind":');
    expect(malformed.status).to.equal(400);
    expect(malformed.body.message).to.include('not valid JSON');
    const text = await post('kind=test.noop', 'application/x-www-form-urlencoded');
    expect(text.status).to.equal(415);
    const large = await post(JSON.stringify({ kind: 'test.noop', payload: 'x'.repeat(200 * 1024) }));
    expect(large.status).to.equal(413);
    expect(large.body.message).to.include('larger than 131072 bytes');
  });
});
