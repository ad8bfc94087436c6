/**
 * The one HTTP client every runtime component shares: raw JSON (no lossy model serializer),
 * one keep-alive agent for all requests (client-node builds a new agent per call, which leaks
 * sockets under load), a deadline on every request, and a counter of requests by verb and code.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import {
  Agent as HttpsAgent,
  request as httpsRequest,
  type RequestOptions as HttpsRequestOptions,
} from 'node:https';
import { createSecureContext } from 'node:tls';
import { Counter, type Registry } from 'prom-client';
import { ApiError, type Status } from './errors.js';
import {
  apiVersionOf,
  resourcePath,
  type KubeObject,
  type ObjectList,
  type ResourceType,
} from './resource.js';
import type { KubeAccess } from './kubeconfig.js';

export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete';
type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RequestOptions {
  readonly query?: Record<string, string | number | boolean | undefined>;
  readonly body?: unknown;
  readonly contentType?: string;
  readonly accept?: string;
  readonly signal?: AbortSignal;
  /** Whole-request deadline; watches use `idleTimeoutMs` on the stream instead. */
  readonly timeoutMs?: number;
  readonly verb?: Verb;
  readonly resource?: string;
}

/** Per call: a reconcile's signal cancels the request when the reconcile times out. */
export interface CallOptions {
  readonly signal?: AbortSignal;
}

export interface WatchEvent<T = KubeObject> {
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  readonly object: T;
}

export const FIELD_MANAGER = 'gateway-worker';
export const MERGE_PATCH = 'application/merge-patch+json';
export const APPLY_PATCH = 'application/apply-patch+yaml';
const DEFAULT_TIMEOUT_MS = 30_000;

const requestCounters = new WeakMap<Registry, Counter<'verb' | 'resource' | 'code'>>();

function requestCounter(registry: Registry): Counter<'verb' | 'resource' | 'code'> {
  let counter = requestCounters.get(registry);
  if (!counter) {
    counter = new Counter({
      name: 'gateway_worker_kube_api_requests_total',
      help: 'Requests to the Kubernetes API server by verb, resource and HTTP code (0 = no response).',
      labelNames: ['verb', 'resource', 'code'],
      registers: [registry],
    });
    requestCounters.set(registry, counter);
  }
  return counter;
}

function inferVerb(method: Method, path: string, query: RequestOptions['query']): Verb {
  switch (method) {
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return 'delete';
    case 'GET':
      if (query?.watch) return 'watch';
      return /\/namespaces\/[^/]+$|\/[^/]+\/[^/]+\/[^/]+$/.test(path) ? 'get' : 'list';
  }
}

export class KubeClient {
  private agent: HttpAgent | undefined;
  private readonly server: URL;
  private readonly counter: Counter<'verb' | 'resource' | 'code'> | undefined;
  private readonly inFlight = new Set<AbortController>();

  constructor(
    readonly kubeConfig: KubeAccess,
    options: { registry?: Registry } = {},
  ) {
    const cluster = kubeConfig.getCurrentCluster();
    if (!cluster) throw new Error('the kubeconfig has no current cluster');
    this.server = new URL(cluster.server);
    this.counter = options.registry ? requestCounter(options.registry) : undefined;
  }

  /** Sends one request and parses the JSON answer; a non-2xx answer becomes an {@link ApiError}. */
  async request<T>(method: Method, path: string, options: RequestOptions = {}): Promise<T> {
    const response = await this.send(method, path, options);
    const text = await readBody(response);
    const code = response.statusCode ?? 0;
    if (code < 200 || code >= 300) throw apiError(code, text, method, path);
    return (text ? JSON.parse(text) : {}) as T;
  }

  /**
   * Streams a watch; `onEvent` gets every event in order. Resolves when the server ends the
   * stream (its timeoutSeconds elapsed), rejects on a transport error or a non-200 answer.
   */
  async watch(
    path: string,
    query: RequestOptions['query'],
    onEvent: (event: WatchEvent) => void,
    options: { signal?: AbortSignal; accept?: string; resource?: string } = {},
  ): Promise<void> {
    const response = await this.send('GET', path, {
      query: { ...query, watch: true },
      signal: options.signal,
      accept: options.accept,
      resource: options.resource,
      timeoutMs: 0,
    });
    const code = response.statusCode ?? 0;
    if (code !== 200) throw apiError(code, await readBody(response), 'GET', path);
    await new Promise<void>((resolve, reject) => {
      let buffered = '';
      // The handler's own error wins over the 'aborted'/'close' that destroying the stream causes.
      let failure: unknown;
      const settle = (error?: unknown): void => {
        const cause = failure ?? error;
        if (cause === undefined) resolve();
        else reject(cause instanceof Error ? cause : new Error('watch failed'));
      };
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        buffered += chunk;
        let newline: number;
        while (failure === undefined && (newline = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, newline).trim();
          buffered = buffered.slice(newline + 1);
          if (!line) continue;
          try {
            onEvent(JSON.parse(line) as WatchEvent);
          } catch (error) {
            failure = error;
            response.destroy();
          }
        }
      });
      response.on('end', () => settle());
      response.on('error', settle);
      response.on('aborted', () => settle(new Error('watch aborted')));
      response.on('close', () => settle());
    });
  }

  // Typed helpers over request(); each names its verb so the request counter is exact.

  get<T extends KubeObject>(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    options: CallOptions = {},
  ): Promise<T> {
    return this.request<T>('GET', resourcePath(type, namespace, name), {
      verb: 'get',
      resource: type.plural,
      signal: options.signal,
    });
  }

  list<T extends KubeObject>(
    type: ResourceType,
    namespace: string | undefined,
    query: RequestOptions['query'] = {},
    accept?: string,
  ): Promise<ObjectList<T>> {
    return this.request<ObjectList<T>>('GET', resourcePath(type, namespace), {
      query,
      accept,
      verb: 'list',
      resource: type.plural,
      timeoutMs: 120_000,
    });
  }

  create<T extends KubeObject>(type: ResourceType, obj: T): Promise<T> {
    return this.request<T>('POST', resourcePath(type, obj.metadata.namespace), {
      body: { apiVersion: apiVersionOf(type), kind: type.kind, ...obj },
      query: { fieldManager: FIELD_MANAGER },
      verb: 'create',
      resource: type.plural,
    });
  }

  update<T extends KubeObject>(type: ResourceType, obj: T, subresource?: string): Promise<T> {
    return this.request<T>(
      'PUT',
      resourcePath(type, obj.metadata.namespace, obj.metadata.name, subresource),
      {
        body: { apiVersion: apiVersionOf(type), kind: type.kind, ...obj },
        query: { fieldManager: FIELD_MANAGER },
        verb: 'update',
        resource: type.plural,
      },
    );
  }

  /** JSON merge patch (RFC 7386), optionally on a subresource such as `status`. */
  mergePatch<T extends KubeObject>(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    patch: unknown,
    subresource?: string,
    options: CallOptions = {},
  ): Promise<T> {
    return this.request<T>('PATCH', resourcePath(type, namespace, name, subresource), {
      body: patch,
      contentType: MERGE_PATCH,
      query: { fieldManager: FIELD_MANAGER },
      verb: 'patch',
      resource: type.plural,
      signal: options.signal,
    });
  }

  /** Server-side apply with our field manager; `force` takes over fields other managers own. */
  apply<T extends KubeObject>(
    type: ResourceType,
    obj: T,
    options: { force?: boolean; subresource?: string } & CallOptions = {},
  ): Promise<T> {
    const body = { apiVersion: apiVersionOf(type), kind: type.kind, ...obj };
    return this.request<T>(
      'PATCH',
      resourcePath(type, obj.metadata.namespace, obj.metadata.name, options.subresource),
      {
        body,
        contentType: APPLY_PATCH,
        query: { fieldManager: FIELD_MANAGER, force: options.force ?? true },
        verb: 'patch',
        resource: type.plural,
        signal: options.signal,
      },
    );
  }

  delete(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    query: RequestOptions['query'] = {},
  ): Promise<Status> {
    return this.request<Status>('DELETE', resourcePath(type, namespace, name), {
      query,
      verb: 'delete',
      resource: type.plural,
    });
  }

  /** Aborts every request in flight and closes idle sockets. */
  close(): void {
    for (const controller of this.inFlight) controller.abort();
    this.agent?.destroy();
    this.agent = undefined;
  }

  private async send(method: Method, path: string, options: RequestOptions): Promise<IncomingMessage> {
    const opts: HttpsRequestOptions = {};
    await this.kubeConfig.applyToHTTPSOptions(opts);
    const isHttps = this.server.protocol === 'https:';
    this.agent ??= isHttps
      ? new HttpsAgent({
          keepAlive: true,
          // Built once: given ca/cert/key, every new socket would build (parse) a context of its own.
          secureContext: createSecureContext({ ca: opts.ca, cert: opts.cert, key: opts.key }),
          rejectUnauthorized: opts.rejectUnauthorized,
          servername: opts.servername,
        })
      : new HttpAgent({ keepAlive: true });
    const url = new URL(path, this.server);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const headers: Record<string, string> = { Accept: options.accept ?? 'application/json' };
    for (const [key, value] of Object.entries(opts.headers ?? {})) {
      if (typeof value === 'string') headers[key] = value;
    }
    if (opts.auth) headers.Authorization = `Basic ${Buffer.from(opts.auth).toString('base64')}`;
    let payload: string | undefined;
    if (options.body !== undefined) {
      payload = JSON.stringify(options.body);
      headers['Content-Type'] = options.contentType ?? 'application/json';
    }
    const verb = options.verb ?? inferVerb(method, url.pathname, options.query);
    const resource = options.resource ?? '';
    const controller = new AbortController();
    const onAbort = (): void => controller.abort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.signal?.aborted) controller.abort();
    this.inFlight.add(controller);
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const timer = timeoutMs > 0 ? setTimeout(() => controller.abort(), timeoutMs) : undefined;
    const cleanup = (): void => {
      if (timer) clearTimeout(timer);
      this.inFlight.delete(controller);
      options.signal?.removeEventListener('abort', onAbort);
    };
    const send = isHttps ? httpsRequest : httpRequest;
    return new Promise<IncomingMessage>((resolve, reject) => {
      const req = send(url, { method, headers, agent: this.agent, signal: controller.signal }, (response) => {
        this.counter?.inc({ verb, resource, code: String(response.statusCode ?? 0) });
        response.on('close', cleanup);
        resolve(response);
      });
      req.on('error', (error) => {
        this.counter?.inc({ verb, resource, code: '0' });
        cleanup();
        reject(error);
      });
      req.end(payload);
    });
  }
}

function readBody(response: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    response.on('data', (chunk: Buffer) => chunks.push(chunk));
    response.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    response.on('error', reject);
  });
}

function apiError(code: number, text: string, method: string, path: string): ApiError {
  let status: Status | undefined;
  try {
    status = JSON.parse(text) as Status;
  } catch {
    status = undefined;
  }
  const message = status?.message ?? (text.trim() || `HTTP ${code}`);
  return new ApiError(code, status?.reason ?? '', `${method} ${path}: ${message}`, status);
}
