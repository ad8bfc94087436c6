/**
 * Wiring of telemetry processing and the audit trail for `gateway-worker operator`: which pieces
 * run on every replica (the audit recorder, GeoIP) and which on the leader only (the processor,
 * the audit of resource changes), and the hooks other parts call (the ingest side's wake-up, the
 * pusher's outcomes, the RouteConfig controller's served routes, security event listeners).
 */
import type { Registry } from 'prom-client';
import type { Config } from '../config/index.js';
import type { Component } from '../runtime/component.js';
import type { KubeClient } from '../runtime/kube/client.js';
import type { Logger } from '../runtime/logger.js';
import type { Gateway, OutcomeEvent } from '../push/gateway-connection.js';
import type { PostgresSettings } from '../storage/connection-settings.js';
import type { Store } from '../storage/store.js';
import { AuditRecorder } from '../telemetry/audit-recorder.js';
import { AuditWatcher } from '../telemetry/audit-watcher.js';
import { GeoIpComponent } from '../telemetry/geoip.js';
import { FleetMetrics, telemetryMetrics } from '../telemetry/metrics.js';
import { TelemetryProcessor } from '../telemetry/processor.js';
import { pushOutcomeEvent } from '../telemetry/push-audit.js';
import { RouteTable } from '../telemetry/route-table.js';
import { SecurityEventHub } from '../telemetry/security-hub.js';
import { retentionSettings } from '../telemetry/settings.js';
import { PgNotificationListener, TelemetryWake } from '../telemetry/wake.js';

export interface Telemetry {
  /** The ingest side calls `wake.notify()` after it committed batches. */
  readonly wake: TelemetryWake;
  readonly routes: RouteTable;
  readonly securityEvents: SecurityEventHub;
  /** The audit trail: `record()` for facts, `append()` for decisions that must be recorded first. */
  readonly audit: AuditRecorder;
  readonly onPushOutcome: (gateway: Gateway, outcome: OutcomeEvent) => void;
  readonly components: readonly Component[];
  readonly leaderComponents: readonly Component[];
}

export interface TelemetryWiring {
  readonly config: Config;
  readonly store: Store;
  readonly client: KubeClient;
  readonly logger: Logger;
  readonly registry: Registry;
  /** Set on PostgreSQL: the processor also LISTENs for NOTIFY gateway_worker_telemetry. */
  readonly postgres: PostgresSettings | undefined;
}

export function telemetryComponents({
  config,
  store,
  client,
  logger,
  registry,
  postgres,
}: TelemetryWiring): Telemetry {
  const schema = config.databaseSchema;
  const log = logger.child({ component: 'telemetry' });
  const wake = new TelemetryWake();
  const routes = new RouteTable();
  const securityEvents = new SecurityEventHub();
  const metrics = telemetryMetrics(registry);
  const geo = new GeoIpComponent({ country: config.geoipCountryDatabase, asn: config.geoipAsnDatabase }, log);
  const processor = new TelemetryProcessor({
    store,
    schema,
    logger: log,
    metrics,
    fleet: new FleetMetrics(metrics, config.metricsTopRoutes),
    routes: () => routes.current(),
    geo: () => geo.lookup ?? { lookup: () => ({ country: '', asn: '' }) },
    retention: retentionSettings(config),
    topCapacity: config.telemetryTopK,
    wake,
    ...(postgres ? { listener: new PgNotificationListener(postgres, log) } : {}),
    pollMs: config.telemetryPollSeconds * 1000,
    onSecurityEvents: securityEvents.publish,
  });
  const audit = new AuditRecorder({ store, schema, logger: logger.child({ component: 'audit' }), registry });
  const watcher = new AuditWatcher({
    client,
    store,
    schema,
    namespaces: config.watchNamespaces,
    logger: logger.child({ component: 'audit' }),
    registry,
  });
  return {
    wake,
    routes,
    securityEvents,
    audit,
    onPushOutcome: (gateway, outcome) => audit.record(pushOutcomeEvent(gateway, outcome, Date.now())),
    components: [geo, audit],
    leaderComponents: [processor, watcher],
  };
}
