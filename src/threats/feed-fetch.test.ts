/** Downloads from a real local HTTP server misbehaving in each way a feed server can. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { freePort } from '../envtest/ports.js';
import { fetchFeed, type FeedRequest } from './feed-fetch.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

describe('downloading a threat feed', () => {
  let server: Server;
  let handler: Handler;
  let base: string;
  const seen: IncomingMessage[] = [];

  before(async () => {
    server = createServer((req, res) => {
      seen.push(req);
      handler(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  beforeEach(() => {
    seen.length = 0;
  });

  const get = (overrides: Partial<FeedRequest> = {}) =>
    fetchFeed({ url: `${base}/drop.txt`, timeoutMs: 2_000, maxBytes: 1_000, ...overrides });

  it('returns the body with its validators, and sends the auth header', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { etag: '"v1"', 'last-modified': 'Sat, 10 Jan 2026 16:14:42 GMT' });
      res.end('1.10.16.0/20 ; SBL256894\n');
    };
    const response = await get({ header: { name: 'X-Api-Key', value: 'secret-value' } });
    expect(response).to.deep.equal({
      kind: 'body',
      body: '1.10.16.0/20 ; SBL256894\n',
      bytes: 25,
      etag: '"v1"',
      lastModified: 'Sat, 10 Jan 2026 16:14:42 GMT',
    });
    expect(seen[0]?.headers['x-api-key']).to.equal('secret-value');
  });

  it('asks conditionally and understands 304 Not Modified', async () => {
    handler = (req, res) => {
      res.writeHead(req.headers['if-none-match'] === '"v1"' ? 304 : 200);
      res.end();
    };
    expect(await get({ etag: '"v1"', lastModified: 'Sat, 10 Jan 2026 16:14:42 GMT' })).to.deep.equal({
      kind: 'not-modified',
    });
    expect(seen[0]?.headers['if-modified-since']).to.equal('Sat, 10 Jan 2026 16:14:42 GMT');
  });

  it('reports an HTTP error with its status', async () => {
    handler = (_req, res) => {
      res.writeHead(500);
      res.end('oops');
    };
    expect(await get()).to.deep.equal({
      kind: 'failed',
      reason: 'HttpError',
      message: 'the server answered HTTP 500 Internal Server Error',
    });
  });

  it('tells a body cut short from a complete one', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-length': '500' });
      res.write('1.10.16.0/20\n1.19.');
      setTimeout(() => res.socket?.destroy(), 50);
    };
    const response = await get();
    expect(response).to.include({ kind: 'failed', reason: 'Truncated' });
  });

  it('tells a chunked body that never ends from a complete one', async () => {
    handler = (_req, res) => {
      res.writeHead(200);
      res.write('1.10.16.0/20\n');
      setTimeout(() => res.socket?.destroy(), 50);
    };
    expect(await get()).to.include({ kind: 'failed', reason: 'Truncated' });
  });

  it('gives up on a body that is still arriving at the timeout', async () => {
    handler = (_req, res) => {
      res.writeHead(200);
      res.write('1.10.16.0/20\n');
      const timer = setInterval(() => res.write('1.19.0.0/16\n'), 100);
      res.on('close', () => clearInterval(timer));
    };
    const response = await get({ timeoutMs: 500, maxBytes: 100_000 });
    expect(response).to.include({ kind: 'failed', reason: 'Timeout' });
    if (response.kind === 'failed')
      expect(response.message).to.match(/^the body did not arrive within the timeout of 0.5s/);
  });

  it('refuses a body larger than allowed, announced or not', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-length': '2000' });
      res.end('x'.repeat(2000));
    };
    expect(await get()).to.include({ kind: 'failed', reason: 'TooLarge' });
    handler = (_req, res) => {
      res.writeHead(200);
      res.end('x'.repeat(2000));
    };
    expect(await get()).to.deep.include({ kind: 'failed', reason: 'TooLarge' });
  });

  it('follows a redirect', async () => {
    handler = (req, res) => {
      if (req.url === '/drop.txt') {
        res.writeHead(302, { location: '/moved.txt' });
        res.end();
      } else {
        res.writeHead(200);
        res.end('1.10.16.0/20\n');
      }
    };
    expect(await get()).to.include({ kind: 'body', body: '1.10.16.0/20\n' });
  });

  it('reports a server that is not there without quoting the URL', async () => {
    const port = await freePort();
    const response = await fetchFeed({
      url: `http://127.0.0.1:${port}/drop.txt?key=abc`,
      timeoutMs: 2_000,
      maxBytes: 10,
    });
    expect(response).to.include({ kind: 'failed', reason: 'FetchFailed' });
    if (response.kind === 'failed') {
      expect(response.message).to.match(/ECONNREFUSED/);
      expect(response.message).to.not.include('key=abc');
    }
  });
});
