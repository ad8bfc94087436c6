/**
 * The leader's correlation loop: security events from the telemetry processor (all gateways)
 * go through the correlation engine with the scenarios of every ThreatPolicy; each overflow goes
 * to the decision service. Runs on the leader only (the processor does too), once the database
 * is ready; a new leader starts with empty buckets and the decisions storage holds.
 */
import type { ThreatPolicySpec } from '../api/v1alpha1/index.js';
import { CorrelationEngine, type ScenarioCounters } from '../domain/threats/correlation.js';
import { compilePolicy } from '../domain/threats/policy.js';
import type { CorrelationEvent } from '../domain/threats/scenario.js';
import type { SecurityEvent } from '../domain/telemetry/records.js';
import type { Clock } from '../runtime/clock.js';
import type { Component } from '../runtime/component.js';
import type { Logger } from '../runtime/logger.js';
import type { Store } from '../storage/store.js';
import type { SecurityEventHub } from '../telemetry/security-hub.js';
import { DecisionService } from './decision-service.js';
import type { DenyLists } from './deny-lists.js';
import type { IncidentHub } from './incident-hub.js';

export interface ThreatCorrelatorOptions {
  readonly store: Store;
  readonly schema: string;
  readonly securityEvents: SecurityEventHub;
  readonly denyLists: DenyLists;
  readonly owner: string;
  readonly incidents: IncidentHub;
  readonly clock: Clock;
  readonly logger: Logger;
  /** A policy's scenario overflowed (`namespace/name`), after the decision and incident were stored. */
  readonly onTriggered?: (policy: string) => void;
  readonly resyncMs?: number;
}

export class ThreatCorrelator implements Component {
  readonly name = 'threat-correlator';
  private readonly engine = new CorrelationEngine();
  private policies = new Map<string, ThreatPolicySpec>();
  private service: DecisionService | undefined;
  private unsubscribe: (() => void) | undefined;
  /** Moves on every start and stop: an activation that outlived its start gives up. */
  private generation = 0;
  private readonly triggered = new Map<string, number>();
  private resolvePublished: () => void = () => undefined;
  /**
   * Resolves once the decisions in storage have been published for the first time. The pusher
   * holds the deny lists until then: a restarted leader would otherwise push the lists without
   * its bans and lift them on every gateway until storage was read.
   */
  readonly published = new Promise<void>((resolve) => {
    this.resolvePublished = resolve;
  });

  constructor(private readonly options: ThreatCorrelatorOptions) {}

  /**
   * Returns at once: the manager starts every leader component together, and one waiting for a
   * database that is down would hold back WAF, routes and certificates with it.
   */
  start(): Promise<void> {
    const generation = ++this.generation;
    this.activate(generation).catch((error: unknown) => {
      if (generation !== this.generation) return;
      this.options.logger.error('threat correlation did not start', {
        error: error instanceof Error ? error.message : String(error),
      });
    });
    return Promise.resolve();
  }

  private async activate(generation: number): Promise<void> {
    const db = await this.options.store.ready();
    if (generation !== this.generation) return;
    const service = new DecisionService({
      db,
      schema: this.options.schema,
      denyLists: this.options.denyLists,
      owner: this.options.owner,
      incidents: this.options.incidents,
      clock: this.options.clock,
      logger: this.options.logger,
      ...(this.options.resyncMs !== undefined ? { resyncMs: this.options.resyncMs } : {}),
    });
    await service.start();
    if (generation !== this.generation) {
      service.stop();
      return;
    }
    this.service = service;
    this.resolvePublished();
    this.unsubscribe = this.options.securityEvents.onSecurityEvents((events) => this.ingest(events));
  }

  stop(): Promise<void> {
    this.generation += 1;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.service?.stop();
    this.service = undefined;
    return Promise.resolve();
  }

  /** The decision service while leading (for status), else undefined. */
  get decisions(): DecisionService | undefined {
    return this.service;
  }

  /** Replaces every policy's scenarios (`namespace/name` → spec); unchanged scenarios keep their buckets. */
  setPolicies(policies: ReadonlyMap<string, ThreatPolicySpec>): void {
    this.policies = new Map(policies);
    this.engine.setScenarios([...policies].flatMap(([key, spec]) => compilePolicy(key, spec)));
  }

  /** Counters of one policy's scenarios, by scenario name. */
  counters(policy: string): Map<string, ScenarioCounters> {
    const prefix = `${policy}/`;
    const out = new Map<string, ScenarioCounters>();
    for (const [id, counters] of this.engine.counters())
      if (id.startsWith(prefix)) out.set(id.slice(prefix.length), counters);
    return out;
  }

  lastTriggered(policy: string): number | undefined {
    return this.triggered.get(policy);
  }

  /** Pours events in; exposed for tests and benchmarks, otherwise fed by the hub. */
  ingest(events: readonly SecurityEvent[]): void {
    const service = this.service;
    if (!service || this.policies.size === 0) return;
    for (const overflow of this.engine.ingest(events.map(correlationEvent))) {
      const policy = policyOf(overflow.scenario.id);
      this.triggered.set(policy, this.options.clock.now());
      service
        .handle(policy, overflow)
        .then(() => this.options.onTriggered?.(policy))
        .catch((err: unknown) =>
          this.options.logger.error('threat decision failed', {
            scenario: overflow.scenario.id,
            source: overflow.key,
            error: err instanceof Error ? err.message : String(err),
          }),
        );
    }
  }
}

/** `namespace/name/scenario` → `namespace/name`. */
function policyOf(scenarioId: string): string {
  return scenarioId.slice(0, scenarioId.lastIndexOf('/'));
}

export function correlationEvent(e: SecurityEvent): CorrelationEvent {
  const query = e.uri.indexOf('?');
  return {
    timeMs: e.timeMs,
    gatewayId: e.gatewayId,
    logType: 'security',
    clientIp: e.clientIp,
    threatType: e.threatType,
    ruleId: e.ruleId,
    action: e.action,
    statusCode: e.statusCode,
    path: query < 0 ? e.uri : e.uri.slice(0, query),
    host: e.host,
    route: e.route,
    asn: e.asn,
  };
}
