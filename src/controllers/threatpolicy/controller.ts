/**
 * ThreatPolicy controller: watches the policies, hands every policy's scenarios to the
 * correlator (which keeps the buckets of scenarios that did not change), and reports on each
 * policy what its scenarios did: decisions in force, incidents in the last 24 hours, when it last
 * triggered, events and overflows per scenario. Incidents become Events on their policy.
 */
import type { Registry } from 'prom-client';
import {
  ThreatPolicyResource,
  statusOf,
  type ThreatPolicy,
  type ThreatPolicySpec,
  type ThreatPolicyStatus,
} from '../../api/v1alpha1/index.js';
import type { Incident } from '../../domain/threats/incidents.js';
import { systemClock, type Clock } from '../../runtime/clock.js';
import {
  Controller,
  type ReconcileRequest,
  type ReconcileResult,
} from '../../runtime/controller/controller.js';
import type { Regarding } from '../../runtime/events/event.js';
import type { EventRecorder } from '../../runtime/events/recorder.js';
import type { Informer } from '../../runtime/informer/informer.js';
import type { KubeClient } from '../../runtime/kube/client.js';
import type { Logger } from '../../runtime/logger.js';
import { setCondition } from '../../runtime/status/conditions.js';
import type { ThreatCorrelator } from '../../threats/correlator.js';
import type { IncidentChange } from '../../threats/incident-hub.js';
import { writeStatus } from '../write-status.js';

const DAY_MS = 86_400_000;
/** Counts of decisions and incidents age: status is refreshed at least this often. */
const REFRESH_MS = 60_000;

export interface ThreatPolicyControllerOptions {
  readonly client: KubeClient;
  readonly policies: Informer<ThreatPolicy>;
  readonly correlator: ThreatCorrelator;
  readonly recorder: EventRecorder;
  readonly logger: Logger;
  readonly registry?: Registry;
  readonly clock?: Clock;
}

export function threatPolicyController(options: ThreatPolicyControllerOptions): Controller {
  const { policies, correlator } = options;
  const clock = options.clock ?? systemClock;
  const reconcile = async ({ key }: ReconcileRequest): Promise<ReconcileResult | undefined> => {
    const specs = new Map<string, ThreatPolicySpec>();
    for (const p of policies.store.list())
      if (!p.metadata.deletionTimestamp)
        specs.set(`${p.metadata.namespace ?? ''}/${p.metadata.name ?? ''}`, p.spec);
    correlator.setPolicies(specs);
    const policy = policies.store.get(key);
    if (!policy || policy.metadata.deletionTimestamp) return undefined;
    const service = correlator.decisions;
    // Without the database (not ready yet) the counts are unknown: report what is known.
    const now = clock.now();
    const [active, incidents] = service
      ? await Promise.all([
          service.decisions.activeByScenario(now),
          service.incidentStore.countByPolicy(now - DAY_MS),
        ])
      : [new Map<string, number>(), new Map<string, number>()];
    const status = policyStatus(policy, key, correlator, active, incidents.get(key) ?? 0, new Date(now));
    const written = await writeStatus(options.client, ThreatPolicyResource, policy, status);
    return written ?? { requeueAfterMs: REFRESH_MS };
  };
  return new Controller({
    name: 'threatpolicy',
    workers: 1,
    logger: options.logger,
    registry: options.registry,
    clock: options.clock,
    reconcile,
  }).watchPrimary(policies);
}

/** An Event on the policy for each incident opened (extensions would flood the API server). */
export function incidentEvents(
  policies: Informer<ThreatPolicy>,
  recorder: EventRecorder,
): (incident: Incident, change: IncidentChange) => void {
  return (incident, change) => {
    if (change !== 'opened') return;
    const policy = policies.store.get(incident.policy);
    if (!policy) return;
    const scenario = incident.scenario.slice(incident.policy.length + 1);
    const decided = incident.decisions.map((d) => `${d.type} ${d.value} (${d.outcome})`).join(', ');
    recorder.record(
      policy as Regarding,
      incident.mode === 'DryRun' ? 'Normal' : 'Warning',
      'IncidentOpened',
      `Scenario ${scenario}: ${incident.events} events from ${incident.source}; ${decided || 'no decision'}. ` +
        `Incident ${incident.id}: gateway-worker incidents show ${incident.id}`,
    );
  };
}

function policyStatus(
  policy: ThreatPolicy,
  key: string,
  correlator: ThreatCorrelator,
  activeByScenario: ReadonlyMap<string, number>,
  incidents24h: number,
  now: Date,
): ThreatPolicyStatus {
  const observedGeneration = policy.metadata.generation;
  const counters = correlator.counters(key);
  let activeDecisions = 0;
  for (const [scenario, n] of activeByScenario) if (scenario.startsWith(`${key}/`)) activeDecisions += n;
  const last = correlator.lastTriggered(key);
  const previous = statusOf(policy)?.lastTriggered;
  const scenarios = policy.spec.scenarios.map((s) => {
    const c = counters.get(s.name);
    return { name: s.name, events: c?.matched ?? 0, overflows: c?.overflows ?? 0 };
  });
  return {
    observedGeneration,
    conditions: setCondition(
      statusOf(policy)?.conditions,
      {
        type: 'Ready',
        status: 'True',
        reason: policy.spec.mode === 'DryRun' ? 'DryRun' : 'Enforcing',
        message:
          `${policy.spec.scenarios.length} scenarios correlate security events from every gateway` +
          (policy.spec.mode === 'DryRun' ? '; DryRun: incidents only, no decision is pushed.' : '.'),
        observedGeneration,
      },
      now,
    ),
    activeDecisions,
    incidents24h,
    ...(last !== undefined
      ? { lastTriggered: new Date(last).toISOString().replace(/\.\d+Z$/, 'Z') }
      : previous
        ? { lastTriggered: previous }
        : {}),
    scenarios,
  };
}
