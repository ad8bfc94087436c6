/**
 * The HTTP API under /api/v1/: every request is authenticated (a bearer token, TokenReview),
 * matched to a route, its query parsed, authorized (SubjectAccessReview on the route's verb and
 * virtual resource), and only then handed to the route's handler, whose result is sent as JSON.
 * Refusals are JSON too — `{ code, reason, message }` — and say what was wrong and what is allowed.
 * Transport only: the handlers own what an answer contains.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Counter, Histogram, type Registry } from 'prom-client';
import type { Logger } from '../runtime/logger.js';
import {
  API_GROUP,
  ReviewUnavailableError,
  type AccessRequest,
  type Authenticator,
  type Authorizer,
} from './kube-reviews.js';
import { QueryError } from './query.js';
import { ApiProblem, FileResponse, type ApiResponse, type Route } from './route.js';

export const API_PREFIX = '/api/';

export interface HttpApiOptions {
  readonly routes: readonly Route[];
  readonly authenticator: Authenticator;
  readonly authorizer: Authorizer;
  readonly logger: Logger;
  readonly registry?: Registry;
}

interface ApiMetrics {
  readonly requests: Counter<'route' | 'method' | 'code'>;
  readonly duration: Histogram<'route'>;
}

const metricsByRegistry = new WeakMap<Registry, ApiMetrics>();

function apiMetrics(registry: Registry): ApiMetrics {
  let metrics = metricsByRegistry.get(registry);
  if (!metrics) {
    metrics = {
      requests: new Counter({
        name: 'gateway_worker_http_api_requests_total',
        help: 'HTTP API requests by route pattern ("unmatched" for none), method and status code.',
        labelNames: ['route', 'method', 'code'],
        registers: [registry],
      }),
      duration: new Histogram({
        name: 'gateway_worker_http_api_request_duration_seconds',
        help: 'HTTP API request duration by route pattern, reviews included.',
        labelNames: ['route'],
        buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
        registers: [registry],
      }),
    };
    metricsByRegistry.set(registry, metrics);
  }
  return metrics;
}

const KNOWN_METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);

export class HttpApi {
  private readonly metrics: ApiMetrics | undefined;

  constructor(private readonly options: HttpApiOptions) {
    this.metrics = options.registry ? apiMetrics(options.registry) : undefined;
    const seen = new Set<string>();
    for (const r of options.routes) {
      const key = `${r.method} ${r.path}`;
      if (seen.has(key)) throw new Error(`HTTP API route ${key} is registered twice`);
      seen.add(key);
    }
  }

  /** Answers one request whose path starts with {@link API_PREFIX}. */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = process.hrtime.bigint();
    let routeLabel = 'unmatched';
    let code: number;
    try {
      const answer = await this.answer(req, (matched) => (routeLabel = matched.path));
      code = answer.status;
      send(res, answer.status, answer.body, answer.headers);
    } catch (error) {
      this.options.logger.error('HTTP API request failed', {
        method: req.method,
        route: routeLabel,
        err: error,
      });
      code = 500;
      send(res, 500, problem(500, 'InternalError', 'the request failed inside the worker; see its log'));
    }
    // A body nobody read is drained, so the connection can be reused.
    if (!req.readableEnded) req.resume();
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    this.metrics?.requests.inc({ route: routeLabel, method: req.method ?? '', code: String(code) });
    this.metrics?.duration.observe({ route: routeLabel }, seconds);
    this.options.logger.debug('HTTP API request', {
      method: req.method,
      route: routeLabel,
      code,
      durationMs: Math.round(seconds * 1000),
    });
  }

  private async answer(
    req: IncomingMessage,
    onMatched: (route: Route) => void,
  ): Promise<{ status: number; body: object; headers?: Record<string, string> }> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const token = bearerToken(req.headers.authorization);
    if ('missing' in token) return unauthorized(token.missing);

    let authentication;
    try {
      authentication = await this.options.authenticator.authenticate(token.value);
    } catch (error) {
      return unavailable(error);
    }
    if (!authentication.authenticated)
      return unauthorized(`the bearer token was not accepted by the API server: ${authentication.reason}`);
    const { user } = authentication;

    let candidates: { route: Route; params: Readonly<Record<string, string>> }[];
    try {
      candidates = this.options.routes.flatMap((r) => {
        const params = r.match(url.pathname);
        return params ? [{ route: r, params }] : [];
      });
    } catch (error) {
      if (error instanceof QueryError)
        return { status: 400, body: problem(400, 'BadRequest', error.message) };
      throw error;
    }
    if (candidates.length === 0) {
      const paths = [...new Set(this.options.routes.map((r) => `${r.method} ${r.path}`))].join(', ');
      return {
        status: 404,
        body: problem(404, 'NotFound', `no HTTP API path ${url.pathname}; served are: ${paths}`),
      };
    }
    const method = req.method ?? '';
    const matched = candidates.find((c) => c.route.method === method);
    if (!matched) {
      const allowed = candidates.map((c) => c.route.method);
      const known = KNOWN_METHODS.has(method) ? method : 'this method';
      return {
        status: 405,
        headers: { Allow: allowed.join(', ') },
        body: problem(
          405,
          'MethodNotAllowed',
          `${url.pathname} does not take ${known}; allowed: ${allowed.join(', ')}`,
        ),
      };
    }
    onMatched(matched.route);

    let call;
    try {
      call = matched.route.prepare(matched.params, url.searchParams);
    } catch (error) {
      if (error instanceof QueryError)
        return { status: 400, body: problem(400, 'BadRequest', error.message) };
      throw error;
    }

    let authorization;
    try {
      authorization = await this.options.authorizer.authorize(user, call.access);
    } catch (error) {
      return unavailable(error);
    }
    if (!authorization.allowed) return forbidden(user.username, call.access, authorization.reason);

    let body: unknown;
    if (call.body) {
      const read = await readJsonBody(req, call.body.maxBytes);
      if ('refusal' in read) return read.refusal;
      try {
        body = call.body.parse(read.value);
      } catch (error) {
        if (error instanceof QueryError)
          return { status: 400, body: problem(400, 'BadRequest', `request body: ${error.message}`) };
        throw error;
      }
    }

    let response: ApiResponse;
    try {
      response = await call.run(user, body);
    } catch (error) {
      if (error instanceof ApiProblem)
        return { status: error.status, body: problem(error.status, error.reason, error.message) };
      throw error;
    }
    return { status: response.status, body: response.body };
  }
}

type Refusal = { status: number; body: object; headers?: Record<string, string> };

/** Reads a JSON body of at most `maxBytes`: 415 unless it is JSON, 413 when larger, 400 when malformed. */
async function readJsonBody(
  req: IncomingMessage,
  maxBytes: number,
): Promise<{ value: unknown } | { refusal: Refusal }> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (type !== 'application/json') {
    return {
      refusal: {
        status: 415,
        body: problem(
          415,
          'UnsupportedMediaType',
          `the request body must be JSON, sent with "Content-Type: application/json"${type ? `, not ${type}` : ''}`,
        ),
      },
    };
  }
  const tooLarge = (): { refusal: Refusal } => ({
    refusal: {
      status: 413,
      body: problem(
        413,
        'RequestEntityTooLarge',
        `the request body is larger than ${maxBytes} bytes, the most this path takes`,
      ),
    },
  });
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes) return tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const bytes = chunk as Buffer;
    size += bytes.length;
    if (size > maxBytes) return tooLarge();
    chunks.push(bytes);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '')
    return {
      refusal: {
        status: 400,
        body: problem(400, 'BadRequest', 'the request body is empty; send a JSON object'),
      },
    };
  try {
    return { value: JSON.parse(text) as unknown };
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return {
      refusal: {
        status: 400,
        body: problem(400, 'BadRequest', `the request body is not valid JSON: ${why}`),
      },
    };
  }
}

function bearerToken(header: string | undefined): { value: string } | { missing: string } {
  if (!header)
    return {
      missing:
        'missing bearer token: send "Authorization: Bearer <token>" with a Kubernetes token (a ServiceAccount token, or `kubectl create token NAME`)',
    };
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  if (!match?.[1])
    return { missing: 'the Authorization header is not "Bearer <token>"; only bearer tokens are accepted' };
  return { value: match[1] };
}

function problem(code: number, reason: string, message: string, extra: object = {}): object {
  return { code, reason, message, ...extra };
}

function unauthorized(message: string): { status: number; body: object; headers: Record<string, string> } {
  return {
    status: 401,
    headers: { 'WWW-Authenticate': 'Bearer realm="gateway-worker"' },
    body: problem(401, 'Unauthorized', message),
  };
}

function forbidden(
  username: string,
  access: AccessRequest,
  reason: string,
): { status: number; body: object } {
  const where = access.namespace ? `in the namespace "${access.namespace}"` : 'at the cluster scope';
  const named = access.name ? ` "${access.name}"` : '';
  const because = reason ? `: ${reason}` : '';
  return {
    status: 403,
    body: problem(
      403,
      'Forbidden',
      `user "${username}" cannot ${access.verb} resource "${access.resource}"${named} in API group "${API_GROUP}" ${where}${because}`,
      {
        verb: access.verb,
        resource: `${access.resource}.${API_GROUP}`,
        ...(access.namespace ? { namespace: access.namespace } : {}),
        ...(access.name ? { name: access.name } : {}),
      },
    ),
  };
}

function unavailable(error: unknown): { status: number; body: object; headers: Record<string, string> } {
  if (!(error instanceof ReviewUnavailableError)) throw error;
  return {
    status: 503,
    headers: { 'Retry-After': '5' },
    body: problem(
      503,
      'ServiceUnavailable',
      `the worker could not check the request with the Kubernetes API server (${error.message}); retry later`,
    ),
  };
}

function send(res: ServerResponse, status: number, body: object, headers: Record<string, string> = {}): void {
  if (body instanceof FileResponse) {
    res.writeHead(status, {
      'Content-Type': body.contentType,
      'Cache-Control': 'no-store',
      'Content-Length': body.bytes.length,
      'X-Content-Type-Options': 'nosniff',
      ...(body.filename === undefined
        ? {}
        : { 'Content-Disposition': `inline; filename="${body.filename}"` }),
      ...headers,
    });
    res.end(body.bytes);
    return;
  }
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Cache-Control': 'no-store',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}
