import { request } from 'node:http';
import { expect } from 'chai';
import { Counter } from 'prom-client';
import { HealthServer } from './health-server.js';
import { silentLogger } from './logger.js';
import { createMetricsRegistry } from './metrics.js';

interface Reply {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

function call(port: number, path: string, method = 'GET'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, body, headers: res.headers });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

describe('HealthServer', () => {
  let server: HealthServer;
  let port: number;
  let apiReady: boolean | string;
  const registry = createMetricsRegistry();
  const reconciles = new Counter({
    name: 'gateway_worker_test_reconciles_total',
    help: 'test counter',
    registers: [registry],
  });

  beforeEach(async () => {
    apiReady = 'not connected';
    server = new HealthServer({ port: 0, host: '127.0.0.1', registry, logger: silentLogger });
    server.addReadinessCheck('kubernetes-api', () => apiReady);
    server.addReadinessCheck('always', () => true);
    port = await server.start();
  });

  afterEach(() => server.stop());

  it('hands every path under a mounted prefix to its handler, and keeps the probes its own', async () => {
    server.mount('/api/', async (req, res) => {
      await Promise.resolve();
      res.writeHead(418, { 'Content-Type': 'text/plain' });
      res.end(`mounted ${req.method ?? ''} ${req.url ?? ''}`);
    });
    expect(await call(port, '/api/v1/x?y=1', 'DELETE')).to.include({
      status: 418,
      body: 'mounted DELETE /api/v1/x?y=1',
    });
    expect(await call(port, '/health')).to.include({ status: 200, body: 'ok\n' });
    expect((await call(port, '/apis')).status, 'only under the prefix').to.equal(404);
    expect(() => {
      server.mount('/metrics/', () => Promise.resolve());
    }).to.throw('cannot mount');
  });

  for (const path of ['/health', '/healthz', '/health?verbose=1']) {
    it(`answers ${path} with 200 ok while the process runs`, async () => {
      expect(await call(port, path)).to.include({ status: 200, body: 'ok\n' });
    });
  }

  for (const path of ['/ready', '/readyz']) {
    it(`answers ${path} with 503 naming the failing check, then 200 once every check passes`, async () => {
      const before = await call(port, path);
      expect(before.status).to.equal(503);
      expect(before.body).to.equal('not ready\n- kubernetes-api: not connected\n');
      apiReady = true;
      expect(await call(port, path)).to.include({ status: 200, body: 'ok\n' });
    });
  }

  it('reports a check that returns false or throws as failing', async () => {
    server.addReadinessCheck('cache', () => false);
    server.addReadinessCheck('broken', () => {
      throw new Error('exploded');
    });
    apiReady = true;
    const reply = await call(port, '/ready');
    expect(reply.status).to.equal(503);
    expect(reply.body).to.equal('not ready\n- cache: not ready\n- broken: exploded\n');
  });

  it('is not ready once shutdown began, even when every check passes', async () => {
    apiReady = true;
    server.markShuttingDown();
    expect(await call(port, '/ready')).to.include({ status: 503, body: 'not ready\n- shutting down\n' });
    expect((await call(port, '/health')).status).to.equal(200);
  });

  it('serves Prometheus text with the default process metrics and custom counters', async () => {
    reconciles.inc();
    const reply = await call(port, '/metrics');
    expect(reply.status).to.equal(200);
    expect(reply.headers['content-type']).to.equal(registry.contentType);
    expect(reply.body).to.include('process_cpu_user_seconds_total');
    expect(reply.body).to.match(/^gateway_worker_test_reconciles_total \d+$/m);
  });

  const refusals: { name: string; path: string; method: string; status: number }[] = [
    { name: 'an unknown path', path: '/nope', method: 'GET', status: 404 },
    { name: 'the root path', path: '/', method: 'GET', status: 404 },
    { name: 'a POST to /ready', path: '/ready', method: 'POST', status: 405 },
    { name: 'a DELETE to /metrics', path: '/metrics', method: 'DELETE', status: 405 },
  ];
  for (const { name, path, method, status } of refusals) {
    it(`answers ${name} with ${status}`, async () => {
      const reply = await call(port, path, method);
      expect(reply.status).to.equal(status);
      if (status === 405) expect(reply.headers.allow).to.equal('GET, HEAD');
    });
  }

  it('answers HEAD like GET without a body', async () => {
    expect(await call(port, '/health', 'HEAD')).to.include({ status: 200, body: '' });
  });

  it('stops listening after stop', async () => {
    await server.stop();
    let failed = false;
    await call(port, '/health').catch(() => (failed = true));
    expect(failed).to.equal(true);
  });

  it('rejects start when the port is taken', async () => {
    const other = new HealthServer({ port, host: '127.0.0.1', registry, logger: silentLogger });
    let error: unknown;
    await other.start().catch((err: unknown) => (error = err));
    expect(error).to.have.property('code', 'EADDRINUSE');
  });
});
