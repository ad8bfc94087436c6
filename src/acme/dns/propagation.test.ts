import { expect } from 'chai';
import { FakeClock } from '../../runtime/clock.js';
import { dig, startBind, type BindServer } from '../../../test/support/bind.js';
import { rejection } from './http-fakes.test-support.js';
import {
  findAuthoritativeServers,
  propagationCheck,
  PropagationTimeoutError,
  waitForPropagation,
} from './propagation.js';
import { Rfc2136Provider } from './rfc2136.js';
import { parseServer } from './dns-transport.js';

/** Lets real I/O run, and moves the fake clock on whenever the code under test waits on it. */
async function drive<T>(clock: FakeClock, work: Promise<T>, stepMs: number): Promise<T> {
  const state = { settled: false };
  const done = work.then(
    () => (state.settled = true),
    () => (state.settled = true),
  );
  while (!state.settled) {
    await new Promise((resolve) => setImmediate(resolve));
    if (clock.pendingTimers > 0) clock.advance(stepMs);
  }
  await done;
  return work;
}

async function untilWaiting(clock: FakeClock): Promise<void> {
  while (clock.pendingTimers === 0) await new Promise((resolve) => setImmediate(resolve));
}

describe('DNS-01 propagation check against a real BIND', () => {
  let bind: BindServer;
  let provider: Rfc2136Provider;

  before(async () => {
    bind = await startBind({
      zones: [
        { name: 'example.test.', updatable: true },
        {
          // ns2 is an address where nothing listens: a server that never gets the record.
          name: 'split.test.',
          updatable: true,
          nameservers: [
            { name: 'ns1.split.test.', address: '127.0.0.1' },
            { name: 'ns2.split.test.', address: '127.0.0.3' },
          ],
        },
      ],
    });
    provider = new Rfc2136Provider({ nameserver: bind.address, tsig: bind.keys.HMACSHA256 });
  });

  after(async () => {
    // Undefined when the before hook failed; that failure is the one to report.
    await (bind as BindServer | undefined)?.stop();
  });

  function options(fqdn: string, value: string, clock: FakeClock) {
    return {
      fqdn,
      value,
      resolver: bind.address,
      nameserverPort: bind.port,
      timeoutMs: 10_000,
      intervalMs: 2_000,
      queryTimeoutMs: 2_000,
      clock,
    };
  }

  it("finds the zone's authoritative servers through the resolver", async () => {
    const found = await findAuthoritativeServers(
      '_acme-challenge.www.split.test',
      parseServer(bind.address),
      {
        port: bind.port,
      },
    );
    expect(found.zone).to.equal('split.test.');
    expect(found.servers).to.deep.equal([
      { name: 'ns1.split.test.', address: { host: '127.0.0.1', port: bind.port } },
      { name: 'ns2.split.test.', address: { host: '127.0.0.3', port: bind.port } },
    ]);
  });

  it('resolves at once when every authoritative server has the value', async () => {
    const clock = new FakeClock();
    await provider.present('_acme-challenge.found.example.test', 'found-token');
    await waitForPropagation(options('_acme-challenge.found.example.test', 'found-token', clock));
    expect(clock.now()).to.equal(new FakeClock().now());
  });

  it('keeps checking until the value appears', async () => {
    const clock = new FakeClock();
    const start = clock.now();
    const work = waitForPropagation(options('_acme-challenge.later.example.test', 'later-token', clock));
    await untilWaiting(clock);
    expect(await dig(bind, '_acme-challenge.later.example.test')).to.deep.equal([]);
    await provider.present('_acme-challenge.later.example.test', 'later-token');
    clock.advance(2_000);
    await work;
    expect(clock.now() - start).to.equal(2_000);
  });

  it('checks the name servers it is given, without looking up NS records', async () => {
    await provider.present('_acme-challenge.given.example.test', 'given-token');
    const check = propagationCheck({
      resolver: '127.0.0.1:1',
      nameservers: [bind.address],
      clock: new FakeClock(),
    });
    await check('_acme-challenge.given.example.test', 'given-token');
    const error = await rejection(
      propagationCheck({ nameservers: [bind.address], timeoutMs: 0 })(
        '_acme-challenge.given.example.test',
        'other',
      ),
    );
    expect(error.message).to.match(/within 0 s; missing on 127\.0\.0\.1:\d+: TXT has only "given-token"$/);
  });

  it('times out naming the server that never got the record', async () => {
    const clock = new FakeClock();
    const start = clock.now();
    const error = await rejection(
      drive(clock, waitForPropagation(options('_acme-challenge.none.example.test', 'missing', clock)), 2_000),
    );
    expect(clock.now() - start).to.equal(10_000);
    expect(error).to.be.instanceOf(PropagationTimeoutError);
    expect((error as PropagationTimeoutError).missing).to.deep.equal([`ns1.example.test. (${bind.address})`]);
    expect(error.message).to.equal(
      'TXT record _acme-challenge.none.example.test. with value "missing" did not reach every ' +
        `authoritative server of example.test. within 10 s; missing on ns1.example.test. (${bind.address}): ` +
        'the name does not exist (NXDOMAIN)',
    );
  });

  it('names only the servers that lack the value, and says which have it', async () => {
    const clock = new FakeClock();
    await provider.present('_acme-challenge.split.test', 'split-token');
    await provider.present('_acme-challenge.split.test', 'other-token');
    const error = await rejection(
      drive(clock, waitForPropagation(options('_acme-challenge.split.test', 'split-token', clock)), 2_000),
    );
    expect((error as PropagationTimeoutError).missing).to.deep.equal([
      `ns2.split.test. (127.0.0.3:${bind.port})`,
    ]);
    expect(error.message).to.match(
      new RegExp(
        `missing on ns2\\.split\\.test\\. \\(127\\.0\\.0\\.3:${bind.port}\\): UDP 127\\.0\\.0\\.3:${bind.port}: .*ECONNREFUSED` +
          `; present on ns1\\.split\\.test\\. \\(127\\.0\\.0\\.1:${bind.port}\\)$`,
      ),
    );
  });

  it('says which values a server has when it lacks ours', async () => {
    const clock = new FakeClock();
    await provider.present('_acme-challenge.wrong.example.test', 'stale-token');
    const error = await rejection(
      drive(
        clock,
        waitForPropagation(options('_acme-challenge.wrong.example.test', 'new-token', clock)),
        2_000,
      ),
    );
    expect(error.message).to.match(/ns1\.example\.test\. \(.*\): TXT has only "stale-token"$/);
  });

  it('fails at once when the resolver knows no zone for the name', async () => {
    const error = await rejection(
      waitForPropagation(options('_acme-challenge.nowhere.invalid', 'x', new FakeClock())),
    );
    expect(error.message).to.match(/refused the SOA query for _acme-challenge\.nowhere\.invalid\./);
  });
});
