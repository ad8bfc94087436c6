import { expect } from 'chai';
import {
  AcmeAccounts,
  AcmeError,
  InMemoryAccountKeyStore,
  http01Solver,
  type AcmeAccount,
  type ChallengeSolver,
  type OrderRequest,
} from '../../src/acme/index.js';
import { freePort } from '../../src/envtest/ports.js';
import { FakeClock } from '../../src/runtime/clock.js';
import { AcmeFront } from '../support/acme-front.js';
import { Http01Responder, csrFor, verifyChain } from '../support/acme-kit.js';
import { Pebble } from '../support/pebble.js';

const FAST_POLL = { initialDelayMs: 50, maxDelayMs: 500, timeoutMs: 20_000 };

async function rejection(promise: Promise<unknown>): Promise<AcmeError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, 'expected an AcmeError').to.be.instanceOf(AcmeError);
  return error as AcmeError;
}

/** Records the hooks the controller would write to status. */
class StatusRecorder {
  intents = 0;
  orderUrl: string | undefined;

  hooks(): Pick<OrderRequest, 'onIntent' | 'onOrderCreated'> {
    return {
      onIntent: () => {
        this.intents += 1;
        return Promise.resolve();
      },
      onOrderCreated: (url) => {
        this.orderUrl = url;
        return Promise.resolve();
      },
    };
  }
}

describe('ACME failures and crash recovery against Pebble', function () {
  this.timeout(60_000);
  let pebble: Pebble;
  let front: AcmeFront;
  let responder: Http01Responder;
  let solver: ChallengeSolver;

  before(async () => {
    pebble = await Pebble.start({ domainBlocklist: ['blocked.example.org'] });
    front = await AcmeFront.start({ port: pebble.listenPort, caBundle: pebble.caBundle, tls: pebble.tls });
    responder = await new Http01Responder(pebble.httpPort).start();
    solver = http01Solver(responder);
  });
  after(async () => {
    await responder.stop();
    await front.stop();
    await pebble.stop();
  });
  beforeEach(() => front.reset());

  function accounts(options: { store?: InMemoryAccountKeyStore; clock?: FakeClock } = {}): AcmeAccounts {
    return new AcmeAccounts({
      store: options.store ?? new InMemoryAccountKeyStore(),
      poll: FAST_POLL,
      ...(options.clock ? { clock: options.clock } : {}),
    });
  }

  function account(registry: AcmeAccounts): Promise<AcmeAccount> {
    return registry.account({ server: front.directoryUrl, caBundle: pebble.caBundle });
  }

  it('turns a rate-limited newOrder into a typed error with the exact Retry-After, and Pebble saw no order', async () => {
    const registry = accounts();
    const acme = await account(registry);
    const csr = await csrFor(['limited.example.org']);
    const status = new StatusRecorder();
    const notBefore = new Date(Math.floor(Date.now() / 1000) * 1000 + 3_600_000);
    front.rateLimit('newOrder', {
      retryAfter: notBefore,
      detail: 'too many new orders for limited.example.org',
    });
    const error = await rejection(
      acme.issue({
        key: 'ns/limited',
        dnsNames: ['limited.example.org'],
        csr: csr.pem,
        solver,
        ...status.hooks(),
      }),
    );
    expect(error.rateLimited).to.equal(true);
    expect(error.retryable).to.equal(true);
    expect(error.reason).to.equal('RateLimited');
    expect(error.status).to.equal(429);
    expect(error.retryAfter?.toISOString()).to.equal(notBefore.toISOString());
    expect(error.detail).to.equal('too many new orders for limited.example.org');
    expect(status.intents).to.equal(1);
    expect(status.orderUrl).to.equal(undefined);
    expect(front.count('newOrder')).to.equal(1);
    expect(front.count('newOrder', { forwardedOnly: true })).to.equal(0);
    expect(front.count('newOrder', { status: 201 })).to.equal(0);

    // Once the limit is over, the next attempt makes exactly one order.
    const issued = await acme.issue({
      key: 'ns/limited',
      dnsNames: ['limited.example.org'],
      csr: csr.pem,
      solver,
      ...status.hooks(),
    });
    expect(issued.orderUrl).to.equal(status.orderUrl);
    expect(front.count('newOrder', { status: 201 })).to.equal(1);
    await registry.close();
  });

  it('reads Retry-After in seconds from the injected clock', async () => {
    const clock = new FakeClock(Date.parse('2026-03-01T12:00:00Z'));
    const registry = accounts({ clock });
    const acme = await account(registry);
    front.rateLimit('newOrder', { retryAfter: 120 });
    const error = await rejection(
      acme.issue({
        key: 'ns/seconds',
        dnsNames: ['seconds.example.org'],
        csr: (await csrFor(['seconds.example.org'])).pem,
        solver,
        ...new StatusRecorder().hooks(),
      }),
    );
    expect(error.retryAfter?.toISOString()).to.equal('2026-03-01T12:02:00.000Z');
    await registry.close();
  });

  it('continues the recorded order after a crash right after newOrder: one order at Pebble', async () => {
    const store = new InMemoryAccountKeyStore();
    const names = ['resume.example.org'];
    const csr = await csrFor(names);
    const status = new StatusRecorder();
    const first = accounts({ store });
    const crashed = await rejection(
      (await account(first)).issue({
        key: 'ns/resume',
        dnsNames: names,
        csr: csr.pem,
        solver,
        onIntent: status.hooks().onIntent,
        onOrderCreated: async (url) => {
          await status.hooks().onOrderCreated(url);
          throw new Error('operator killed');
        },
      }),
    );
    expect(crashed.detail).to.equal('operator killed');
    expect(status.orderUrl).to.be.a('string');

    // The restarted operator: new process state, the same account store and status.
    const second = accounts({ store });
    const issued = await (
      await account(second)
    ).issue({
      key: 'ns/resume',
      dnsNames: names,
      csr: csr.der,
      solver,
      orderUrl: status.orderUrl,
      ...status.hooks(),
    });
    expect(issued.resumed).to.equal(true);
    expect(issued.orderUrl).to.equal(status.orderUrl);
    expect(status.intents).to.equal(1);
    expect(front.count('newOrder', { status: 201 })).to.equal(1);
    verifyChain(issued.leafPem, issued.chainPem, await pebble.rootCertificate());
    await first.close();
    await second.close();
  });

  it('continues an order interrupted while the CA validates, without answering the challenge twice', async () => {
    const store = new InMemoryAccountKeyStore();
    const names = ['midway.example.org', 'www.midway.example.org'];
    const csr = await csrFor(names);
    const status = new StatusRecorder();
    const stop = new AbortController();
    const first = new AcmeAccounts({
      store,
      poll: { ...FAST_POLL, initialDelayMs: 1_000 },
      // Shutdown as soon as the CA has been told to validate the first challenge.
      onRequest: (event) => event.kind === 'challenge' && event.status === 200 && stop.abort(),
    });
    const interrupted = await rejection(
      (await account(first)).issue({
        key: 'ns/midway',
        dnsNames: names,
        csr: csr.pem,
        solver,
        signal: stop.signal,
        ...status.hooks(),
      }),
    );
    expect(interrupted.code).to.equal('aborted');
    const answered = (): number =>
      front.requests.filter((r) => r.resource === 'challenge' && r.status === 200).length;
    const answeredBefore = answered();
    expect(answeredBefore).to.be.within(1, 2);

    const second = accounts({ store });
    const issued = await (
      await account(second)
    ).issue({
      key: 'ns/midway',
      dnsNames: names,
      csr: csr.pem,
      solver,
      orderUrl: status.orderUrl,
      ...status.hooks(),
    });
    expect(issued.resumed).to.equal(true);
    expect(front.count('newOrder', { status: 201 })).to.equal(1);
    // Each challenge was answered once in all: the resumed run did not answer a validating one again.
    expect(answered()).to.equal(2);
    // The answers left for the CA by the interrupted run are cleaned up by the resumed one.
    expect(responder.answers.size).to.equal(0);
    await first.close();
    await second.close();
  });

  it('refuses a second order for the same certificate while one is in flight', async () => {
    const registry = accounts();
    const acme = await account(registry);
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const slow: ChallengeSolver = {
      type: 'http-01',
      present: async (authz, challenge, keyAuthorization) => {
        await held;
        await solver.present(authz, challenge, keyAuthorization);
      },
      cleanup: (authz, challenge, keyAuthorization) => solver.cleanup(authz, challenge, keyAuthorization),
    };
    const csr = await csrFor(['busy.example.org']);
    const request = {
      key: 'ns/busy',
      dnsNames: ['busy.example.org'],
      csr: csr.pem,
      ...new StatusRecorder().hooks(),
    };
    const running = acme.issue({ ...request, solver: slow });
    const second = await rejection(acme.issue({ ...request, solver }));
    expect(second.code).to.equal('orderInFlight');
    release();
    await running;
    expect(front.count('newOrder', { status: 201 })).to.equal(1);
    await registry.close();
  });

  it('fails a challenge the CA cannot validate with the validation problem, and cleans the answer up', async () => {
    await pebble.addA('dead.example.org', ['127.0.0.9']);
    const registry = accounts();
    const acme = await account(registry);
    const cleanedBefore = responder.cleaned;
    const error = await rejection(
      acme.issue({
        key: 'ns/dead',
        dnsNames: ['dead.example.org'],
        csr: (await csrFor(['dead.example.org'])).pem,
        solver,
        ...new StatusRecorder().hooks(),
      }),
    );
    expect(error.type).to.equal('urn:ietf:params:acme:error:connection');
    expect(error.detail).to.match(/^dead\.example\.org: /);
    expect(error.retryable).to.equal(true);
    expect(responder.cleaned).to.equal(cleanedBefore + 1);
    expect(responder.answers.size).to.equal(0);
    await registry.close();
  });

  it('names an unreachable server in a retryable error', async () => {
    const port = await freePort();
    const registry = accounts();
    const error = await rejection(registry.account({ server: `https://127.0.0.1:${port}/dir` }));
    expect(error.code).to.equal('unreachable');
    expect(error.retryable).to.equal(true);
    expect(error.detail).to.include(`https://127.0.0.1:${port}`);
    await registry.close();
  });

  it('reports a rejected e-mail as a user error, and a fixed e-mail registers', async () => {
    const store = new InMemoryAccountKeyStore();
    const registry = accounts({ store });
    const server = { server: front.directoryUrl, caBundle: pebble.caBundle };
    const error = await rejection(registry.account({ ...server, email: 'ops at example.org' }));
    expect(error.type).to.equal('urn:ietf:params:acme:error:invalidContact');
    expect(error.reason).to.equal('InvalidContact');
    expect(error.retryable).to.equal(false);
    expect(error.detail).to.include('ops at example.org');
    const fixed = await registry.account({ ...server, email: 'ops@example.org' });
    expect(fixed.url).to.match(/\/my-account\//);
    await registry.close();
  });

  it('reports a name the CA refuses as a user error, before any order exists', async () => {
    const registry = accounts();
    const acme = await account(registry);
    const status = new StatusRecorder();
    const error = await rejection(
      acme.issue({
        key: 'ns/blocked',
        dnsNames: ['blocked.example.org'],
        csr: (await csrFor(['blocked.example.org'])).pem,
        solver,
        ...status.hooks(),
      }),
    );
    expect(error.type).to.equal('urn:ietf:params:acme:error:rejectedIdentifier');
    expect(error.retryable).to.equal(false);
    expect(error.detail).to.include('blocked.example.org');
    expect(status.orderUrl).to.equal(undefined);
    await registry.close();
  });
});

describe('ACME after the CA forgot everything (Pebble restarted)', function () {
  this.timeout(60_000);

  it('registers the same key again and replaces the order the CA no longer knows', async () => {
    const pebble = await Pebble.start();
    const responder = await new Http01Responder(pebble.httpPort).start();
    try {
      const store = new InMemoryAccountKeyStore();
      const server = { server: pebble.directoryUrl, caBundle: pebble.caBundle };
      const names = ['forgotten.example.org'];
      const csr = await csrFor(names);
      const status = new StatusRecorder();
      const first = new AcmeAccounts({ store, poll: FAST_POLL });
      const firstAccount = await first.account(server);
      await rejection(
        firstAccount.issue({
          key: 'ns/forgotten',
          dnsNames: names,
          csr: csr.pem,
          solver: http01Solver(responder),
          onIntent: status.hooks().onIntent,
          onOrderCreated: async (url) => {
            await status.hooks().onOrderCreated(url);
            throw new Error('operator killed');
          },
        }),
      );
      const recorded = status.orderUrl;
      const keyBefore = (await store.load({ server: pebble.directoryUrl, email: undefined }))?.privateKeyPem;

      await pebble.restart();
      const second = new AcmeAccounts({ store, poll: FAST_POLL });
      const issued = await (
        await second.account(server)
      ).issue({
        key: 'ns/forgotten',
        dnsNames: names,
        csr: csr.pem,
        solver: http01Solver(responder),
        orderUrl: recorded,
        ...status.hooks(),
      });
      expect(issued.resumed).to.equal(false);
      expect(status.intents).to.equal(2);
      expect(status.orderUrl).to.equal(issued.orderUrl);
      const saved = await store.load({ server: pebble.directoryUrl, email: undefined });
      expect(saved?.privateKeyPem).to.equal(keyBefore);
      verifyChain(issued.leafPem, issued.chainPem, await pebble.rootCertificate());
      await first.close();
      await second.close();
    } finally {
      await responder.stop();
      await pebble.stop();
    }
  });
});
