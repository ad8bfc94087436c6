import { expect } from 'chai';
import { CloudflareProvider } from './cloudflare.js';
import {
  FakeHttpServer,
  rejection,
  type FakeResponse,
  type RecordedRequest,
} from './http-fakes.test-support.js';

const TOKEN = 'cf-token-with-dns-edit';

interface FakeRecord {
  id: string;
  type: string;
  name: string;
  content: string;
  ttl: number;
}

/**
 * The slice of the Cloudflare v4 API DNS-01 uses, answering in its envelope
 * ({success, errors, messages, result}) and refusing what the real API refuses.
 */
class FakeCloudflare {
  readonly zones = [
    { id: 'zone-example', name: 'example.com' },
    { id: 'zone-other', name: 'other.net' },
  ];
  readonly records: FakeRecord[] = [];
  private nextId = 1;

  handle(request: RecordedRequest): FakeResponse {
    const envelope = (status: number, result: unknown, errors: { code: number; message: string }[] = []) => ({
      status,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ success: errors.length === 0, errors, messages: [], result }),
    });
    if (request.headers.authorization !== `Bearer ${TOKEN}`) {
      return envelope(403, null, [{ code: 10000, message: 'Authentication error' }]);
    }
    if (!request.path.startsWith('/client/v4/'))
      return envelope(404, null, [{ code: 7000, message: 'No route for that URI' }]);
    const path = request.path.slice('/client/v4'.length);
    if (request.method === 'GET' && path === '/zones') {
      return envelope(
        200,
        this.zones.filter((z) => z.name === request.query.get('name')),
      );
    }
    const records = /^\/zones\/([^/]+)\/dns_records(?:\/([^/]+))?$/.exec(path);
    const zone = this.zones.find((z) => z.id === records?.[1]);
    if (!records || !zone)
      return envelope(404, null, [
        { code: 7003, message: 'Could not route to /zones, perhaps your object identifier is invalid?' },
      ]);
    const recordId = records[2];
    if (request.method === 'POST' && !recordId) {
      if (request.headers['content-type'] !== 'application/json') {
        return envelope(400, null, [{ code: 6003, message: 'Invalid request headers' }]);
      }
      const body = JSON.parse(request.body) as Omit<FakeRecord, 'id'>;
      expect(Object.keys(body).sort()).to.deep.equal(['content', 'name', 'ttl', 'type']);
      if (body.ttl !== 1 && body.ttl < 60)
        return envelope(400, null, [
          { code: 9021, message: 'Invalid TTL. Must be between 60 and 86400 seconds, or 1 for Automatic.' },
        ]);
      if (
        this.records.some((r) => r.type === body.type && r.name === body.name && r.content === body.content)
      ) {
        return envelope(400, null, [{ code: 81058, message: 'An identical record already exists.' }]);
      }
      const record = { id: `rec-${this.nextId++}`, ...body };
      this.records.push(record);
      return envelope(200, record);
    }
    if (request.method === 'GET' && !recordId) {
      return envelope(
        200,
        this.records.filter(
          (r) => r.type === request.query.get('type') && r.name === request.query.get('name'),
        ),
      );
    }
    if (request.method === 'DELETE' && recordId) {
      const index = this.records.findIndex((r) => r.id === recordId);
      if (index < 0) return envelope(404, null, [{ code: 81044, message: 'Record does not exist.' }]);
      this.records.splice(index, 1);
      return envelope(200, { id: recordId });
    }
    return envelope(405, null, [{ code: 10405, message: 'Method not allowed' }]);
  }
}

describe('Cloudflare DNS-01 provider against a fake of the v4 API', () => {
  let api: FakeCloudflare;
  let server: FakeHttpServer;

  beforeEach(async () => {
    api = new FakeCloudflare();
    server = await FakeHttpServer.start((request) => api.handle(request));
  });

  afterEach(async () => {
    await server.close();
  });

  function provider(token = TOKEN): CloudflareProvider {
    return new CloudflareProvider({ apiToken: token, baseUrl: `${server.url}/client/v4` });
  }

  it('finds the zone, creates the TXT record and deletes only its own value', async () => {
    const cf = provider();
    await cf.present('_acme-challenge.www.example.com.', 'token-one');
    await cf.present('_acme-challenge.www.example.com', 'token-one');
    await cf.present('_acme-challenge.www.example.com', 'token-two');
    expect(api.records.map((r) => r.content)).to.deep.equal(['"token-one"', '"token-two"']);

    await cf.cleanup('_acme-challenge.www.example.com', 'token-one');
    expect(api.records.map((r) => r.content)).to.deep.equal(['"token-two"']);
    await cf.cleanup('_acme-challenge.www.example.com', 'token-two');
    await cf.cleanup('_acme-challenge.www.example.com', 'token-two');
    expect(api.records).to.deep.equal([]);

    const calls = server.requests.map(
      (r) => `${r.method} ${r.path}${r.query.size > 0 ? `?${r.query.toString()}` : ''}`,
    );
    expect(calls).to.deep.equal([
      'GET /client/v4/zones?name=_acme-challenge.www.example.com',
      'GET /client/v4/zones?name=www.example.com',
      'GET /client/v4/zones?name=example.com',
      'POST /client/v4/zones/zone-example/dns_records',
      'POST /client/v4/zones/zone-example/dns_records',
      'POST /client/v4/zones/zone-example/dns_records',
      'GET /client/v4/zones/zone-example/dns_records?type=TXT&name=_acme-challenge.www.example.com&per_page=100',
      'DELETE /client/v4/zones/zone-example/dns_records/rec-1',
      'GET /client/v4/zones/zone-example/dns_records?type=TXT&name=_acme-challenge.www.example.com&per_page=100',
      'DELETE /client/v4/zones/zone-example/dns_records/rec-2',
      'GET /client/v4/zones/zone-example/dns_records?type=TXT&name=_acme-challenge.www.example.com&per_page=100',
    ]);
  });

  it('sends the record as the API documents it, with the token as a Bearer credential', async () => {
    await provider().present('_acme-challenge.example.com', 'token-one');
    const create = server.requests.find((r) => r.method === 'POST');
    expect(create?.headers.authorization).to.equal(`Bearer ${TOKEN}`);
    expect(create?.headers['content-type']).to.equal('application/json');
    expect(JSON.parse(create?.body ?? '')).to.deep.equal({
      type: 'TXT',
      name: '_acme-challenge.example.com',
      content: '"token-one"',
      ttl: 120,
    });
  });

  it('says the token lacks permissions when Cloudflare refuses it', async () => {
    const error = await rejection(provider('revoked-token').present('_acme-challenge.example.com', 'v'));
    expect(error.message).to.equal(
      'Cloudflare API GET /zones failed (HTTP 403): 10000 Authentication error. Check that the API token is valid ' +
        'and has the Zone:Zone:Read and Zone:DNS:Edit permissions on the zone',
    );
  });

  it('names the zones it looked for when none is visible to the token', async () => {
    const error = await rejection(provider().present('_acme-challenge.shop.example.net', 'v'));
    expect(error.message).to.equal(
      'no Cloudflare zone found for _acme-challenge.shop.example.net (looked for _acme-challenge.shop.example.net, ' +
        'shop.example.net, example.net); check that the API token has Zone:Zone:Read on the zone',
    );
  });

  it('passes on the errors of a refused request', async () => {
    const cf = new CloudflareProvider({ apiToken: TOKEN, baseUrl: `${server.url}/client/v4`, ttl: 30 });
    const error = await rejection(cf.present('_acme-challenge.example.com', 'v'));
    expect(error.message).to.equal(
      'Cloudflare API POST /zones/zone-example/dns_records failed (HTTP 400): ' +
        '9021 Invalid TTL. Must be between 60 and 86400 seconds, or 1 for Automatic.',
    );
  });

  it('says what came back when the answer is not the API envelope', async () => {
    const cf = new CloudflareProvider({ apiToken: TOKEN, baseUrl: `${server.url}/wrong/base` });
    const error = await rejection(cf.present('_acme-challenge.example.com', 'v'));
    expect(error.message).to.equal('Cloudflare API GET /zones failed (HTTP 404): 7000 No route for that URI');
  });
});
