/**
 * Wiring for `gateway-worker operator`: builds the pieces from the configuration and lists the
 * components in start order. New controllers are added to that list, nowhere else.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { Config } from '../config/index.js';
import { ApiServerConnection } from '../runtime/api-server-connection.js';
import type { Component } from '../runtime/component.js';
import {
  CertificateResource,
  WafRuleSetResource,
  type Certificate,
  type WafRuleSet,
} from '../api/v1alpha1/index.js';
import { cachedCertificateDirectory } from '../controllers/certificates/directory.js';
import { PushStatusRouter } from '../controllers/push-owners.js';
import { certificateController } from '../controllers/certificates/controller.js';
import { databaseControllers } from '../controllers/database/index.js';
import type { AuditSink } from '../dbops/audit.js';
import { auditTrailSink } from '../dbops/audit-trail.js';
import { pgTools } from '../dbops/backup/pg-tools.js';
import { dbopsMetrics } from '../dbops/metrics.js';
import { RunEvents } from '../dbops/runs/run-events.js';
import { MINIMUM_SERVER_VERSION_NUM } from '../domain/dbops/index.js';
import { systemClock } from '../runtime/clock.js';
import { routeConfigController } from '../controllers/routeconfig/controller.js';
import { wafRuleSetController } from '../controllers/wafruleset/controller.js';
import type { PublishingKind } from '../domain/snapshot/pushed-types.js';
import { GatewayChannel } from '../push/channel.js';
import { EventRecorder } from '../runtime/events/recorder.js';
import { watchGateways, type Pod } from '../push/gateway-discovery.js';
import type { Controller } from '../runtime/controller/controller.js';
import { Manager } from '../runtime/controller/manager.js';
import { CoreTypes } from '../runtime/kube/resource.js';
import { KubeClient } from '../runtime/kube/client.js';
import { loadKubeAccess, type KubeAccess } from '../runtime/kube/kubeconfig.js';
import { LeaderElector, defaultIdentity } from '../runtime/leader-election.js';
import { HealthServer } from '../runtime/health-server.js';
import { API_PREFIX, HttpApi } from '../http-api/http-api.js';
import { KubeReviewer } from '../http-api/kube-reviews.js';
import { apiRoutes } from '../http-api/routes.js';
import { ObjectStoreComponent, objectStoreSettings } from '../storage/object-store-config.js';
import type { Logger } from '../runtime/logger.js';
import { createMetricsRegistry } from '../runtime/metrics.js';
import { Operator } from '../runtime/operator.js';
import { runUntilSignal, type RunOptions } from '../runtime/run-until-signal.js';
import { QueueJobRegistry } from '../grpc/queue-job-registry.js';
import { StoreJobQueue } from '../storage/jobs/job-queue.js';
import { JobRunner } from '../storage/jobs/job-runner.js';
import { Scheduler } from '../storage/jobs/scheduler.js';
import { Store } from '../storage/store.js';
import { NotificationService } from '../notify/notification-service.js';
import { TelemetryIngest } from '../telemetry/ingest/telemetry-ingest.js';
import { storeSettings } from '../storage/connection-settings.js';
import { reportComponents, type ReportComponents } from '../controllers/report/index.js';
import { registerJobKinds } from './job-kinds.js';
import { notificationHookComponents } from './notification-hooks.js';
import { telemetryComponents, type Telemetry } from './telemetry.js';
import { threatPolicyComponents } from './threat-policies.js';
import { threatComponents } from './threats.js';

/** The Lease the replicas campaign for, in POD_NAMESPACE. */
export const LEASE_NAME = 'gateway-worker-leader';

export interface OperatorDeps extends RunOptions {
  /**
   * Required by buildOperator; runOperator defaults it to loadKubeAccess(): KUBECONFIG, else
   * ~/.kube/config, else the in-cluster service account.
   */
  kubeConfig?: KubeAccess;
  /** Interface the health server binds; all interfaces when absent. */
  httpHost?: string;
  /** Database operations: where audit events go (dropped by default), the oldest server managed. */
  dbops?: { audit?: AuditSink; minimumServerVersion?: number; events?: RunEvents };
}

export function buildOperator(config: Config, logger: Logger, deps: OperatorDeps = {}): Operator {
  const kubeConfig = deps.kubeConfig;
  if (!kubeConfig)
    throw new TypeError('buildOperator needs deps.kubeConfig (runOperator loads the default one)');
  const registry = createMetricsRegistry();
  const health = new HealthServer({ port: config.httpPort, host: deps.httpHost, registry, logger });

  const apiServer = new ApiServerConnection(kubeConfig, logger);
  health.addReadinessCheck(apiServer.name, apiServer.readiness);

  // The store connects in the background: the controllers below never wait for it.
  const store = new Store({ config, logger });
  health.addReadinessCheck(store.name, store.readiness);
  const client = new KubeClient(kubeConfig, { registry });
  const telemetry: Telemetry = telemetryComponents({
    config,
    store,
    client,
    logger,
    registry,
    postgres: postgresSettings(config),
  });
  // Archives and backups; nothing is opened when it is not configured.
  const objectStoreConfig = objectStoreSettings(config);
  const objectStore = objectStoreConfig
    ? new ObjectStoreComponent(objectStoreConfig, logger.child({ component: 'object-store' }))
    : undefined;
  // Runs of database operations announce their end here: the database controllers listen, and
  // so may a notification policy.
  const dbopsEvents = deps.dbops?.events ?? new RunEvents();
  const dbops = {
    kube: client,
    store,
    schema: config.databaseSchema,
    // Configured but still opening: a job that needs it fails and retries.
    objectStore: () => objectStore?.opened,
    // Database runs append to the audit trail unless a test passes its own sink.
    audit: deps.dbops?.audit ?? auditTrailSink(telemetry.audit),
    events: dbopsEvents,
    metrics: dbopsMetrics(registry),
    clock: systemClock,
    tools: () => pgTools(),
    minimumServerVersion: deps.dbops?.minimumServerVersion ?? MINIMUM_SERVER_VERSION_NUM,
  };
  // Set once the informers and the outbox exist (below); a report job before that retries.
  const late: { reports?: ReportComponents } = {};
  const kinds = registerJobKinds(config, store, {
    objectStore: () => objectStore?.opened,
    dbops: () => dbops,
    reports: () => late.reports?.jobDeps,
  });
  const schema = config.databaseSchema;
  const runner = new JobRunner({ kinds, store, schema, workers: config.queueWorkers, logger, registry });
  // The typed queue (list/show/enqueue/cancel) that gRPC ListJobs, and the HTTP API, serve.
  const jobs = new StoreJobQueue({ kinds, store, schema, onEnqueued: () => runner.wake() });

  // Gateways' log batches into telemetry_batches, on every replica; the processor reads them.
  const ingest = new TelemetryIngest({
    store,
    schema,
    registry,
    logger,
    maxBatchBytes: config.telemetryMaxBatchBytes,
    streamWindow: config.telemetryStreamWindow,
  });
  const identity = defaultIdentity(config.podName, hostname());
  const manager = new Manager({
    client,
    logger,
    registry,
    namespaces: config.watchNamespaces,
    leaderElection: config.leaderElection
      ? (callbacks) =>
          new LeaderElector({
            client,
            namespace: config.podNamespace,
            name: LEASE_NAME,
            identity,
            logger: logger.child({ component: 'leader-election' }),
            registry,
            ...callbacks,
          })
      : undefined,
  });
  health.addReadinessCheck('informers', manager.readiness);

  // The processor on this replica (when it leads) hears of new batches at once.
  ingest.onBatchStored(() => telemetry.wake.notify());

  const certificates = manager.informer<Certificate>(CertificateResource);
  const router = new PushStatusRouter();
  const channel = new GatewayChannel({
    onStatusChange: router.route,
    onOutcome: telemetry.onPushOutcome,
    client,
    namespace: config.podNamespace,
    grpcPort: config.grpcPort,
    registry,
    logger,
    certificates: cachedCertificateDirectory(certificates),
    jobs: new QueueJobRegistry(jobs),
    extensions: [ingest],
  });
  const pods = manager.informer<Pod>(CoreTypes.pod, { labelSelector: config.gatewaySelector });
  watchGateways(pods, config.gatewayAgentPort, (gateways) => {
    channel.pusher.setGateways(gateways);
  });
  manager.add(channel.leaderComponent);

  // Controllers are registered here, and only here.
  const recorder = new EventRecorder({ client, instance: identity, logger });
  const shared = {
    client,
    manager,
    router,
    recorder,
    publisher: () => channel.pusher,
    logger,
    registry,
    workers: config.queueWorkers,
  };
  // Threat feeds, allowlists and the deny lists every source publishes through.
  const threats = threatComponents({ ...shared, store, schema });
  manager.add(threats.allowlistController);
  const policies = threatPolicyComponents({
    ...shared,
    store,
    schema,
    denyLists: threats.denyLists,
    securityEvents: telemetry.securityEvents,
  });
  manager.add(policies.correlator);
  // One per kind that publishes a pushed type (domain/snapshot/pushed-types.ts).
  const controllers: Record<PublishingKind, Component & Partial<Pick<Controller, 'initialPass'>>> = {
    Certificate: certificateController({
      ...shared,
      namespace: config.podNamespace,
      retry: {
        initialMs: config.certificateRetryInitialSeconds * 1000,
        maxMs: config.certificateRetryMaxSeconds * 1000,
        transientInitialMs: config.certificateTransientRetryInitialSeconds * 1000,
        transientMaxMs: config.certificateTransientRetryMaxSeconds * 1000,
      },
      maxConcurrentIssuances: config.certificateMaxConcurrentIssuances,
    }),
    WafRuleSet: wafRuleSetController(shared),
    RouteConfig: routeConfigController({ ...shared, onServing: telemetry.routes.update }),
    ThreatFeed: threats.feedController,
    ThreatPolicy: policies.component,
  };
  for (const [kind, controller] of Object.entries(controllers)) {
    manager.add(controller);
    // A new leader pushes a kind's types once its controller has published what exists.
    if (controller.initialPass) channel.holdUntilPublished(kind, controller.initialPass);
  }

  // The database kinds: every run is a job of the queue above, on whichever replica claims it.
  for (const controller of databaseControllers({
    ...shared,
    store,
    schema,
    jobs,
    events: dbopsEvents,
  }))
    manager.add(controller);
  // Notifications (docs/notifications.md): the notifier on every replica; the NotificationChannel
  // and NotificationPolicy controllers, the sources, grouping and delivery on the leader. Later
  // features get `notifications.hooks` (typed events) and `notifications.outbox` (reports) here.
  const notifications = new NotificationService({
    store,
    schema,
    operatorNamespace: config.podNamespace,
    client,
    manager,
    certificates,
    wafRuleSets: manager.informer<WafRuleSet>(WafRuleSetResource),
    gateways: { gateways: () => (manager.isLeader ? channel.pusher.gateways() : []) },
    thresholds: {
      certificateExpiryDays: config.notifyCertificateExpiryDays,
      gatewayGoneMinutes: config.notifyGatewayGoneMinutes,
      gatewayUnsyncedMinutes: config.notifyGatewayUnsyncedMinutes,
    },
    trafficThresholds: {
      errorRatePercent: config.notifyTrafficErrorRatePercent,
      p95LatencyMs: config.notifyTrafficP95Ms,
      dropPercent: config.notifyTrafficDropPercent,
      minRequests: config.notifyTrafficMinRequests,
    },
    logger,
    registry,
    workers: config.queueWorkers,
  });
  for (const component of notifications.leaderComponents) manager.add(component);
  policies.incidents.onIncident((incident, change) => notifications.hooks.incident(incident, change));
  // Threat feeds' health, the database operations' outcomes and each rolled-up hour of traffic
  // into the hooks, as complete sets.
  for (const component of notificationHookComponents({
    hooks: notifications.hooks,
    manager,
    logger,
    store,
    schema,
    threats,
  }))
    manager.add(component);
  // Reports (docs/reports.md): schedules on the leader, jobs on any replica, delivery by the outbox.
  const reports = reportComponents({
    ...shared,
    store,
    schema,
    objectStore: () => objectStore?.opened,
    outbox: notifications.outbox,
    certificates,
    ...(config.reportLinkBaseUrl === undefined ? {} : { linkBaseUrl: config.reportLinkBaseUrl }),
  });
  late.reports = reports;
  manager.add(reports.controller);

  // The HTTP API on the health server's port; its endpoints are listed in src/http-api/routes.ts.
  const reviewer = new KubeReviewer({ client, registry });
  const api = new HttpApi({
    routes: apiRoutes({
      gateways: {
        connections: () => (manager.isLeader ? channel.pusher.gateways() : []),
        reports: () => channel.reports.all(),
        replica: () => ({ name: identity, leader: manager.isLeader }),
      },
      telemetry: { store, schema, now: () => Date.now() },
      jobs,
      reports: reports.api,
    }),
    authenticator: reviewer,
    authorizer: reviewer,
    logger: logger.child({ component: 'http-api' }),
    registry,
  });
  health.mount(API_PREFIX, (req, res) => api.handle(req, res));

  // Telemetry processing and the audit of resource changes run on the leader only.
  for (const component of telemetry.leaderComponents) manager.add(component);

  // Cron schedules fire on the leader only; jobs run on every replica.
  manager.add(new Scheduler({ kinds, store, schema, logger, onEnqueued: () => runner.wake() }));

  // The object store opens before the runner starts jobs that write to it; the audit recorder
  // (in telemetry.components) stops after the runner, so a job's last entries are written.
  const components: Component[] = [
    store,
    notifications.component,
    apiServer,
    ...(objectStore ? [objectStore] : []),
    ...telemetry.components,
    channel,
    manager,
    runner,
  ];
  return new Operator({ health, components, logger });
}

/** Runs the operator until SIGTERM/SIGINT; resolves with the process exit code. */
export async function runOperator(config: Config, logger: Logger, deps: OperatorDeps = {}): Promise<number> {
  logger.info('starting gateway-worker operator', {
    httpPort: config.httpPort,
    grpcPort: config.grpcPort,
    queueWorkers: config.queueWorkers,
    watchNamespaces: config.watchNamespaces.length > 0 ? config.watchNamespaces : 'all',
    podNamespace: config.podNamespace,
    leaderElection: config.leaderElection,
    objectStore: config.objectStoreUrl ?? 'none',
    database: config.databaseUrl === undefined ? `embedded (${config.embeddedDataDir})` : 'postgres',
    databaseSchema: config.databaseSchema,
  });
  const kubeConfig = deps.kubeConfig ?? (await loadKubeAccess());
  return runUntilSignal(buildOperator(config, logger, { ...deps, kubeConfig }), logger, deps);
}

/** The PostgreSQL settings when DATABASE_URL is set (the LISTEN connection uses them); else undefined. */
function postgresSettings(config: Config) {
  try {
    const settings = storeSettings(config, (path) => readFileSync(path, 'utf8'));
    return settings.kind === 'postgres' ? settings : undefined;
  } catch {
    // The store reports a bad setting itself (/ready); the processor then polls.
    return undefined;
  }
}
