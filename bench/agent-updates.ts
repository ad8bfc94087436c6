/**
 * When each simulated gateway received and applied each update, for the operator benchmarks.
 * {@link instrumentAgent} wraps an agent's ConfigState.apply (the call its SyncConfig handler
 * makes for every complete update, right before it writes the ACK) and reports each applied
 * update with absolute timestamps, so agents in a child process can report too; {@link AgentUpdates}
 * collects the reports and wakes waiters, so latencies come from events, not from polling.
 */
import type { SimulatedGateway } from '../src/agent/simulator.js';
import {
  ResourceType,
  resourceTypeToJSON,
  type Resource,
} from '../src/generated/gateway/worker/v1/resources.js';
import { PushEvents } from './push-latency.js';

/** Milliseconds since the epoch with sub-millisecond precision, comparable across processes. */
export const now = (): number => performance.timeOrigin + performance.now();

/** One update an agent applied (ACKed with a new version). */
export interface AgentUpdate {
  readonly gateway: number;
  readonly type: ResourceType;
  readonly version: string;
  readonly resourceCount: number;
  readonly payloadBytes: number;
  /** For routes, when asked for: the endpoints the table ships (every backend of every route). */
  readonly routeEndpoints?: number;
  /** {@link now} when the complete update reached the agent's state (chunks assembled). */
  readonly receivedAt: number;
  /** {@link now} when it was applied (files written, version recorded), just before the ACK. */
  readonly appliedAt: number;
}

export type UpdateListener = (update: AgentUpdate) => void;

/** Endpoints a routes table ships: every backend of every route of every RouteConfig. */
export function routeEndpoints(resources: readonly Resource[]): number {
  let total = 0;
  for (const r of resources) {
    const payload = JSON.parse(r.payload.toString('utf8')) as {
      routes?: { backends?: { endpoints?: unknown[] }[] }[];
    };
    for (const route of payload.routes ?? [])
      for (const backend of route.backends ?? []) total += backend.endpoints?.length ?? 0;
  }
  return total;
}

/**
 * Reports every update `gateway` applies; its code is unchanged, the cost is two clock reads.
 * With `countRouteEndpoints`, routes updates are also counted, after the ACK has gone out.
 */
export function instrumentAgent(
  gateway: SimulatedGateway,
  onApplied: UpdateListener,
  options: {
    /** The gateway's number among all of them (its own index when they all run in one process). */
    readonly index?: number;
    readonly countRouteEndpoints?: boolean;
  } = {},
): void {
  const state = gateway.agent.state;
  const apply = state.apply.bind(state);
  state.apply = async (type, version, received, delta) => {
    const receivedAt = now();
    const result = await apply(type, version, received, delta);
    if (result.kind === 'ack' && result.changed) {
      // The whole state now applied, also after an incremental update.
      const resources = state.appliedResources(type);
      const update: AgentUpdate = {
        gateway: options.index ?? gateway.index,
        type,
        version,
        resourceCount: resources.length,
        payloadBytes: resources.reduce((sum, r) => sum + r.payload.byteLength, 0),
        receivedAt,
        appliedAt: now(),
      };
      if (options.countRouteEndpoints && type === ResourceType.RESOURCE_TYPE_ROUTES)
        setImmediate(() => onApplied({ ...update, routeEndpoints: routeEndpoints(resources) }));
      else onApplied(update);
    }
    return result;
  };
}

export class AgentUpdates {
  private readonly events = new PushEvents();
  private readonly lastApplied: Map<ResourceType, AgentUpdate>[];
  private readonly listeners = new Set<UpdateListener>();

  /** `held` reads an agent's own applied version of a type, where it runs in this process. */
  constructor(
    readonly count: number,
    private readonly held?: (gateway: number, type: string) => string | undefined,
  ) {
    this.lastApplied = Array.from({ length: count }, () => new Map<ResourceType, AgentUpdate>());
  }

  /** Takes a report. */
  readonly record = (update: AgentUpdate): void => {
    this.lastApplied[update.gateway]?.set(update.type, update);
    for (const listener of this.listeners) listener(update);
    this.events.onStatusChange();
  };

  /** The last update of `type` each agent applied (undefined for none). */
  last(type: ResourceType): (AgentUpdate | undefined)[] {
    return this.lastApplied.map((byType) => byType.get(type));
  }

  onUpdate(listener: UpdateListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves when `condition` holds, checked now and after every applied update. */
  until(what: string, condition: () => boolean, timeoutMs = 120_000): Promise<void> {
    return this.events.until(what, condition, timeoutMs);
  }

  /**
   * Resolves with every agent's update once all of them have applied a version of `type` other
   * than `previous` (the one they held before the change), the same version everywhere.
   */
  async allMovedFrom(
    type: ResourceType,
    previous: string | undefined,
    timeoutMs = 120_000,
  ): Promise<AgentUpdate[]> {
    let done: AgentUpdate[] = [];
    await this.until(
      `every agent applies a new ${resourceTypeToJSON(type)} version`,
      () => {
        const last = this.last(type);
        const version = last[0]?.version;
        if (version === undefined || version === previous) return false;
        if (!last.every((u) => u?.version === version)) return false;
        done = last as AgentUpdate[];
        return true;
      },
      timeoutMs,
    );
    // The agents' own view (appliedVersions()) agrees, where it can be read.
    if (this.held) {
      for (let i = 0; i < this.count; i++) {
        const version = this.held(i, resourceTypeToJSON(type));
        if (version !== done[0]?.version)
          throw new Error(`gateway-${i} holds ${version ?? 'nothing'}, not ${done[0]?.version ?? ''}`);
      }
    }
    return done;
  }
}
