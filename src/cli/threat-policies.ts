/**
 * Wiring of ThreatPolicies for `gateway-worker operator`: the correlator (leader only) fed by the
 * telemetry processor's security events, publishing decisions through the deny lists; the
 * controller; the incident hook (`incidents.onIncident`) notifications subscribe to. No logic.
 */
import type { Registry } from 'prom-client';
import { ThreatPolicyResource, type ThreatPolicy } from '../api/v1alpha1/index.js';
import { pushOwner } from '../controllers/push-owners.js';
import { incidentEvents, threatPolicyController } from '../controllers/threatpolicy/controller.js';
import { systemClock } from '../runtime/clock.js';
import type { Controller } from '../runtime/controller/controller.js';
import type { Component } from '../runtime/component.js';
import type { Manager } from '../runtime/controller/manager.js';
import type { EventRecorder } from '../runtime/events/recorder.js';
import type { KubeClient } from '../runtime/kube/client.js';
import type { Logger } from '../runtime/logger.js';
import type { Store } from '../storage/store.js';
import type { SecurityEventHub } from '../telemetry/security-hub.js';
import { ThreatCorrelator } from '../threats/correlator.js';
import { DECISIONS_SOURCE } from '../threats/decision-service.js';
import type { DenyLists } from '../threats/deny-lists.js';
import { IncidentHub } from '../threats/incident-hub.js';

export interface ThreatPolicyDeps {
  readonly client: KubeClient;
  readonly manager: Manager;
  readonly recorder: EventRecorder;
  readonly logger: Logger;
  readonly registry: Registry;
  readonly store: Store;
  readonly schema: string;
  readonly denyLists: DenyLists;
  readonly securityEvents: SecurityEventHub;
}

export interface ThreatPolicies {
  readonly correlator: ThreatCorrelator;
  readonly controller: Controller;
  /**
   * The ThreatPolicy controller as the operator runs it: its first pass is over once every policy
   * was reconciled and the decisions in storage were published.
   */
  readonly component: Component & Pick<Controller, 'initialPass'>;
  /** `incidents.onIncident(subscriber)`: every incident opened or extended. */
  readonly incidents: IncidentHub;
}

export function threatPolicyComponents(deps: ThreatPolicyDeps): ThreatPolicies {
  const logger = deps.logger.child({ component: 'threat-policies' });
  const policies = deps.manager.informer<ThreatPolicy>(ThreatPolicyResource);
  const incidents = new IncidentHub(logger);
  const correlator = new ThreatCorrelator({
    store: deps.store,
    schema: deps.schema,
    securityEvents: deps.securityEvents,
    denyLists: deps.denyLists,
    owner: pushOwner('ThreatPolicy', DECISIONS_SOURCE),
    incidents,
    clock: systemClock,
    logger,
    onTriggered: (policy) => controller.enqueue(policy),
  });
  const controller = threatPolicyController({
    client: deps.client,
    policies,
    correlator,
    recorder: deps.recorder,
    logger,
    registry: deps.registry,
  });
  incidents.onIncident(incidentEvents(policies, deps.recorder));
  const component = {
    name: controller.name,
    initialPass: Promise.all([controller.initialPass, correlator.published]).then(() => undefined),
    start: () => controller.start(),
    stop: () => controller.stop(),
  };
  return { correlator, controller, component, incidents };
}
