import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { ReportArchive } from '../reports/report-archive.js';
import { HealthServer } from '../runtime/health-server.js';
import { silentLogger } from '../runtime/logger.js';
import { createMetricsRegistry } from '../runtime/metrics.js';
import { DirectoryObjectStore } from '../storage/object-store-directory.js';
import { API_PREFIX, HttpApi } from './http-api.js';
import type { AccessRequest } from './kube-reviews.js';
import { apiRoutes, type ApiSources } from './routes.js';

describe('HTTP API: stored reports', () => {
  let server: HealthServer;
  let base: string;
  let dir: string;
  const asked: AccessRequest[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gw-api-reports-'));
    const archive = new ReportArchive(new DirectoryObjectStore(dir));
    await archive.put('shop', 'daily', '20260406T070000Z', [
      { format: 'html', contentType: 'text/html; charset=utf-8', body: '<!DOCTYPE html><p>old</p>' },
    ]);
    await archive.put('shop', 'daily', '20260407T070000Z', [
      { format: 'html', contentType: 'text/html; charset=utf-8', body: '<!DOCTYPE html><p>new</p>' },
      { format: 'csv', contentType: 'text/csv; charset=utf-8', body: '# report\r\n' },
    ]);
    const registry = createMetricsRegistry();
    const unused = () => {
      throw new Error('not used by these routes');
    };
    const sources = {
      gateways: { connections: unused, reports: unused, replica: unused },
      telemetry: {
        store: { database: undefined, status: 'unused' },
        schema: 'unused',
        now: () => Date.now(),
      },
      jobs: {},
      reports: { archive: () => archive, reports: () => [{ namespace: 'shop', name: 'daily' }] },
    } as unknown as ApiSources;
    const api = new HttpApi({
      routes: apiRoutes(sources),
      authenticator: {
        authenticate: () => Promise.resolve({ authenticated: true, user: { username: 'u', groups: [] } }),
      },
      authorizer: {
        authorize: (_user, access) => {
          asked.push(access);
          return Promise.resolve({ allowed: true, reason: '' });
        },
      },
      logger: silentLogger,
      registry,
    });
    server = new HealthServer({ port: 0, host: '127.0.0.1', registry, logger: silentLogger });
    server.mount(API_PREFIX, (req, res) => api.handle(req, res));
    base = `http://127.0.0.1:${String(await server.start())}`;
  });
  after(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const get = (path: string) => fetch(`${base}${path}`, { headers: { Authorization: 'Bearer t' } });

  it('lists the stored reports newest first, checking list reports in the namespace', async () => {
    asked.length = 0;
    const response = await get('/api/v1/reports?namespace=shop');
    expect(response.status).to.equal(200);
    const body = (await response.json()) as { items: { id: string; formats: string[] }[] };
    expect(body.items.map((i) => [i.id, i.formats])).to.deep.equal([
      ['20260407T070000Z', ['html', 'csv']],
      ['20260406T070000Z', ['html']],
    ]);
    expect(asked).to.deep.equal([{ verb: 'list', resource: 'reports', namespace: 'shop' }]);
  });

  it('downloads a report with its content type, the first stored format by default', async () => {
    asked.length = 0;
    const html = await get('/api/v1/reports/shop/daily/20260407T070000Z');
    expect(html.status).to.equal(200);
    expect(html.headers.get('content-type')).to.equal('text/html; charset=utf-8');
    expect(await html.text()).to.equal('<!DOCTYPE html><p>new</p>');
    expect(asked).to.deep.equal([{ verb: 'get', resource: 'reports', namespace: 'shop', name: 'daily' }]);
    const csv = await get('/api/v1/reports/shop/daily/20260407T070000Z?format=csv');
    expect(csv.headers.get('content-type')).to.equal('text/csv; charset=utf-8');
    expect(csv.headers.get('content-disposition')).to.equal(
      'inline; filename="report-daily-20260407T070000Z.csv"',
    );
  });

  it('answers 404 for an unknown report or a format not stored, and 400 for an unknown format', async () => {
    expect((await get('/api/v1/reports/shop/daily/20990101T000000Z')).status).to.equal(404);
    expect((await get('/api/v1/reports/shop/daily/not-an-id')).status).to.equal(404);
    const missing = await get('/api/v1/reports/shop/daily/20260406T070000Z?format=json');
    expect(missing.status).to.equal(404);
    expect(((await missing.json()) as { message: string }).message).to.include('stored as html');
    expect((await get('/api/v1/reports/shop/daily/20260406T070000Z?format=pdf')).status).to.equal(400);
  });
});
