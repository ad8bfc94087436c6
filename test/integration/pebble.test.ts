import { X509Certificate } from 'node:crypto';
import { Resolver } from 'node:dns/promises';
import { request } from 'node:https';
import { expect } from 'chai';
import { AcmeFront } from '../support/acme-front.js';
import { Pebble } from '../support/pebble.js';

/** GET with node's default trust store, or with `ca` only. */
function get(url: string, ca?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, timeout: 5_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the Pebble test harness', function () {
  this.timeout(30_000);
  let pebble: Pebble;

  before(async () => {
    pebble = await Pebble.start({ validitySeconds: 600 });
  });
  after(async () => {
    await pebble.stop();
  });

  it('serves the ACME directory to clients that trust only its caBundle', async () => {
    const { status, body } = await get(pebble.directoryUrl, pebble.caBundle);
    expect(status).to.equal(200);
    const directory = JSON.parse(body) as Record<string, unknown>;
    expect(directory).to.include.keys('newNonce', 'newAccount', 'newOrder', 'renewalInfo');
    // The system roots do not trust it: the bundle is what makes the difference.
    const error = await get(pebble.directoryUrl).then(
      () => undefined,
      (e: unknown) => e as { code?: string },
    );
    expect(error?.code).to.match(/CERT|SELF_SIGNED|UNABLE_TO/);
  });

  it('publishes the root and intermediate on the management port, the intermediate signed by the root', async () => {
    const root = new X509Certificate(await pebble.rootCertificate());
    const intermediate = new X509Certificate(await pebble.intermediateCertificate());
    expect(root.ca).to.equal(true);
    expect(intermediate.checkIssued(root)).to.equal(true);
    expect(intermediate.verify(root.publicKey)).to.equal(true);
  });

  it('points names at loopback addresses through challtestsrv, and serves TXT records', async () => {
    const resolver = new Resolver({ timeout: 1_000, tries: 2 });
    resolver.setServers([pebble.dnsServer]);
    await pebble.addA('harness.example', ['127.0.0.7']);
    expect(await resolver.resolve4('harness.example')).to.deep.equal(['127.0.0.7']);
    await pebble.clearA('harness.example');
    expect(await resolver.resolve4('harness.example')).to.deep.equal(['127.0.0.1']);
    // No IPv6 answers: Pebble asks AAAA first and would dial ::1.
    const aaaa = await resolver
      .resolve6('harness.example')
      .catch((e: unknown) => (e as { code: string }).code);
    expect(aaaa).to.be.oneOf(['ENODATA', 'ENOTFOUND']);
    await pebble.setTxt('_acme-challenge.harness.example', 'token-value');
    expect(await resolver.resolveTxt('_acme-challenge.harness.example')).to.deep.equal([['token-value']]);
    await pebble.clearTxt('_acme-challenge.harness.example');
  });

  it('validates HTTP-01 on its own port, apart from its ACME and management ports', () => {
    const ports = [pebble.httpPort, pebble.listenPort, Number(new URL(pebble.managementUrl).port)];
    expect(new Set(ports).size).to.equal(3);
    expect(pebble.httpPort).to.be.greaterThan(0);
  });

  it('forgets everything and signs with a new root after a restart', async () => {
    const before = await pebble.rootCertificate();
    await pebble.restart();
    expect(await pebble.rootCertificate()).to.not.equal(before);
    expect((await get(pebble.directoryUrl, pebble.caBundle)).status).to.equal(200);
  });

  it('can be fronted: URLs point at the front, requests are counted, 429 injected with Retry-After', async () => {
    const front = await AcmeFront.start({
      port: pebble.listenPort,
      caBundle: pebble.caBundle,
      tls: pebble.tls,
    });
    try {
      const directory = JSON.parse((await get(front.directoryUrl, pebble.caBundle)).body) as Record<
        string,
        string
      >;
      expect(directory.newOrder).to.equal(`https://127.0.0.1:${front.port}/order-plz`);
      front.rateLimit('directory', { retryAfter: 30 });
      const limited = await get(front.directoryUrl, pebble.caBundle);
      expect(limited.status).to.equal(429);
      expect(JSON.parse(limited.body)).to.include({ type: 'urn:ietf:params:acme:error:rateLimited' });
      expect((await get(front.directoryUrl, pebble.caBundle)).status).to.equal(200);
      expect(front.count('directory')).to.equal(3);
      expect(front.count('directory', { forwardedOnly: true })).to.equal(2);
    } finally {
      await front.stop();
    }
  });

  it('uses another DNS server when given one, and starts no challtestsrv', async () => {
    const other = await Pebble.start({ dnsServer: pebble.dnsServer });
    try {
      expect(other.dnsServer).to.equal(pebble.dnsServer);
      expect((await get(other.directoryUrl, other.caBundle)).status).to.equal(200);
      let refused: unknown;
      await other.addA('x.example', ['127.0.0.2']).catch((e: unknown) => (refused = e));
      expect(String(refused)).to.include('update records there');
    } finally {
      await other.stop();
    }
  });
});
