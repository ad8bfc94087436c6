import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { FakeClock } from '../runtime/clock.js';
import { AcmeError } from './errors.js';
import { AcmeTransport, type AcmeRequestEvent } from './transport.js';

/** The AcmeError `promise` rejects with (fails the test if it resolves or rejects otherwise). */
async function failure(promise: Promise<unknown>): Promise<AcmeError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, 'expected an AcmeError').to.be.instanceOf(AcmeError);
  return error as AcmeError;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** A local HTTP server answering with whatever the current test sets. */
async function server(): Promise<{
  url: string;
  handle: (h: Handler) => void;
  seen: string[];
  close: () => Promise<void>;
}> {
  let handler: Handler = (_req, res) => res.end();
  const seen: string[] = [];
  const http: Server = createServer((req, res) => {
    seen.push(`${req.method ?? ''} ${req.url ?? ''}`);
    handler(req, res);
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    handle: (h) => (handler = h),
    seen,
    close: () => {
      http.closeAllConnections();
      return new Promise((resolve) => http.close(() => resolve()));
    },
  };
}

describe('the ACME transport', () => {
  const clock = new FakeClock(Date.parse('2026-01-01T00:00:00Z'));
  let srv: Awaited<ReturnType<typeof server>>;
  let events: AcmeRequestEvent[];
  let transport: AcmeTransport;

  beforeEach(async () => {
    srv = await server();
    events = [];
    transport = new AcmeTransport(`${srv.url}/dir`, {
      timeoutMs: 1_000,
      clock,
      onRequest: (e) => events.push(e),
    });
  });
  afterEach(async () => {
    transport.close();
    await srv.close();
  });

  it('turns a problem document into an AcmeError with its type, status and Retry-After', async () => {
    srv.handle((_req, res) => {
      res.writeHead(429, {
        'content-type': 'application/problem+json',
        'retry-after': '90',
        'replay-nonce': 'n1',
      });
      res.end(JSON.stringify({ type: 'urn:ietf:params:acme:error:rateLimited', detail: 'slow down' }));
    });
    const error = await failure(
      transport.call('newOrder', () =>
        transport.request(`${srv.url}/new-order`, 'post', { data: { payload: '' } }),
      ),
    );
    expect(error).to.include({
      type: 'urn:ietf:params:acme:error:rateLimited',
      detail: 'slow down',
      status: 429,
    });
    expect(error.url).to.equal(`${srv.url}/new-order`);
    expect(error.retryAfter?.toISOString()).to.equal('2026-01-01T00:01:30.000Z');
    expect(events).to.deep.equal([
      { kind: 'newOrder', method: 'POST', url: `${srv.url}/new-order`, status: 429, durationMs: 0 },
    ]);
  });

  it('names error statuses without a problem document, keeping Retry-After', async () => {
    srv.handle((_req, res) => {
      res.writeHead(503, { 'content-type': 'text/html', 'retry-after': 'Thu, 01 Jan 2026 00:10:00 GMT' });
      res.end('<h1>maintenance</h1>');
    });
    const error = await failure(transport.get(`${srv.url}/dir`));
    expect(error.code).to.equal('http');
    expect(error.status).to.equal(503);
    expect(error.detail).to.include('<h1>maintenance</h1>');
    expect(error.retryAfter?.toISOString()).to.equal('2026-01-01T00:10:00.000Z');
    expect(events[0]?.kind).to.equal('directory');
  });

  it('answers nonce requests from the Replay-Nonce of earlier responses, and sends HEAD only when none is left', async () => {
    let nonce = 0;
    srv.handle((_req, res) => {
      nonce += 1;
      res.writeHead(200, { 'content-type': 'application/json', 'replay-nonce': `nonce-${nonce}` });
      res.end(_req.method === 'HEAD' ? undefined : '{}');
    });
    await transport.request(`${srv.url}/order/1`, 'post', { data: {} });
    const pooled = await transport.request(`${srv.url}/new-nonce`, 'head');
    expect(pooled.headers['replay-nonce']).to.equal('nonce-1');
    const fetched = await transport.request(`${srv.url}/new-nonce`, 'head');
    expect(fetched.headers['replay-nonce']).to.equal('nonce-2');
    expect(srv.seen).to.deep.equal(['POST /order/1', 'HEAD /new-nonce']);
    expect(events.map((e) => e.kind)).to.deep.equal(['other', 'newNonce']);
  });

  it('hands a nonce fetched by HEAD to its caller only, never to the pool as well', async () => {
    let nonce = 0;
    srv.handle((_req, res) => {
      nonce += 1;
      res.writeHead(200, { 'replay-nonce': `nonce-${nonce}` });
      res.end();
    });
    const first = await transport.request(`${srv.url}/new-nonce`, 'head');
    const second = await transport.request(`${srv.url}/new-nonce`, 'head');
    expect([first.headers['replay-nonce'], second.headers['replay-nonce']]).to.deep.equal([
      'nonce-1',
      'nonce-2',
    ]);
    expect(srv.seen).to.deep.equal(['HEAD /new-nonce', 'HEAD /new-nonce']);
  });

  it('leaves the nonce of a badNonce answer to acme-client, which re-signs with it', async () => {
    srv.handle((_req, res) => {
      res.writeHead(400, { 'content-type': 'application/problem+json', 'replay-nonce': 'fresh' });
      res.end(JSON.stringify({ type: 'urn:ietf:params:acme:error:badNonce', detail: 'stale' }));
    });
    const answer = await transport.request(`${srv.url}/order/1`, 'post', { data: {} });
    expect(answer.status).to.equal(400);
    expect(answer.headers['replay-nonce']).to.equal('fresh');
    srv.handle((_req, res) => {
      res.writeHead(200, { 'replay-nonce': 'from-head' });
      res.end();
    });
    expect((await transport.request(`${srv.url}/new-nonce`, 'head')).headers['replay-nonce']).to.equal(
      'from-head',
    );
  });

  it('reports the Retry-After of the last response of a call, for pollers', async () => {
    srv.handle((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'retry-after': '5' });
      res.end('{"status":"processing"}');
    });
    const { value, retryAfter } = await transport.call('order', () =>
      transport.request(`${srv.url}/order/1`, 'post', { data: {} }),
    );
    expect(value.data).to.deep.equal({ status: 'processing' });
    expect(retryAfter?.toISOString()).to.equal('2026-01-01T00:00:05.000Z');
  });

  it('gives up on a silent server after the request timeout', async () => {
    srv.handle(() => undefined);
    const impatient = new AcmeTransport(`${srv.url}/dir`, { timeoutMs: 50, clock });
    const error = await failure(impatient.get(`${srv.url}/dir`));
    impatient.close();
    expect(error.code).to.equal('timeout');
    expect(error.retryable).to.equal(true);
  });

  it('calls a refused connection unreachable and names the server', async () => {
    await srv.close();
    const error = await failure(transport.get(`${srv.url}/dir`));
    expect(error.code).to.equal('unreachable');
    expect(error.detail).to.include(srv.url);
    expect(events[0]?.status).to.equal(undefined);
  });
});
