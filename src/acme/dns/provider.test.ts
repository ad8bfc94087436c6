import { expect } from 'chai';
import { FakeClock } from '../../runtime/clock.js';
import { dig, startBind, type BindServer } from '../../../test/support/bind.js';
import { FakeHttpServer, rejection } from './http-fakes.test-support.js';
import { createDnsProvider, type Dns01Solver } from './provider.js';
import { FakeRoute53 } from './route53-fake.test-support.js';

const ref = { name: 'dns-credentials', key: 'secret' };

describe('DNS-01 providers built from a Certificate solver', () => {
  let bind: BindServer;

  before(async () => {
    bind = await startBind();
  });

  after(async () => {
    // Undefined when the before hook failed; that failure is the one to report.
    await (bind as BindServer | undefined)?.stop();
  });

  it('builds an RFC 2136 provider from the key name, algorithm and resolved secret', async () => {
    const key = bind.keys.HMACSHA512;
    const solver: Dns01Solver = {
      rfc2136: {
        nameserver: bind.address,
        tsigKeyName: key.name.replace(/\.$/, ''),
        tsigAlgorithm: 'HMACSHA512',
        tsigSecretSecretRef: ref,
      },
    };
    const provider = createDnsProvider(solver, { tsigSecret: `${key.secret}\n` });
    await provider.present('_acme-challenge.factory.example.test', 'from-the-crd');
    expect(await dig(bind, '_acme-challenge.factory.example.test')).to.deep.equal(['"from-the-crd"']);
    await provider.cleanup('_acme-challenge.factory.example.test', 'from-the-crd');
    expect(await dig(bind, '_acme-challenge.factory.example.test')).to.deep.equal([]);
  });

  it('builds a Route 53 provider with the access key id and the resolved secret key', async () => {
    const key = { accessKeyId: 'AKIAFACTORY', secretAccessKey: 'factory-secret' };
    const route53 = await FakeRoute53.start([{ id: 'Z9', name: 'example.com.', records: [] }], key);
    try {
      const solver: Dns01Solver = {
        route53: { region: 'eu-west-1', accessKeyID: key.accessKeyId, secretAccessKeySecretRef: ref },
      };
      const provider = createDnsProvider(
        solver,
        { route53SecretAccessKey: key.secretAccessKey },
        { endpoints: { route53: route53.url }, clock: new FakeClock() },
      );
      await provider.present('_acme-challenge.example.com', 'v');
      expect(route53.recordSet('Z9', '_acme-challenge.example.com.')?.values).to.deep.equal(['"v"']);
    } finally {
      await route53.close();
    }
  });

  it('uses the ambient AWS credentials when the solver names no access key', async () => {
    const key = { accessKeyId: 'AKIAAMBIENT', secretAccessKey: 'ambient-secret' };
    const route53 = await FakeRoute53.start([{ id: 'Z9', name: 'example.com.', records: [] }], key);
    try {
      const provider = createDnsProvider(
        { route53: { region: 'us-east-1', hostedZoneID: 'Z9' } },
        {},
        {
          endpoints: { route53: route53.url },
          env: { AWS_ACCESS_KEY_ID: key.accessKeyId, AWS_SECRET_ACCESS_KEY: key.secretAccessKey },
        },
      );
      await provider.present('_acme-challenge.example.com', 'v');
      expect(route53.recordSet('Z9', '_acme-challenge.example.com.')?.values).to.deep.equal(['"v"']);
    } finally {
      await route53.close();
    }
  });

  it('builds Cloudflare and webhook providers that send the resolved tokens', async () => {
    const server = await FakeHttpServer.start((request) =>
      request.path === '/client/v4/zones'
        ? {
            status: 403,
            body: JSON.stringify({
              success: false,
              errors: [{ code: 10000, message: 'Authentication error' }],
            }),
          }
        : { status: 200 },
    );
    try {
      const cloudflare = createDnsProvider(
        { cloudflare: { apiTokenSecretRef: ref } },
        { cloudflareApiToken: 'cf-token' },
        { endpoints: { cloudflare: `${server.url}/client/v4` } },
      );
      const error = await rejection(cloudflare.present('_acme-challenge.example.com', 'v'));
      expect(error.message).to.match(
        /^Cloudflare API GET \/zones failed \(HTTP 403\): 10000 Authentication error/,
      );
      const webhook = createDnsProvider(
        { webhook: { url: `${server.url}/hook`, authSecretRef: ref } },
        { webhookToken: 'hook-token' },
      );
      await webhook.present('_acme-challenge.example.com', 'v');
      expect(server.requests.map((r) => `${r.path} ${String(r.headers.authorization)}`)).to.deep.equal([
        '/client/v4/zones Bearer cf-token',
        '/hook Bearer hook-token',
      ]);
    } finally {
      await server.close();
    }
  });

  it('says which secret is missing', () => {
    expect(() =>
      createDnsProvider(
        {
          rfc2136: {
            nameserver: bind.address,
            tsigKeyName: 'k',
            tsigAlgorithm: 'HMACSHA256',
            tsigSecretSecretRef: ref,
          },
        },
        {},
      ),
    ).to.throw('the TSIG secret (rfc2136.tsigSecretSecretRef) is empty or missing');
    expect(() =>
      createDnsProvider({ cloudflare: { apiTokenSecretRef: ref } }, { cloudflareApiToken: ' ' }),
    ).to.throw('the Cloudflare API token (cloudflare.apiTokenSecretRef) is empty or missing');
    expect(() =>
      createDnsProvider(
        { route53: { region: 'us-east-1', accessKeyID: 'AKIA', secretAccessKeySecretRef: ref } },
        {},
      ),
    ).to.throw('the AWS secret access key (route53.secretAccessKeySecretRef) is empty or missing');
  });

  it('refuses a solver that names no provider', () => {
    expect(() => createDnsProvider({}, {})).to.throw(
      'the dns01 solver names no provider (set one of rfc2136, cloudflare, route53, webhook)',
    );
  });
});
