import { expect } from 'chai';
import { freePort } from '../../envtest/ports.js';
import { FakeHttpServer, rejection, type FakeResponse } from './http-fakes.test-support.js';
import { WebhookProvider } from './webhook.js';

describe('webhook DNS-01 provider against a local HTTP server', () => {
  let server: FakeHttpServer;
  let reply: FakeResponse;

  beforeEach(async () => {
    reply = { status: 204 };
    server = await FakeHttpServer.start(() => reply);
  });

  afterEach(async () => {
    await server.close();
  });

  it('POSTs present and cleanup as JSON with the Bearer token', async () => {
    const webhook = new WebhookProvider({ url: `${server.url}/dns/acme`, token: 's3cret' });
    await webhook.present('_acme-challenge.example.com', 'token-one');
    await webhook.cleanup('_acme-challenge.example.com.', 'token-one');
    expect(
      server.requests.map((r) => [r.method, r.path, r.headers.authorization, r.headers['content-type']]),
    ).to.deep.equal([
      ['POST', '/dns/acme', 'Bearer s3cret', 'application/json'],
      ['POST', '/dns/acme', 'Bearer s3cret', 'application/json'],
    ]);
    expect(server.requests.map((r) => JSON.parse(r.body) as unknown)).to.deep.equal([
      { action: 'present', fqdn: '_acme-challenge.example.com.', value: 'token-one' },
      { action: 'cleanup', fqdn: '_acme-challenge.example.com.', value: 'token-one' },
    ]);
  });

  it('sends no Authorization header without a token', async () => {
    await new WebhookProvider({ url: server.url }).present('_acme-challenge.example.com', 'v');
    expect(server.requests[0]?.headers).not.to.have.property('authorization');
  });

  it('fails with the status and the start of the body on a non-2xx answer', async () => {
    reply = { status: 500, body: `zone example.com is locked\n${'x'.repeat(1000)}` };
    const error = await rejection(
      new WebhookProvider({ url: `${server.url}/hook` }).present('_acme-challenge.example.com', 'v'),
    );
    expect(error.message).to.equal(
      `DNS-01 webhook ${server.url}/hook answered present for _acme-challenge.example.com. with HTTP 500 ` +
        `Internal Server Error: zone example.com is locked ${'x'.repeat(273)}…`,
    );
  });

  it('does not take a redirect for success', async () => {
    reply = { status: 302, headers: { location: 'https://example.com/login' } };
    const error = await rejection(
      new WebhookProvider({ url: server.url }).cleanup('_acme-challenge.example.com', 'v'),
    );
    expect(error.message).to.equal(`POST ${server.url}/ failed: unexpected redirect`);
  });

  it('names the endpoint it could not reach', async () => {
    const port = await freePort();
    const error = await rejection(
      new WebhookProvider({ url: `http://127.0.0.1:${port}/hook` }).present('x.example.com', 'v'),
    );
    expect(error.message).to.equal(
      `POST http://127.0.0.1:${port}/hook failed: connect ECONNREFUSED 127.0.0.1:${port}`,
    );
  });
});
