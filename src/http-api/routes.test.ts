import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { apiRoutes } from './routes.js';

const DOCS = fileURLToPath(new URL('../../docs/api.md', import.meta.url));

describe('the HTTP API routes', () => {
  const unavailable = () => Promise.reject(new Error('not used'));
  const routes = apiRoutes({
    gateways: { connections: () => [], reports: () => [], replica: () => ({ name: 'r', leader: false }) },
    telemetry: { store: { database: undefined, status: 'not used' }, schema: 'gw', now: () => 0 },
    jobs: { list: unavailable, get: unavailable, enqueue: unavailable, cancel: unavailable },
  });

  it('each is documented in docs/api.md with its verb, virtual resource and query parameters', () => {
    const rows = readFileSync(DOCS, 'utf8')
      .split('\n')
      .filter((line) => line.startsWith('| `GET /api/') || /^\| `(POST|PUT|PATCH|DELETE) \/api\//.test(line));
    expect(rows).to.have.length(routes.length);
    for (const r of routes) {
      const shown = `\`${r.method} ${r.path.replace(/:([A-Za-z]+)/g, '{$1}')}\``;
      const row = rows.find((line) => line.startsWith(`| ${shown} `));
      expect(row, `a row for ${shown}`).to.be.a('string');
      const cells = (row ?? '').split('|').map((cell) => cell.trim());
      expect(cells[2], `${shown}: verb`).to.equal(`\`${r.verb}\``);
      expect(cells[3], `${shown}: resource`).to.include(`\`${r.resource}\``);
      for (const name of Object.keys(r.queryParams))
        expect(cells[4], `${shown}: query`).to.include(`\`${name}\``);
    }
  });

  it('all live under /api/v1/ and ask for a lowercase resource (a plural, or traffic and audit)', () => {
    for (const r of routes) {
      expect(r.path).to.match(/^\/api\/v1\//);
      expect(r.resource).to.match(/^([a-z]+s|traffic|audit)$/);
    }
  });
});
