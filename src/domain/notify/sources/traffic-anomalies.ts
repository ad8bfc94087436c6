/**
 * Traffic anomalies per route, evaluated over hourly rollup series (what the analytics side keeps
 * per host and route: requests, 5xx answers, p95 latency). For the hour being evaluated:
 *
 * - TrafficErrorRateHigh: 5xx answers / requests > `errorRatePercent` %;
 * - TrafficLatencyHigh: p95 latency > `p95LatencyMs`;
 * - TrafficDropped: requests < `dropPercent` % of the same hour one week earlier.
 *
 * A route with fewer than `minRequests` requests in the hour (or, for a drop, in the hour last
 * week) is not judged: three errors in five requests is noise, not an outage.
 */
import type { NotificationEvent } from '../event.js';

export interface TrafficPoint {
  /** Start of the hour, ms since the epoch. */
  readonly hourStartMs: number;
  readonly host: string;
  readonly route: string;
  readonly requests: number;
  /** Answers with a 5xx status. */
  readonly serverErrors: number;
  /** Undefined when the hour has no latency data. */
  readonly p95LatencyMs?: number;
}

export interface TrafficThresholds {
  readonly errorRatePercent: number;
  readonly p95LatencyMs: number;
  readonly dropPercent: number;
  readonly minRequests: number;
}

export const HOUR_MS = 3_600_000;
export const WEEK_MS = 7 * 24 * HOUR_MS;

/** The anomalies of the hour starting at `hourStartMs`, from a series that holds it and the hour a week before. */
export function trafficAnomalies(
  series: readonly TrafficPoint[],
  hourStartMs: number,
  thresholds: TrafficThresholds,
): NotificationEvent[] {
  const key = (p: TrafficPoint): string => `${p.host}\0${p.route}`;
  const current = new Map<string, TrafficPoint>();
  const lastWeek = new Map<string, TrafficPoint>();
  for (const point of series) {
    if (point.hourStartMs === hourStartMs) current.set(key(point), merge(current.get(key(point)), point));
    else if (point.hourStartMs === hourStartMs - WEEK_MS)
      lastWeek.set(key(point), merge(lastWeek.get(key(point)), point));
  }
  const hour = new Date(hourStartMs).toISOString();
  const events: NotificationEvent[] = [];
  // A route that had traffic last week and none at all now is the clearest drop of all.
  for (const [k, before] of lastWeek) {
    if (!current.has(k))
      current.set(k, { ...before, hourStartMs, requests: 0, serverErrors: 0, p95LatencyMs: undefined });
  }
  for (const [k, point] of current) {
    const labels = { host: point.host, route: point.route };
    const where = `${point.host} ${point.route}`;
    if (point.requests >= thresholds.minRequests) {
      const rate = (100 * point.serverErrors) / point.requests;
      if (rate > thresholds.errorRatePercent) {
        events.push({
          type: 'TrafficErrorRateHigh',
          labels,
          annotations: {
            summary: `${round(rate)} % of requests to ${where} failed with 5xx in the hour from ${hour}`,
            description: `${point.serverErrors} of ${point.requests} requests; the threshold is ${thresholds.errorRatePercent} %.`,
            value: String(round(rate)),
          },
        });
      }
      if (point.p95LatencyMs !== undefined && point.p95LatencyMs > thresholds.p95LatencyMs) {
        events.push({
          type: 'TrafficLatencyHigh',
          labels,
          annotations: {
            summary: `p95 latency of ${where} was ${round(point.p95LatencyMs)} ms in the hour from ${hour}`,
            description: `The threshold is ${thresholds.p95LatencyMs} ms.`,
            value: String(round(point.p95LatencyMs)),
          },
        });
      }
    }
    const before = lastWeek.get(k);
    if (before && before.requests >= thresholds.minRequests) {
      const share = (100 * point.requests) / before.requests;
      if (share < thresholds.dropPercent) {
        events.push({
          type: 'TrafficDropped',
          labels,
          annotations: {
            summary: `${where} received ${round(share)} % of its traffic of the same hour last week`,
            description: `${point.requests} requests in the hour from ${hour}, against ${before.requests} a week earlier; the threshold is ${thresholds.dropPercent} %.`,
            value: String(round(share)),
          },
        });
      }
    }
  }
  return events;
}

/** Two points of the same route and hour (several status classes or gateways): requests add up, p95 keeps the worst. */
function merge(a: TrafficPoint | undefined, b: TrafficPoint): TrafficPoint {
  if (!a) return b;
  const p95 = [a.p95LatencyMs, b.p95LatencyMs].filter((v): v is number => v !== undefined);
  return {
    ...a,
    requests: a.requests + b.requests,
    serverErrors: a.serverErrors + b.serverErrors,
    ...(p95.length > 0 ? { p95LatencyMs: Math.max(...p95) } : {}),
  };
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
