/**
 * The records the processor aggregates, after decoding and enrichment: plain data, independent
 * of the protobuf types, so the aggregation is tested and benchmarked without any I/O.
 */

/** An ACCESS record with the route that served it. */
export interface AccessRecord {
  /** Milliseconds since the epoch: when the gateway logged it. */
  readonly timeMs: number;
  readonly gatewayId: string;
  /** Lowercase, without a port; '' when the gateway did not say. */
  readonly host: string;
  /** 'namespace/name/route' of the route that served it, or '' when none matched. */
  readonly route: string;
  readonly method: string;
  /** HTTP status; 0 when no response was sent. */
  readonly status: number;
  readonly latencyMs: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  /** Path without the query string. */
  readonly path: string;
  readonly clientIp: string;
  readonly userAgent: string;
  /** ISO country code from GeoIP, '' when unknown or not configured. */
  readonly country: string;
  /** 'AS15169' from GeoIP, '' when unknown or not configured. */
  readonly asn: string;
}

/** A SECURITY record (a WAF match), enriched. */
export interface SecurityEvent {
  readonly timeMs: number;
  readonly gatewayId: string;
  /** Where it came from: batch identity and index, which make it unique (idempotent inserts). */
  readonly stream: string;
  readonly sequence: number;
  readonly index: number;
  readonly ruleId: string;
  readonly ruleDescription: string;
  readonly threatType: string;
  readonly severity: string;
  /** blocked, logged, rate_limited, ... as the gateway said. */
  readonly action: string;
  readonly clientIp: string;
  readonly payload: string;
  readonly country: string;
  readonly asn: string;
  readonly host: string;
  readonly uri: string;
  readonly method: string;
  readonly statusCode: number;
  readonly requestId: string;
  /** 'namespace/name/route' of the route the request matched, '' when none. */
  readonly route: string;
  /** The WAF rule sets of that route, as pushed ('namespace.name'), comma-separated order kept. */
  readonly ruleSets: readonly string[];
}

/** Records a gateway's agent had to drop before shipping, reported with a batch. */
export interface DropReport {
  readonly timeMs: number;
  readonly gatewayId: string;
  readonly access: number;
  readonly security: number;
}

export const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx', 'other'] as const;
export type StatusClass = (typeof STATUS_CLASSES)[number];

export function statusClass(status: number): StatusClass {
  if (status >= 100 && status < 600) return STATUS_CLASSES[Math.floor(status / 100) - 1] ?? 'other';
  return 'other';
}

/** A request that failed on the server side: a 5xx, or no response at all. */
export function isError(status: number): boolean {
  return status >= 500 || status < 100;
}

export const TOP_DIMENSIONS = ['path', 'client_ip', 'user_agent', 'country', 'asn'] as const;
export type TopDimension = (typeof TOP_DIMENSIONS)[number];

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

export function minuteOf(timeMs: number): number {
  return timeMs - (((timeMs % MINUTE_MS) + MINUTE_MS) % MINUTE_MS);
}

export function hourOf(timeMs: number): number {
  return timeMs - (((timeMs % HOUR_MS) + HOUR_MS) % HOUR_MS);
}
