/**
 * The agent's plain HTTP port: ACME HTTP-01 answers under /.well-known/acme-challenge/<token>
 * for the challenges the worker pushed, and /health for the kubelet. Plaintext on purpose: the
 * ACME server validates over http://, and kubelet probes do not do TLS.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Logger } from '../runtime/logger.js';
import { isToken } from './acme-challenges.js';

const CHALLENGE_PREFIX = '/.well-known/acme-challenge/';

export interface AgentHttpServerOptions {
  readonly host?: string;
  readonly port: number;
  /** The key authorization to answer for a token, if the worker pushed one. */
  readonly keyAuthorization: (token: string) => string | undefined;
  readonly logger: Logger;
  /** Served on /metrics when given (the log shipper's metrics). */
  readonly registry?: Registry;
}

export class AgentHttpServer {
  private readonly server: Server;

  constructor(private readonly options: AgentHttpServerOptions) {
    this.server = createServer((req, res) => this.handle(req, res));
  }

  /** Listens and resolves with the bound port (useful with port 0). */
  async start(): Promise<number> {
    const server = this.server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port, this.options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return (server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    if (!this.server.listening) return;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    // Keep-alive connections would otherwise hold close() open until they time out.
    this.server.closeAllConnections();
    await closed;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = new URL(req.url ?? '/', 'http://agent').pathname;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      reply(res, 405, 'method not allowed\n', { allow: 'GET, HEAD' });
      return;
    }
    if (path === '/health' || path === '/healthz') {
      reply(res, 200, 'ok\n');
      return;
    }
    const registry = this.options.registry;
    if (path === '/metrics' && registry) {
      registry.metrics().then(
        (text) => reply(res, 200, text, { 'content-type': registry.contentType }),
        (error: unknown) => reply(res, 500, `metrics failed: ${(error as Error).message}\n`),
      );
      return;
    }
    if (path.startsWith(CHALLENGE_PREFIX)) {
      const token = path.slice(CHALLENGE_PREFIX.length);
      const keyAuthorization = isToken(token) ? this.options.keyAuthorization(token) : undefined;
      if (keyAuthorization !== undefined) {
        // RFC 8555 §8.3: the body is exactly the key authorization, no trailing newline.
        reply(res, 200, keyAuthorization);
        this.options.logger.info('answered an ACME HTTP-01 challenge', { from: req.socket.remoteAddress });
        return;
      }
    }
    reply(res, 404, 'not found\n');
  }
}

function reply(res: ServerResponse, code: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(code, {
    'content-type': 'text/plain; charset=utf-8',
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}
