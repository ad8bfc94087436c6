/**
 * Synthetic gateway traffic for the telemetry benchmark: Zipf-distributed paths and client
 * addresses, a status mix, log-normal latencies — seeded, so runs compare.
 */
import type { AccessRecord } from '../src/domain/telemetry/records.js';
import { LogEntry, LogType } from '../src/generated/gateway/worker/v1/telemetry.js';

export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Ranks 0..n-1 with P(k) ∝ 1/(k+1)^s, by inverse transform on the cumulative weights. */
export function zipf(n: number, s: number, next: () => number): () => number {
  const cumulative = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) cumulative[i] = sum += 1 / Math.pow(i + 1, s);
  return () => {
    const u = next() * sum;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((cumulative[mid] ?? 0) < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

const STATUSES = [
  200, 200, 200, 200, 200, 200, 200, 201, 204, 301, 304, 400, 401, 403, 404, 404, 429, 500, 502, 503,
];
const METHODS = ['GET', 'GET', 'GET', 'GET', 'POST', 'PUT', 'DELETE'];
const HOSTS = ['shop.example.com', 'api.example.com', 'www.example.com', 'cdn.example.com'];

export interface TrafficOptions {
  readonly startMs: number;
  /** Records are spread over this many ms. */
  readonly spanMs: number;
  readonly gateways: number;
  /** Distinct client addresses (Zipf over them), or 'unique' for one per record. */
  readonly clients: number | 'unique';
  readonly seed: number;
}

export function* accessRecords(count: number, options: TrafficOptions): Generator<AccessRecord> {
  const next = random(options.seed);
  const path = zipf(5_000, 1.1, next);
  const client = options.clients === 'unique' ? () => 0 : zipf(options.clients, 1.05, next);
  for (let i = 0; i < count; i++) {
    const u = Math.max(next(), 1e-12);
    const normal = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * next());
    const p = path();
    const ip = options.clients === 'unique' ? i : client();
    yield {
      timeMs: options.startMs + Math.floor((i / count) * options.spanMs),
      gatewayId: `gateway-${i % options.gateways}`,
      host: HOSTS[p % HOSTS.length] ?? '',
      route: `shop/storefront/r${p % 20}`,
      method: METHODS[i % METHODS.length] ?? 'GET',
      status: STATUSES[Math.floor(next() * STATUSES.length)] ?? 200,
      latencyMs: Math.exp(3 + 1.1 * normal),
      bytesIn: 200 + (i % 500),
      bytesOut: 1_000 + (p % 9_000),
      path: `/api/v1/items/${p}`,
      clientIp: `10.${(ip >>> 16) & 255}.${(ip >>> 8) & 255}.${ip & 255}`,
      userAgent: `client/${p % 50}`,
      country: '',
      asn: '',
    };
  }
}

/** The same records as the gateway ships them (LogEntry, ACCESS). */
export function toEntry(r: AccessRecord): LogEntry {
  return LogEntry.fromPartial({
    gatewayId: r.gatewayId,
    timestamp: (BigInt(r.timeMs) * 1_000_000n).toString(),
    logType: LogType.LOG_TYPE_ACCESS,
    requestData: {
      method: r.method,
      uri: `${r.path}?page=1`,
      statusCode: r.status,
      responseTimeUs: Math.round(r.latencyMs * 1000),
      clientIp: r.clientIp,
      userAgent: r.userAgent,
      host: r.host,
      requestSize: r.bytesIn,
      responseSize: r.bytesOut,
    },
  });
}
