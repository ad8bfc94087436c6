/**
 * Threat feeds end to end: a real API server, the operator in this process with its store on
 * PostgreSQL, simulated gateways writing waf-ip-lists.yaml, and a local HTTP server playing the
 * feed provider — well (Spamhaus DROP, FireHOL .netset), then badly (304, 500, a truncated body, a
 * body slower than the timeout, a 90 % shrink). Each bad refresh must show in the Degraded
 * condition while the last good list stays in every gateway's file.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { expect } from 'chai';
import { parse } from 'yaml';
import {
  ThreatAllowlistResource,
  ThreatFeedResource,
  statusOf,
  type ThreatAllowlist,
  type ThreatFeed,
} from '../../src/api/v1alpha1/index.js';
import { REFRESH_ANNOTATION } from '../../src/controllers/threatfeed/controller.js';
import { findCondition } from '../../src/runtime/status/conditions.js';
import { startOperatorHarness, type OperatorHarness } from '../support/operator-harness.js';
import { eventually } from '../support/widgets.js';

const fixture = (name: string): string =>
  readFileSync(new URL(`../fixtures/threats/${name}`, import.meta.url), 'utf8');
const DROP = fixture('spamhaus-drop.txt');
const LEVEL1 = fixture('firehol-level1.netset');

/** DROP without its three reserved entries, the two adjacent /20s aggregated. */
const DROP_PUSHED = [
  '1.10.16.0/20',
  '1.19.0.0/16',
  '1.32.128.0/18',
  '2.56.192.0/22',
  '2.57.122.0/24',
  '5.134.128.0/19',
  '5.183.60.0/22',
  '14.19.0.0/16',
  '23.166.240.0/22',
  '27.112.32.0/19',
  '31.24.81.0/24',
  '36.0.8.0/21',
  '37.46.0.0/16',
  '42.0.32.0/19',
  '45.8.84.0/22',
  '45.131.176.0/22',
];

/** level1 without its bogons and without the allowlisted 91.200.12.0/24. */
const LEVEL1_PUSHED = [
  '1.10.16.0/20',
  '46.29.248.0/21',
  '91.200.13.0/24',
  '91.200.14.0/23',
  '185.29.8.0/22',
  '223.254.0.0/16',
];

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

describe('threat feeds end to end (real API server, PostgreSQL, local feed server, simulated gateways)', function () {
  this.timeout(180_000);
  let h: OperatorHarness;
  let server: Server;
  let base: string;
  const handlers = new Map<string, Handler>();
  let refreshes = 0;

  before(async () => {
    server = createServer((req, res) => {
      const handler = handlers.get(req.url ?? '');
      if (handler) handler(req, res);
      else {
        res.writeHead(404);
        res.end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    h = await startOperatorHarness('feeds', { gateways: 2 });
  });
  after(async () => {
    await h.stop();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const get = (name: string) => h.client.get<ThreatFeed>(ThreatFeedResource, h.namespace, name);
  const degraded = async (name: string) => findCondition(statusOf(await get(name))?.conditions, 'Degraded');
  const blacklists = (): string[][] =>
    h.gateways.simulated.gateways.map((g) => {
      try {
        const file = parse(readFileSync(join(g.dir, 'waf-ip-lists.yaml'), 'utf8')) as {
          ip_blacklist?: string[];
        };
        return file.ip_blacklist ?? [];
      } catch {
        return [];
      }
    });
  const everyGatewayDenies = (expected: string[], what: string) =>
    eventually(
      () => blacklists().every((list) => JSON.stringify(list) === JSON.stringify(expected)),
      30_000,
      what,
    );
  const refresh = async (name: string) => {
    refreshes += 1;
    await h.client.mergePatch(ThreatFeedResource, h.namespace, name, {
      metadata: { annotations: { [REFRESH_ANNOTATION]: String(refreshes) } },
    });
  };
  const untilDegraded = (name: string, status: string, reason: string, message?: RegExp) =>
    eventually(
      async () => {
        const c = await degraded(name);
        return c?.status === status && c.reason === reason && (!message || message.test(c.message));
      },
      30_000,
      `${name}: Degraded=${status} ${reason}`,
    );
  /** After a refused refresh: the list in service is still what status and every gateway show. */
  const lastGoodStillServed = async (name: string, entries: number, pushed: string[]) => {
    const status = statusOf(await get(name));
    expect(status?.entries).to.equal(entries);
    expect(findCondition(status?.conditions, 'Ready')?.status).to.equal('True');
    for (const list of blacklists()) expect(list).to.deep.equal(pushed);
  };

  const feed = (name: string, path: string, format: 'plain' | 'netset'): ThreatFeed =>
    ({
      apiVersion: 'gateway.awesomeapi.com.br/v1alpha1',
      kind: 'ThreatFeed',
      metadata: { namespace: h.namespace, name },
      spec: { url: `${base}${path}`, format, timeout: '2s' },
    }) as unknown as ThreatFeed;

  it('downloads a Spamhaus DROP list, strips private ranges, aggregates and pushes it to every gateway', async () => {
    handlers.set('/drop.txt', (req, res) => {
      if (req.headers['if-none-match'] === '"drop-1"') {
        res.writeHead(304);
        res.end();
        return;
      }
      res.writeHead(200, { etag: '"drop-1"', 'content-type': 'text/plain' });
      res.end(DROP);
    });
    await h.client.create(ThreatFeedResource, feed('drop', '/drop.txt', 'plain'));
    await eventually(
      async () => findCondition(statusOf(await get('drop'))?.conditions, 'Ready')?.status === 'True',
      60_000,
      'drop Ready=True',
    );
    const status = statusOf(await get('drop'));
    expect(status).to.deep.include({ entries: 20, reservedEntries: 3, ranges: 16 });
    expect(status?.gateways?.summary).to.equal('2/2');
    expect(findCondition(status?.conditions, 'Degraded')?.status).to.equal('False');
    await everyGatewayDenies(DROP_PUSHED, 'the DROP list in every agent file');
    for (const list of blacklists()) {
      expect(list).to.not.include('10.0.0.0/8');
      expect(list).to.not.include('192.168.0.0/16');
      expect(list).to.not.include('100.64.0.0/10');
    }
  });

  it('asks conditionally and keeps the list on 304 Not Modified', async () => {
    await refresh('drop');
    await untilDegraded('drop', 'False', 'AsExpected', /304 Not Modified/);
    await lastGoodStillServed('drop', 20, DROP_PUSHED);
  });

  it('keeps the last good list when the server answers 500', async () => {
    handlers.set('/drop.txt', (_req, res) => {
      res.writeHead(500);
      res.end('upstream broke');
    });
    await refresh('drop');
    await untilDegraded('drop', 'True', 'HttpError', /HTTP 500.*last good list \(20 entries/);
    await lastGoodStillServed('drop', 20, DROP_PUSHED);
  });

  it('keeps the last good list when the body is cut short', async () => {
    handlers.set('/drop.txt', (_req, res) => {
      res.writeHead(200, { 'content-length': String(DROP.length) });
      res.write(DROP.slice(0, 300));
      setTimeout(() => res.socket?.destroy(), 50);
    });
    await refresh('drop');
    await untilDegraded('drop', 'True', 'Truncated');
    await lastGoodStillServed('drop', 20, DROP_PUSHED);
  });

  it('keeps the last good list when the body is still arriving at the timeout', async () => {
    handlers.set('/drop.txt', (_req, res) => {
      res.writeHead(200);
      const lines = DROP.split('\n');
      let i = 0;
      const timer = setInterval(() => {
        if (i < lines.length) res.write(`${lines[i++] ?? ''}\n`);
        else {
          clearInterval(timer);
          res.end();
        }
      }, 300);
      res.on('close', () => clearInterval(timer));
    });
    await refresh('drop');
    await untilDegraded('drop', 'True', 'Timeout', /timeout of 2s/);
    await lastGoodStillServed('drop', 20, DROP_PUSHED);
  });

  it('refuses a list that shrank by 90 %, and takes the next good one', async () => {
    const shrunk = DROP.split('\n')
      .filter((line) => line.startsWith(';') || line.startsWith('1.10.') || line.startsWith('1.19.'))
      .join('\n');
    handlers.set('/drop.txt', (_req, res) => {
      res.writeHead(200, { etag: '"drop-2"' });
      res.end(shrunk);
    });
    await refresh('drop');
    await untilDegraded('drop', 'True', 'Shrunk', /2 entries, 90 % fewer than the 20/);
    await lastGoodStillServed('drop', 20, DROP_PUSHED);

    const grown = `${DROP}185.156.72.0/22 ; SBL600000\n`;
    handlers.set('/drop.txt', (_req, res) => {
      res.writeHead(200, { etag: '"drop-3"' });
      res.end(grown);
    });
    await refresh('drop');
    await untilDegraded('drop', 'False', 'AsExpected');
    await everyGatewayDenies([...DROP_PUSHED, '185.156.72.0/22'].sort(byAddress), 'the grown list');
    expect(statusOf(await get('drop'))?.entries).to.equal(21);
  });

  it('serves the stored list after an operator restart even when the provider is down', async () => {
    handlers.set('/drop.txt', (_req, res) => {
      res.writeHead(503);
      res.end();
    });
    await h.restartOperator();
    await refresh('drop');
    await untilDegraded('drop', 'True', 'HttpError', /HTTP 503/);
    const status = statusOf(await get('drop'));
    expect(status?.entries).to.equal(21);
    expect(findCondition(status?.conditions, 'Synced')?.status).to.equal('True');
  });

  it('reads a FireHOL .netset without its bogons and never denies allowlisted addresses', async () => {
    handlers.set('/level1.netset', (_req, res) => {
      res.writeHead(200);
      res.end(LEVEL1);
    });
    await h.client.create<ThreatAllowlist>(ThreatAllowlistResource, {
      apiVersion: 'gateway.awesomeapi.com.br/v1alpha1',
      kind: 'ThreatAllowlist',
      metadata: { namespace: h.namespace, name: 'partners' },
      spec: { cidrs: ['91.200.12.0/24'] },
    } as unknown as ThreatAllowlist);
    await h.client.create(ThreatFeedResource, feed('level1', '/level1.netset', 'netset'));
    await eventually(
      async () => findCondition(statusOf(await get('level1'))?.conditions, 'Ready')?.status === 'True',
      60_000,
      'level1 Ready=True',
    );
    const status = statusOf(await get('level1'));
    expect(status).to.deep.include({ entries: 17, reservedEntries: 11, allowlistedRanges: 1 });
    const union = [...new Set([...DROP_PUSHED, '185.156.72.0/22', ...LEVEL1_PUSHED])].sort(byAddress);
    await everyGatewayDenies(union, 'both feeds, without bogons or the allowlisted /24');
    for (const list of blacklists()) {
      expect(list.some((cidr) => cidr.startsWith('91.200.12.'))).to.equal(false);
      expect(list.some((cidr) => /^(0|10|127|169\.254|172\.16|192\.168|224)\./.test(cidr))).to.equal(false);
    }
    const allowlist = await h.client.get<ThreatAllowlist>(ThreatAllowlistResource, h.namespace, 'partners');
    expect(findCondition(statusOf(allowlist)?.conditions, 'Ready')?.status).to.equal('True');
    expect(statusOf(allowlist)?.entries).to.equal(1);
  });

  it('withdraws a deleted feed from every gateway', async () => {
    await h.client.delete(ThreatFeedResource, h.namespace, 'level1');
    await everyGatewayDenies([...DROP_PUSHED, '185.156.72.0/22'].sort(byAddress), 'level1 withdrawn');
  });
});

function byAddress(a: string, b: string): number {
  const key = (cidr: string) =>
    (cidr.split('/')[0] ?? '').split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
  return key(a) - key(b);
}
