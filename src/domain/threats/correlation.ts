/**
 * The correlation engine: security events in, scenario overflows out. Pure and synchronous —
 * the caller hands in events (from every gateway) and acts on what overflows. Each scenario keeps
 * one leaky bucket per group key; a bucket's level leaks one event per `leakMs` of event time and
 * the event that takes it past `capacity` overflows it, which empties it (as in CrowdSec, a new
 * overflow needs a full bucket again). Buckets that have leaked dry are swept so memory follows
 * the active sources, not every source ever seen.
 */
import { decisionValue, groupKey, matchesFilter, type CorrelationEvent, type Scenario } from './scenario.js';

/** Events kept per overflow for the incident report. */
export const SAMPLE_EVENTS = 5;
/** Sweep dry buckets after this many events. */
const SWEEP_EVERY = 65_536;
/** Distinct values tracked per bucket at most: beyond it the bucket is counted as full. */
const MAX_DISTINCT = 10_000;

export interface Overflow {
  readonly scenario: Scenario;
  /** The bucket's group key (an address, a /24, an ASN, a header value). */
  readonly key: string;
  /** What a decision covers (address or CIDR); undefined when the event had no usable address. */
  readonly value: string | undefined;
  readonly firstSeenMs: number;
  readonly lastSeenMs: number;
  /** Events poured into the bucket since it was last empty. */
  readonly events: number;
  readonly samples: readonly CorrelationEvent[];
  readonly hosts: readonly string[];
  readonly routes: readonly string[];
}

interface Bucket {
  level: number;
  lastMs: number;
  firstMs: number;
  poured: number;
  samples: CorrelationEvent[];
  hosts: Set<string>;
  routes: Set<string>;
  distinct: Set<string> | undefined;
}

interface ScenarioState {
  readonly scenario: Scenario;
  readonly buckets: Map<string, Bucket>;
  matched: number;
  overflows: number;
}

export interface ScenarioCounters {
  readonly matched: number;
  readonly overflows: number;
  readonly buckets: number;
}

export class CorrelationEngine {
  private states: ScenarioState[] = [];
  private sinceSweep = 0;

  constructor(scenarios: readonly Scenario[] = []) {
    this.setScenarios(scenarios);
  }

  /**
   * Replaces the scenarios; one whose definition did not change keeps its buckets and counters,
   * so editing one policy does not forget what the others were counting.
   */
  setScenarios(scenarios: readonly Scenario[]): void {
    const before = new Map(this.states.map((s) => [s.scenario.id, s]));
    this.states = scenarios.map((scenario) => {
      const kept = before.get(scenario.id);
      if (kept && sameScenario(kept.scenario, scenario)) return { ...kept, scenario };
      return { scenario, buckets: new Map(), matched: 0, overflows: 0 };
    });
  }

  /** Pours events in; returns the overflows they caused, in order. */
  ingest(events: readonly CorrelationEvent[]): Overflow[] {
    const out: Overflow[] = [];
    for (const event of events) {
      for (const state of this.states) {
        if (!matchesFilter(state.scenario.filter, event)) continue;
        const key = groupKey(state.scenario, event);
        if (key === undefined) continue;
        state.matched += 1;
        const overflow = this.pour(state, key, event);
        if (overflow) out.push(overflow);
      }
      this.sinceSweep += 1;
      if (this.sinceSweep >= SWEEP_EVERY) this.sweep(event.timeMs);
    }
    return out;
  }

  counters(): Map<string, ScenarioCounters> {
    return new Map(
      this.states.map((s) => [
        s.scenario.id,
        { matched: s.matched, overflows: s.overflows, buckets: s.buckets.size },
      ]),
    );
  }

  /** Drops buckets that have leaked dry by `nowMs`. */
  sweep(nowMs: number): void {
    this.sinceSweep = 0;
    for (const state of this.states) {
      for (const [key, bucket] of state.buckets) {
        if (leaked(bucket, nowMs, state.scenario.leakMs) <= 0) state.buckets.delete(key);
      }
    }
  }

  private pour(state: ScenarioState, key: string, event: CorrelationEvent): Overflow | undefined {
    const { scenario } = state;
    // Gateways' clocks and batches interleave: time only moves forward inside a bucket.
    const at = event.timeMs;
    let bucket = state.buckets.get(key);
    if (bucket) {
      const level = leaked(bucket, at, scenario.leakMs);
      if (level <= 0) bucket = undefined;
      else if (at > bucket.lastMs) {
        bucket.level = level;
        bucket.lastMs = at;
      }
    }
    if (!bucket) {
      bucket = {
        level: 0,
        lastMs: at,
        firstMs: at,
        poured: 0,
        samples: [],
        hosts: new Set(),
        routes: new Set(),
        distinct: scenario.distinct ? new Set() : undefined,
      };
      state.buckets.set(key, bucket);
    }
    bucket.poured += 1;
    if (bucket.samples.length < SAMPLE_EVENTS) bucket.samples.push(event);
    if (event.host) bucket.hosts.add(event.host);
    if (event.route) bucket.routes.add(event.route);
    if (bucket.distinct && scenario.distinct) {
      const value = event[scenario.distinct];
      if (bucket.distinct.has(value)) return undefined;
      if (bucket.distinct.size < MAX_DISTINCT) bucket.distinct.add(value);
    }
    bucket.level += 1;
    if (bucket.level <= scenario.capacity) return undefined;
    state.buckets.delete(key);
    state.overflows += 1;
    return {
      scenario,
      key,
      value: decisionValue(scenario, key, event),
      firstSeenMs: bucket.firstMs,
      lastSeenMs: Math.max(bucket.lastMs, at),
      events: bucket.poured,
      samples: bucket.samples,
      hosts: [...bucket.hosts].sort(),
      routes: [...bucket.routes].sort(),
    };
  }
}

function leaked(bucket: Bucket, atMs: number, leakMs: number): number {
  const elapsed = atMs - bucket.lastMs;
  return elapsed <= 0 ? bucket.level : bucket.level - elapsed / leakMs;
}

function sameScenario(a: Scenario, b: Scenario): boolean {
  return JSON.stringify(a, setsAsArrays) === JSON.stringify(b, setsAsArrays);
}

function setsAsArrays(_key: string, value: unknown): unknown {
  return value instanceof Set ? [...(value as Set<unknown>)].sort() : value;
}
