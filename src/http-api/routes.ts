/**
 * Every HTTP API route, in one list: method, path, the RBAC verb on which virtual resource of
 * gateway.awesomeapi.com.br it needs, its query parameters, and the handler. A new endpoint is
 * one more entry here (and a line in docs/api.md); nothing else keeps a list of paths.
 */
import { AUDIT_ACTIONS } from '../domain/telemetry/audit-chain.js';
import { TOP_DIMENSIONS } from '../domain/telemetry/records.js';
import { JOB_STATES, type JobQueue } from '../storage/jobs/job-types.js';
import { GROUP_BY } from '../telemetry/queries.js';
import { listGateways, type GatewaySources } from './gateways-view.js';
import { jobRequest } from './job-body.js';
import { boolean, duration, integer, namespaceName, oneOf, resolveTime, text, time } from './query.js';
import { REPORT_FORMATS } from '../domain/reports/sections.js';
import { downloadReport, listReports, type ReportSources } from './reports-view.js';
import { ApiProblem, ApiResponse, route, type Route } from './route.js';
import { decisionsView, incidentView, incidentsView } from './threats-view.js';
import { auditView, jobCall, topView, trafficView, type TelemetrySources } from './telemetry-view.js';

export interface ApiSources {
  readonly gateways: GatewaySources;
  readonly telemetry: TelemetrySources;
  readonly jobs: JobQueue;
  /** Stored reports (Report kind); the routes answer 503 without them. */
  readonly reports?: ReportSources;
}

const NO_REPORTS: ReportSources = { archive: () => undefined, reports: () => [] };

const HOUR = { agoMs: 3_600_000 } as const;
const NOW = { agoMs: 0 } as const;
const name = (description: string) => text({ maxLength: 253, description });

export function apiRoutes(sources: ApiSources): Route[] {
  const { telemetry, jobs } = sources;
  const range = (query: {
    since: Parameters<typeof resolveTime>[0];
    until: Parameters<typeof resolveTime>[0];
  }) => {
    const now = telemetry.now();
    return { sinceMs: resolveTime(query.since, now), untilMs: resolveTime(query.until, now) };
  };
  const reports = sources.reports ?? NO_REPORTS;
  return [
    route({
      method: 'GET',
      path: '/api/v1/reports',
      verb: 'list',
      resource: 'reports',
      query: { namespace: namespaceName(), name: name('a Report name') },
      scope: ({ query }) => ({ namespace: query.namespace }),
      handler: ({ query }) => listReports(reports, query),
    }),
    route({
      method: 'GET',
      path: '/api/v1/reports/:namespace/:name/:id',
      verb: 'get',
      resource: 'reports',
      query: { format: oneOf(REPORT_FORMATS) },
      scope: ({ params }) => ({ namespace: params.namespace, name: params.name }),
      handler: ({ params, query }) => downloadReport(reports, params, query.format),
    }),
    route({
      method: 'GET',
      path: '/api/v1/gateways',
      verb: 'list',
      resource: 'gateways',
      query: { namespace: namespaceName(), connected: boolean() },
      scope: ({ query }) => ({ namespace: query.namespace }),
      handler: ({ query }) => listGateways(sources.gateways, query),
    }),
    route({
      method: 'GET',
      path: '/api/v1/gateways/:namespace/:pod',
      verb: 'get',
      resource: 'gateways',
      scope: ({ params }) => ({ namespace: params.namespace, name: params.pod }),
      handler: ({ params }) => {
        const key = `${params.namespace}/${params.pod}`;
        const found = listGateways(sources.gateways, { namespace: params.namespace }).items.find(
          (g) => g.name === key,
        );
        if (!found) throw new ApiProblem(404, 'NotFound', `no gateway pod ${key} is known to this replica`);
        return found;
      },
    }),
    route({
      method: 'GET',
      path: '/api/v1/traffic',
      verb: 'get',
      resource: 'traffic',
      query: {
        since: time({ default: HOUR }),
        until: time({ default: NOW }),
        step: duration({ min: 60_000, max: 30 * 86_400_000, default: 60_000 }),
        host: name('a host name'),
        route: name('a route as namespace/name/route'),
        status: oneOf(['1xx', '2xx', '3xx', '4xx', '5xx', 'other']),
        gateway: name('a gateway id'),
        by: oneOf(GROUP_BY),
      },
      handler: ({ query }) =>
        trafficView(telemetry, {
          ...range(query),
          stepMs: Math.max(60_000, query.step - (query.step % 60_000)),
          ...(query.host === undefined ? {} : { host: query.host }),
          ...(query.route === undefined ? {} : { route: query.route }),
          ...(query.status === undefined ? {} : { status: query.status }),
          ...(query.gateway === undefined ? {} : { gateway: query.gateway }),
          ...(query.by === undefined ? {} : { by: query.by }),
        }),
    }),
    route({
      method: 'GET',
      path: '/api/v1/top',
      verb: 'get',
      resource: 'traffic',
      query: {
        by: oneOf(TOP_DIMENSIONS, { default: 'path' }),
        since: time({ default: HOUR }),
        until: time({ default: NOW }),
        limit: integer({ min: 1, max: 1000, default: 10 }),
      },
      handler: ({ query }) => topView(telemetry, { ...range(query), by: query.by, limit: query.limit }),
    }),
    route({
      method: 'GET',
      path: '/api/v1/audit',
      verb: 'list',
      resource: 'audit',
      query: {
        since: time({ default: { agoMs: 86_400_000 } }),
        until: time({ default: NOW }),
        action: oneOf(AUDIT_ACTIONS),
        kind: name('a kind such as WafRuleSet or Gateway'),
        namespace: namespaceName(),
        name: name('an object name'),
        limit: integer({ min: 1, max: 10_000, default: 100 }),
      },
      handler: ({ query }) =>
        auditView(telemetry, {
          ...range(query),
          limit: query.limit,
          ...(query.action === undefined ? {} : { action: query.action }),
          ...(query.kind === undefined ? {} : { kind: query.kind }),
          ...(query.namespace === undefined ? {} : { namespace: query.namespace }),
          ...(query.name === undefined ? {} : { name: query.name }),
        }),
    }),
    route({
      method: 'GET',
      path: '/api/v1/incidents',
      verb: 'list',
      resource: 'incidents',
      query: {
        since: time({ default: { agoMs: 86_400_000 } }),
        policy: text({ maxLength: 507, description: 'a ThreatPolicy as namespace/name' }),
        limit: integer({ min: 1, max: 1000, default: 100 }),
      },
      handler: ({ query }) =>
        incidentsView(telemetry, {
          sinceMs: resolveTime(query.since, telemetry.now()),
          limit: query.limit,
          ...(query.policy === undefined ? {} : { policy: query.policy }),
        }),
    }),
    route({
      method: 'GET',
      path: '/api/v1/incidents/:id',
      verb: 'get',
      resource: 'incidents',
      scope: ({ params }) => ({ name: params.id }),
      handler: ({ params }) => incidentView(telemetry, params.id),
    }),
    route({
      method: 'GET',
      path: '/api/v1/decisions',
      verb: 'list',
      resource: 'decisions',
      query: { all: boolean() },
      handler: ({ query }) => decisionsView(telemetry, query.all === true),
    }),
    route({
      method: 'GET',
      path: '/api/v1/jobs',
      verb: 'list',
      resource: 'jobs',
      query: {
        state: oneOf(JOB_STATES),
        kind: name('a job kind'),
        limit: integer({ min: 1, max: 1000, default: 100 }),
      },
      handler: async ({ query }) => ({
        items: await jobCall(() =>
          jobs.list({
            limit: query.limit,
            ...(query.state === undefined ? {} : { state: query.state }),
            ...(query.kind === undefined ? {} : { kind: query.kind }),
          }),
        ),
      }),
    }),
    route({
      method: 'GET',
      path: '/api/v1/jobs/:id',
      verb: 'get',
      resource: 'jobs',
      scope: ({ params }) => ({ name: params.id }),
      handler: async ({ params }) => {
        const job = await jobCall(() => jobs.get(params.id));
        if (!job) throw new ApiProblem(404, 'NotFound', `no job with id ${params.id}`);
        return job;
      },
    }),
    route({
      method: 'POST',
      path: '/api/v1/jobs',
      verb: 'create',
      resource: 'jobs',
      body: jobRequest,
      handler: async ({ body }) => {
        const result = await jobCall(() => jobs.enqueue(body));
        return new ApiResponse(result.created ? 201 : 200, result);
      },
    }),
    route({
      method: 'POST',
      path: '/api/v1/jobs/:id/cancel',
      verb: 'update',
      resource: 'jobs',
      scope: ({ params }) => ({ name: params.id }),
      handler: async ({ params }) => {
        const result = await jobCall(() => jobs.cancel(params.id));
        if (result.outcome === 'not-found')
          throw new ApiProblem(404, 'NotFound', `no job with id ${params.id}`);
        if (result.outcome === 'already-finished')
          throw new ApiProblem(409, 'Conflict', `job ${params.id} already ended (${result.job.state})`);
        return result;
      },
    }),
  ];
}
