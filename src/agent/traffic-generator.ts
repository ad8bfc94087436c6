/**
 * Synthetic gateway traffic for tests, the demo and benchmarks, deterministic for a seed:
 * paths and client addresses drawn from Zipf distributions (a few hot, a long tail), a status
 * mix, log-normal latencies, and WAF hits at a given rate. Each request becomes a line of the
 * JSON access log (docs/telemetry.md, "Formats"); a WAF hit becomes a security line first and,
 * when blocked, a 403 access line.
 */

export interface TrafficOptions {
  readonly seed: number;
  /** Distinct paths (default 1,000) and the Zipf exponent of their popularity (default 1.1). */
  readonly paths?: number;
  readonly pathSkew?: number;
  /** Distinct client addresses (default 10,000) and their Zipf exponent (default 1.0). */
  readonly clients?: number;
  readonly clientSkew?: number;
  readonly hosts?: readonly string[];
  /** Status code → weight (default: mostly 200, some 3xx, 4xx and 5xx). */
  readonly statuses?: Readonly<Record<number, number>>;
  /** Log-normal latency: the median in ms (default 20) and sigma (default 0.8). */
  readonly latencyMedianMs?: number;
  readonly latencySigma?: number;
  /** Share of requests that are WAF hits (default 0.01). */
  readonly wafRate?: number;
  /** Share of WAF hits that are blocked rather than only logged (default 0.8). */
  readonly wafBlockRate?: number;
  /** Time of the first request (ms since the epoch) and requests per second, for timestamps. */
  readonly startMs?: number;
  readonly requestsPerSecond?: number;
  /** gateway_id on every line; empty (default) leaves it out, as the agent's gateway is implied. */
  readonly gatewayId?: string;
}

export type TrafficLine = {
  readonly type: 'access' | 'security';
  readonly fields: Record<string, string | number | boolean>;
};

const DEFAULT_STATUSES: Readonly<Record<number, number>> = {
  200: 880,
  201: 20,
  204: 10,
  301: 10,
  304: 15,
  400: 10,
  401: 10,
  404: 30,
  429: 5,
  500: 6,
  502: 3,
  503: 1,
};

const METHODS: readonly [string, number][] = [
  ['GET', 80],
  ['POST', 12],
  ['PUT', 4],
  ['DELETE', 2],
  ['PATCH', 2],
];

const USER_AGENTS = [
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148',
  'curl/8.5.0',
  'okhttp/4.12.0',
  'python-requests/2.32.3',
  'Go-http-client/2.0',
];

/** WAF rules a hit is drawn from: the gateway's own ids and OWASP CRS ids. */
const WAF_RULES: readonly {
  id: string;
  description: string;
  threat: string;
  severity: string;
  payload: string;
}[] = [
  {
    id: 'sqli-001',
    description: 'SQL injection attempt',
    threat: 'sql_injection',
    severity: 'high',
    payload: "id=1' OR '1'='1",
  },
  {
    id: '942100',
    description: 'SQL Injection Attack Detected via libinjection',
    threat: 'sql_injection',
    severity: 'critical',
    payload: 'q=1 UNION SELECT',
  },
  {
    id: 'xss-001',
    description: 'Cross-site scripting attempt',
    threat: 'xss',
    severity: 'high',
    payload: 'q=<script>alert(1)</script>',
  },
  {
    id: '930100',
    description: 'Path Traversal Attack (/../)',
    threat: 'path_traversal',
    severity: 'critical',
    payload: '/../../etc/passwd',
  },
  {
    id: '913100',
    description: 'Found User-Agent associated with security scanner',
    threat: 'scanner',
    severity: 'medium',
    payload: 'sqlmap/1.8',
  },
];

/** mulberry32: small, fast, and the same sequence for a seed on every platform. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Cumulative weights, for drawing an index by binary search. */
function cumulative(weights: readonly number[]): Float64Array {
  const cdf = new Float64Array(weights.length);
  let sum = 0;
  weights.forEach((w, i) => {
    sum += w;
    cdf[i] = sum;
  });
  for (let i = 0; i < cdf.length; i += 1) cdf[i] = (cdf[i] ?? 0) / sum;
  return cdf;
}

function draw(cdf: Float64Array, u: number): number {
  let lo = 0;
  let hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((cdf[mid] ?? 1) < u) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function zipf(n: number, s: number): Float64Array {
  return cumulative(Array.from({ length: n }, (_, k) => 1 / (k + 1) ** s));
}

const SEGMENTS = [
  'users',
  'orders',
  'products',
  'search',
  'cart',
  'payments',
  'auth',
  'reports',
  'items',
  'profile',
];

function pathOf(rank: number): string {
  const first = SEGMENTS[rank % SEGMENTS.length] ?? 'x';
  const second = SEGMENTS[Math.floor(rank / SEGMENTS.length) % SEGMENTS.length] ?? 'y';
  return rank < SEGMENTS.length ? `/api/v1/${first}` : `/api/v1/${first}/${second}/${rank}`;
}

/** Client addresses spread over TEST-NET and documentation ranges, stable per rank. */
function clientOf(rank: number): string {
  const nets = ['203.0.113', '198.51.100', '192.0.2'];
  const net = nets[rank % nets.length] ?? '192.0.2';
  const host = Math.floor(rank / nets.length);
  return host < 254 ? `${net}.${host + 1}` : `10.${(host >> 16) & 255}.${(host >> 8) & 255}.${host & 255}`;
}

export class TrafficGenerator {
  private readonly random: () => number;
  private readonly pathCdf: Float64Array;
  private readonly clientCdf: Float64Array;
  private readonly statusCodes: number[];
  private readonly statusCdf: Float64Array;
  private readonly methodCdf: Float64Array;
  private readonly mu: number;
  private readonly sigma: number;
  private readonly hosts: readonly string[];
  private readonly wafRate: number;
  private readonly wafBlockRate: number;
  private readonly startMs: number;
  private readonly stepMs: number;
  private readonly queued: TrafficLine[] = [];
  private requests = 0;

  constructor(private readonly options: TrafficOptions) {
    this.random = prng(options.seed);
    this.pathCdf = zipf(options.paths ?? 1000, options.pathSkew ?? 1.1);
    this.clientCdf = zipf(options.clients ?? 10_000, options.clientSkew ?? 1.0);
    const statuses = Object.entries(options.statuses ?? DEFAULT_STATUSES);
    this.statusCodes = statuses.map(([code]) => Number(code));
    this.statusCdf = cumulative(statuses.map(([, weight]) => weight));
    this.methodCdf = cumulative(METHODS.map(([, weight]) => weight));
    this.mu = Math.log(options.latencyMedianMs ?? 20);
    this.sigma = options.latencySigma ?? 0.8;
    this.hosts = options.hosts ?? ['api.example.com', 'www.example.com'];
    this.wafRate = options.wafRate ?? 0.01;
    this.wafBlockRate = options.wafBlockRate ?? 0.8;
    this.startMs = options.startMs ?? Date.UTC(2025, 5, 1);
    this.stepMs = 1000 / (options.requestsPerSecond ?? 1000);
  }

  /** Requests generated so far (a WAF hit is one request of one or two lines). */
  get requestCount(): number {
    return this.requests;
  }

  /** The next line of the access log, as fields. */
  next(): TrafficLine {
    const queued = this.queued.shift();
    if (queued) return queued;
    this.request();
    return this.queued.shift() ?? this.next();
  }

  /** The next line of the access log, as JSON. */
  nextLine(): string {
    return JSON.stringify(this.next().fields);
  }

  private pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)] as T;
  }

  /** Standard normal, Box-Muller. */
  private normal(): number {
    const u = 1 - this.random();
    const v = this.random();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  private request(): void {
    const index = this.requests;
    this.requests += 1;
    const ms = this.startMs + index * this.stepMs;
    const timestamp = new Date(Math.floor(ms)).toISOString();
    const method = METHODS[draw(this.methodCdf, this.random())]?.[0] ?? 'GET';
    const path = pathOf(draw(this.pathCdf, this.random()));
    const clientIp = clientOf(draw(this.clientCdf, this.random()));
    const host = this.pick(this.hosts);
    const requestId = `req-${this.options.seed}-${index}`;
    const userAgent = this.pick(USER_AGENTS);
    const latency = Math.exp(this.mu + this.sigma * this.normal());
    const common: Record<string, string> = this.options.gatewayId
      ? { gateway_id: this.options.gatewayId }
      : {};
    let status = this.statusCodes[draw(this.statusCdf, this.random())] ?? 200;
    if (this.random() < this.wafRate) {
      const rule = this.pick(WAF_RULES);
      const blocked = this.random() < this.wafBlockRate;
      this.queued.push({
        type: 'security',
        fields: {
          ...common,
          timestamp,
          level: 'warn',
          log_type: 'security',
          rule_id: rule.id,
          rule_description: rule.description,
          threat_type: rule.threat,
          severity: rule.severity,
          action_taken: blocked ? 'blocked' : 'logged',
          client_ip: clientIp,
          payload: rule.payload,
          host,
          uri: path,
          method,
          status_code: blocked ? 403 : status,
          request_id: requestId,
        },
      });
      if (blocked) status = 403;
    }
    this.queued.push({
      type: 'access',
      fields: {
        ...common,
        timestamp,
        log_type: 'access',
        request_id: requestId,
        method,
        host,
        uri: path,
        status_code: status,
        response_time_ms: Math.round(latency * 1000) / 1000,
        client_ip: clientIp,
        user_agent: userAgent,
        request_size: method === 'GET' ? 0 : 200 + Math.floor(this.random() * 2000),
        response_size: status === 204 || status === 304 ? 0 : 100 + Math.floor(this.random() * 20_000),
        backend_address: `10.0.0.${1 + (index % 8)}:8080`,
        cache_hit: method === 'GET' && this.random() < 0.2,
      },
    });
  }
}
