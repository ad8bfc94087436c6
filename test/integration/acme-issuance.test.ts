import { globalAgent } from 'node:https';
import { expect } from 'chai';
import {
  AcmeAccounts,
  AcmeError,
  InMemoryAccountKeyStore,
  certificateId,
  dns01Solver,
  http01Solver,
  type AcmeRequestEvent,
} from '../../src/acme/index.js';
import { AcmeFront } from '../support/acme-front.js';
import { ChalltestsrvDns, Http01Responder, csrFor, verifyChain } from '../support/acme-kit.js';
import { Pebble } from '../support/pebble.js';

const FAST_POLL = { initialDelayMs: 50, maxDelayMs: 500, timeoutMs: 20_000 };
const VALIDITY_SECONDS = 900;
const SHORT_VALIDITY_SECONDS = 300;

function noHooks(): { onIntent: () => Promise<void>; onOrderCreated: () => Promise<void> } {
  return { onIntent: () => Promise.resolve(), onOrderCreated: () => Promise.resolve() };
}

describe('ACME issuance against Pebble', function () {
  this.timeout(60_000);
  let pebble: Pebble;
  let front: AcmeFront;
  let responder: Http01Responder;

  before(async () => {
    pebble = await Pebble.start({
      validitySeconds: VALIDITY_SECONDS,
      profiles: { shortlived: { validityPeriod: SHORT_VALIDITY_SECONDS } },
    });
    front = await AcmeFront.start({ port: pebble.listenPort, caBundle: pebble.caBundle, tls: pebble.tls });
    responder = await new Http01Responder(pebble.httpPort).start();
  });
  after(async () => {
    await responder.stop();
    await front.stop();
    await pebble.stop();
  });
  beforeEach(() => front.reset());

  it('creates the account once, saves its key before registering, and reuses it after a restart', async () => {
    const store = new InMemoryAccountKeyStore();
    const events: AcmeRequestEvent[] = [];
    const options = { server: front.directoryUrl, email: 'ops@example.org', caBundle: pebble.caBundle };
    const accounts = new AcmeAccounts({ store, onRequest: (e) => events.push(e) });
    const [a, b] = await Promise.all([accounts.account(options), accounts.account(options)]);
    expect(a).to.equal(b);
    expect(a.url).to.match(/\/my-account\//);
    // 201 Created: a rejected nonce (Pebble refuses 5 %) makes acme-client send newAccount again.
    expect(front.count('newAccount', { status: 201 })).to.equal(1);
    expect(events.filter((e) => e.kind === 'newAccount' && e.status === 201)).to.have.length(1);
    // Saved twice: the key before newAccount, then with the account URL.
    expect(store.saves).to.equal(2);
    const saved = await store.load({ server: front.directoryUrl, email: 'ops@example.org' });
    expect(saved?.url).to.equal(a.url);

    // A restarted operator: same store, new process state. No newAccount at all.
    front.reset();
    const restarted = new AcmeAccounts({ store });
    const again = await restarted.account(options);
    expect(again.url).to.equal(a.url);
    expect(front.requests).to.have.length(0);

    // Another e-mail is another account with its own key.
    const other = await restarted.account({ ...options, email: 'other@example.org' });
    expect(other.url).to.not.equal(a.url);
    await accounts.close();
    await restarted.close();
  });

  it('issues over HTTP-01 served by a real HTTP server, and the chain verifies to the root from the management port', async () => {
    const names = ['app.example.org', 'www.example.org'];
    const csr = await csrFor(names);
    const events: AcmeRequestEvent[] = [];
    const accounts = new AcmeAccounts({
      store: new InMemoryAccountKeyStore(),
      onRequest: (e) => events.push(e),
      poll: FAST_POLL,
    });
    const account = await accounts.account({ server: front.directoryUrl, caBundle: pebble.caBundle });
    const steps: string[] = [];
    const issued = await account.issue({
      key: 'default/app',
      dnsNames: names,
      csr: csr.der,
      solver: http01Solver(responder),
      // Pebble picks a random profile for an order that names none.
      profile: 'default',
      onIntent: () => {
        steps.push(`intent (newOrder seen: ${front.count('newOrder')})`);
        return Promise.resolve();
      },
      onOrderCreated: (url) => {
        steps.push(`created ${url} (challenges answered: ${front.count('challenge')})`);
        return Promise.resolve();
      },
      onOrderState: (state) => void steps.push(state),
    });

    expect(steps[0]).to.equal('intent (newOrder seen: 0)');
    expect(steps[1]).to.equal(`created ${issued.orderUrl} (challenges answered: 0)`);
    // Pebble answers finalize with "processing" and issues in the background.
    expect(steps.slice(2)).to.deep.equal(['pending', 'ready', 'processing', 'valid']);
    expect(issued.resumed).to.equal(false);
    expect(responder.presented).to.be.at.least(1);
    expect(responder.answers.size).to.equal(0);

    const leaf = verifyChain(issued.leafPem, issued.chainPem, await pebble.rootCertificate());
    expect(issued.fullChainPem).to.equal(issued.leafPem + issued.chainPem);
    expect(leaf.subjectAltName).to.equal('DNS:app.example.org, DNS:www.example.org');
    const lifetime = (Date.parse(leaf.validTo) - Date.parse(leaf.validFrom)) / 1000;
    expect(lifetime).to.be.within(VALIDITY_SECONDS - 2, VALIDITY_SECONDS);
    expect(leaf.publicKey.export({ format: 'der', type: 'spki' })).to.deep.equal(
      (await import('node:crypto')).createPublicKey(csr.keyPem).export({ format: 'der', type: 'spki' }),
    );
    // Requests that reached the server for this certificate (reported by the benchmark).
    expect(events.length).to.equal(front.requests.length);
    const forCertificate = events.filter((e) => e.subject === 'default/app');
    expect(forCertificate.map((e) => e.kind)).to.include.members([
      'newOrder',
      'challenge',
      'finalize',
      'certificate',
    ]);
    expect(events.filter((e) => e.subject === undefined).map((e) => e.kind)).to.have.members([
      'directory',
      'newNonce',
      ...events.filter((e) => e.kind === 'newAccount').map(() => 'newAccount' as const),
    ]);
    // Nonces come from earlier responses; a HEAD only when none is left (parallel requests).
    const posts = events.filter((e) => e.method === 'POST').length;
    expect(events.filter((e) => e.kind === 'newNonce').length)
      .to.be.at.most(3)
      .and.below(posts / 4);
    await accounts.close();
  });

  it('issues a wildcard over DNS-01 through challtestsrv, and refuses a wildcard over HTTP-01 before any order', async () => {
    const names = ['*.wild.example.org', 'wild.example.org'];
    const csr = await csrFor(names);
    const dns = new ChalltestsrvDns(pebble);
    const propagated: string[] = [];
    const accounts = new AcmeAccounts({ store: new InMemoryAccountKeyStore(), poll: FAST_POLL });
    const account = await accounts.account({ server: front.directoryUrl, caBundle: pebble.caBundle });

    const refused = await account
      .issue({
        key: 'default/wild',
        dnsNames: names,
        csr: csr.pem,
        solver: http01Solver(responder),
        ...noHooks(),
      })
      .catch((e: unknown) => e);
    expect(refused).to.be.instanceOf(AcmeError);
    expect((refused as AcmeError).code).to.equal('unsupportedChallenge');
    expect((refused as AcmeError).retryable).to.equal(false);
    expect(front.count('newOrder')).to.equal(0);

    const issued = await account.issue({
      key: 'default/wild',
      dnsNames: names,
      csr: csr.pem,
      solver: dns01Solver(dns, {
        waitForPropagation: (fqdn) => {
          propagated.push(fqdn);
          return Promise.resolve();
        },
      }),
      ...noHooks(),
    });
    const leaf = verifyChain(issued.leafPem, issued.chainPem, await pebble.rootCertificate());
    expect(leaf.subjectAltName).to.include('DNS:*.wild.example.org');
    expect(propagated.every((f) => f === '_acme-challenge.wild.example.org')).to.equal(true);
    expect(dns.records.size).to.equal(0);
    await accounts.close();
  });

  it('fetches the renewal window (ARI) Pebble suggests, and the one it is told to suggest', async () => {
    const csr = await csrFor(['ari.example.org']);
    const accounts = new AcmeAccounts({ store: new InMemoryAccountKeyStore(), poll: FAST_POLL });
    const account = await accounts.account({ server: front.directoryUrl, caBundle: pebble.caBundle });
    const issued = await account.issue({
      key: 'default/ari',
      dnsNames: ['ari.example.org'],
      csr: csr.pem,
      solver: http01Solver(responder),
      ...noHooks(),
    });
    const leaf = verifyChain(issued.leafPem, issued.chainPem, await pebble.rootCertificate());
    const info = await account.renewalInfo(issued.leafPem);
    expect(info).to.not.equal(undefined);
    expect(info!.start.getTime()).to.be.at.least(Date.parse(leaf.validFrom));
    expect(info!.end.getTime()).to.be.at.most(Date.parse(leaf.validTo) + 1000);
    expect(info!.end > info!.start).to.equal(true);
    expect(info!.retryAfter!.getTime()).to.be.greaterThan(Date.now() + 5 * 3600_000);
    expect(front.requests.at(-1)?.path).to.equal(
      `/draft-ietf-acme-ari-03/renewalInfo/${certificateId(issued.leafPem)}`,
    );

    await pebble.setRenewalInfo(
      issued.leafPem,
      JSON.stringify({
        suggestedWindow: { start: '2030-01-01T00:00:00Z', end: '2030-01-02T00:00:00Z' },
        explanationURL: 'https://ca.example/why',
      }),
    );
    const told = await account.renewalInfo(issued.leafPem);
    expect(told?.start.toISOString()).to.equal('2030-01-01T00:00:00.000Z');
    expect(told?.explanationUrl).to.equal('https://ca.example/why');

    // The renewal names the certificate it replaces (RFC 9773 §5).
    const renewed = await account.issue({
      key: 'default/ari',
      dnsNames: ['ari.example.org'],
      csr: (await csrFor(['ari.example.org'])).pem,
      solver: http01Solver(responder),
      replaces: certificateId(issued.leafPem),
      ...noHooks(),
    });
    expect(renewed.leafPem).to.not.equal(issued.leafPem);
    await accounts.close();
  });

  it('orders the profile asked for, and calls an unknown profile a user error', async () => {
    const accounts = new AcmeAccounts({ store: new InMemoryAccountKeyStore(), poll: FAST_POLL });
    const account = await accounts.account({ server: front.directoryUrl, caBundle: pebble.caBundle });
    const request = {
      key: 'default/short',
      dnsNames: ['short.example.org'],
      csr: (await csrFor(['short.example.org'])).pem,
      solver: http01Solver(responder),
      ...noHooks(),
    };
    const issued = await account.issue({ ...request, profile: 'shortlived' });
    const leaf = verifyChain(issued.leafPem, issued.chainPem, await pebble.rootCertificate());
    const lifetime = (Date.parse(leaf.validTo) - Date.parse(leaf.validFrom)) / 1000;
    expect(lifetime).to.be.within(SHORT_VALIDITY_SECONDS - 2, SHORT_VALIDITY_SECONDS);

    const unknown = await account.issue({ ...request, profile: 'forever' }).catch((e: unknown) => e);
    expect(unknown).to.be.instanceOf(AcmeError);
    expect((unknown as AcmeError).code).to.equal('invalidProfile');
    expect((unknown as AcmeError).retryable).to.equal(false);
    await accounts.close();
  });

  it('trusts caBundle for that server only and leaves process-wide TLS alone', async () => {
    const accounts = new AcmeAccounts({ store: new InMemoryAccountKeyStore() });
    const error = await accounts.account({ server: pebble.directoryUrl }).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(AcmeError);
    expect((error as AcmeError).code).to.equal('unreachable');
    expect((error as AcmeError).detail).to.include('set caBundle');
    expect(globalAgent.options.ca).to.equal(undefined);
    expect(process.env.NODE_TLS_REJECT_UNAUTHORIZED).to.equal(undefined);
    await accounts.close();
  });
});

describe('ACME External Account Binding against Pebble', function () {
  this.timeout(30_000);
  const hmacKey = Buffer.from('a-32-byte-secret-for-the-eab-mac').toString('base64url');
  let pebble: Pebble;

  before(async () => {
    pebble = await Pebble.start({ externalAccountMACKeys: { 'kid-1': hmacKey } });
  });
  after(async () => {
    await pebble.stop();
  });

  it('registers with the key id and MAC key, and names the missing binding as a user error', async () => {
    const accounts = new AcmeAccounts({ store: new InMemoryAccountKeyStore() });
    const server = { server: pebble.directoryUrl, caBundle: pebble.caBundle };
    const missing = await accounts.account({ ...server, email: 'a@example.org' }).catch((e: unknown) => e);
    expect(missing).to.be.instanceOf(AcmeError);
    expect((missing as AcmeError).code).to.equal('externalAccountRequired');
    expect((missing as AcmeError).retryable).to.equal(false);

    const wrong = await accounts
      .account({
        ...server,
        email: 'b@example.org',
        externalAccountBinding: { keyID: 'kid-1', hmacKey: 'd3Jvbmc' },
      })
      .catch((e: unknown) => e);
    expect(wrong).to.be.instanceOf(AcmeError);

    const bound = await accounts.account({
      ...server,
      email: 'c@example.org',
      externalAccountBinding: { keyID: 'kid-1', hmacKey },
    });
    expect(bound.url).to.match(/\/my-account\//);
    await accounts.close();
  });
});
