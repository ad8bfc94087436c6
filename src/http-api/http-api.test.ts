import { Writable } from 'node:stream';
import { KubeConfig } from '@kubernetes/client-node';
import { expect } from 'chai';
import { freePort } from '../envtest/ports.js';
import { HealthServer } from '../runtime/health-server.js';
import { KubeClient } from '../runtime/kube/client.js';
import { createLogger } from '../runtime/logger.js';
import { createMetricsRegistry } from '../runtime/metrics.js';
import { API_PREFIX, HttpApi } from './http-api.js';
import { KubeReviewer } from './kube-reviews.js';
import { route } from './route.js';

describe('HTTP API when the API server cannot be asked', () => {
  let server: HealthServer;
  let base: string;
  let client: KubeClient;
  const logLines: string[] = [];

  before(async () => {
    // Nothing listens on this port: every review fails to connect.
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromOptions({
      clusters: [{ name: 'gone', server: `http://127.0.0.1:${String(await freePort())}` }],
      users: [{ name: 'worker' }],
      contexts: [{ name: 'gone', cluster: 'gone', user: 'worker' }],
      currentContext: 'gone',
    });
    client = new KubeClient(kubeConfig);
    const logger = createLogger(
      'debug',
      new Writable({
        write(chunk: Buffer, _encoding, callback) {
          logLines.push(chunk.toString());
          callback();
        },
      }),
    );
    const registry = createMetricsRegistry();
    const reviewer = new KubeReviewer({ client, registry, timeoutMs: 2_000 });
    const api = new HttpApi({
      routes: [
        route({
          method: 'GET',
          path: '/api/v1/things',
          verb: 'list',
          resource: 'things',
          handler: () => ({}),
        }),
      ],
      authenticator: reviewer,
      authorizer: reviewer,
      logger,
      registry,
    });
    server = new HealthServer({ port: 0, host: '127.0.0.1', registry, logger });
    server.mount(API_PREFIX, (req, res) => api.handle(req, res));
    base = `http://127.0.0.1:${String(await server.start())}`;
  });

  after(async () => {
    await server.stop();
    client.close();
  });

  it('answers 503 with Retry-After and a reason, not 401 or 403, and asks again next time', async () => {
    for (let i = 0; i < 2; i++) {
      const response = await fetch(`${base}/api/v1/things`, {
        headers: { Authorization: 'Bearer s3cr3t-token-value' },
      });
      expect(response.status).to.equal(503);
      expect(response.headers.get('retry-after')).to.equal('5');
      const body = (await response.json()) as { reason: string; message: string };
      expect(body.reason).to.equal('ServiceUnavailable');
      expect(body.message).to.match(
        /could not check the request with the Kubernetes API server \(TokenReview failed: .*\); retry later/,
      );
    }
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).to.include(
      'gateway_worker_http_api_reviews_total{review="tokenreview",result="failed"} 2',
    );
  });

  it('never writes the token to its log', () => {
    expect(logLines.length).to.be.greaterThan(0);
    expect(logLines.join('')).not.to.include('s3cr3t-token-value');
  });
});
