/**
 * The operator's HTTP face for the kubelet and Prometheus: liveness, readiness and metrics on
 * HTTP_PORT. Readiness is the AND of named checks, so each component states its own condition
 * and a failing probe says which one is holding the pod back. Other handlers (the HTTP API) are
 * mounted under a path prefix; the probes and /metrics stay open whatever they require.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Logger } from './logger.js';

/** `true` when ready; otherwise `false` or a short reason shown in the /ready response. */
export type ReadinessCheck = () => boolean | string;

/** Answers every request under the prefix it is mounted at. */
export type MountedHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

export interface HealthServerOptions {
  port: number;
  host?: string;
  registry: Registry;
  logger: Logger;
}

export class HealthServer {
  private readonly checks = new Map<string, ReadinessCheck>();
  private readonly mounts: { prefix: string; handler: MountedHandler }[] = [];
  private shuttingDown = false;
  private server: Server | undefined;

  constructor(private readonly opts: HealthServerOptions) {}

  addReadinessCheck(name: string, check: ReadinessCheck): void {
    this.checks.set(name, check);
  }

  /** Sends every request whose path starts with `prefix` (such as `/api/`) to `handler`. */
  mount(prefix: string, handler: MountedHandler): void {
    if (!prefix.startsWith('/') || !prefix.endsWith('/') || isRoute(prefix.slice(0, -1)))
      throw new Error(`cannot mount a handler at ${prefix}: use a "/name/" prefix other than the probes'`);
    this.mounts.push({ prefix, handler });
  }

  /** From now on /ready fails, so the Service stops sending traffic before components stop. */
  markShuttingDown(): void {
    this.shuttingDown = true;
  }

  /** Listens and resolves with the bound port (useful with port 0). */
  async start(): Promise<number> {
    if (this.server) throw new Error('health server already started');
    const server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        this.opts.logger.error('health server request failed', { path: req.url, err });
        if (!res.headersSent) reply(res, 500, 'internal error\n');
        else res.destroy();
      });
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port, this.opts.host, () => {
        server.off('error', reject);
        resolve();
      });
    }).catch((err: unknown) => {
      this.server = undefined;
      throw err;
    });
    const { address, port } = server.address() as AddressInfo;
    this.opts.logger.info('health server listening', { address, port });
    return port;
  }

  /** Stops accepting connections, lets in-flight requests finish and drops idle keep-alives. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await new Promise<void>((resolve, reject) => {
      server.close((err) => {
        if (err) reject(err);
        else resolve();
      });
      server.closeIdleConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const mounted = this.mounts.find((m) => path.startsWith(m.prefix));
    if (mounted) {
      await mounted.handler(req, res);
      return;
    }
    if (!isRoute(path)) {
      reply(res, 404, 'not found\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      reply(res, 405, 'method not allowed\n');
      return;
    }
    switch (path) {
      case '/health':
      case '/healthz':
        reply(res, 200, 'ok\n');
        return;
      case '/ready':
      case '/readyz': {
        const failing = this.failingChecks();
        if (failing.length === 0) reply(res, 200, 'ok\n');
        else reply(res, 503, `not ready\n${failing.map((line) => `- ${line}\n`).join('')}`);
        return;
      }
      case '/metrics': {
        const body = await this.opts.registry.metrics();
        reply(res, 200, body, this.opts.registry.contentType);
        return;
      }
    }
  }

  private failingChecks(): string[] {
    if (this.shuttingDown) return ['shutting down'];
    const failing: string[] = [];
    for (const [name, check] of this.checks) {
      let result: boolean | string;
      try {
        result = check();
      } catch (err) {
        result = err instanceof Error ? err.message : String(err);
      }
      if (result !== true) failing.push(`${name}: ${result === false ? 'not ready' : result}`);
    }
    return failing;
  }
}

const ROUTES = ['/health', '/healthz', '/ready', '/readyz', '/metrics'] as const;
type Route = (typeof ROUTES)[number];

function isRoute(path: string | undefined): path is Route {
  return (ROUTES as readonly (string | undefined)[]).includes(path);
}

function reply(
  res: ServerResponse,
  status: number,
  body: string,
  contentType = 'text/plain; charset=utf-8',
): void {
  res.writeHead(status, { 'Content-Type': contentType, 'Cache-Control': 'no-store' });
  res.end(body);
}
