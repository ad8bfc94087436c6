import { expect } from 'chai';
import { freePort } from '../../envtest/ports.js';
import { dig, startBind, TSIG_ALGORITHMS, type BindServer } from '../../../test/support/bind.js';
import { rejection } from './http-fakes.test-support.js';
import { Rfc2136Provider, updateTxt } from './rfc2136.js';

describe('RFC 2136 updates against a real BIND', () => {
  let bind: BindServer;

  before(async () => {
    bind = await startBind();
  });

  after(async () => {
    // Undefined when the before hook failed; that failure is the one to report.
    await (bind as BindServer | undefined)?.stop();
  });

  for (const algorithm of TSIG_ALGORITHMS) {
    it(`adds and removes one TXT value at a time with a ${algorithm} key`, async () => {
      const provider = new Rfc2136Provider({ nameserver: bind.address, tsig: bind.keys[algorithm] });
      const fqdn = `_acme-challenge.${algorithm.toLowerCase()}.example.test`;

      await provider.present(fqdn, 'token-one');
      expect(await dig(bind, fqdn)).to.deep.equal(['"token-one"']);

      // Idempotent, and a second value (example.com + *.example.com) sits beside the first.
      await provider.present(fqdn, 'token-one');
      await provider.present(`${fqdn}.`, 'token-two');
      expect((await dig(bind, fqdn)).sort()).to.deep.equal(['"token-one"', '"token-two"']);

      await provider.cleanup(fqdn, 'token-one');
      expect(await dig(bind, fqdn)).to.deep.equal(['"token-two"']);
      await provider.cleanup(fqdn, 'token-two');
      await provider.cleanup(fqdn, 'token-two');
      expect(await dig(bind, fqdn)).to.deep.equal([]);
    });
  }

  it('updates a name at the apex of the zone', async () => {
    const provider = new Rfc2136Provider({ nameserver: bind.address, tsig: bind.keys.HMACSHA256 });
    await provider.present('example.test', 'apex-token');
    expect(await dig(bind, 'example.test')).to.deep.equal(['"apex-token"']);
    await provider.cleanup('example.test', 'apex-token');
    expect(await dig(bind, 'example.test')).to.deep.equal([]);
  });

  it('says the server rejected the key when the secret is wrong (BADSIG)', async () => {
    const key = { ...bind.keys.HMACSHA256, secret: Buffer.alloc(32, 7).toString('base64') };
    const provider = new Rfc2136Provider({ nameserver: bind.address, tsig: key });
    const error = await rejection(provider.present('_acme-challenge.wrong.example.test', 'x'));
    expect(error.message).to.match(
      /the server rejected TSIG key "acme-hmac-sha256\." \(hmac-sha256\): BADSIG/,
    );
    expect(await dig(bind, '_acme-challenge.wrong.example.test')).to.deep.equal([]);
  });

  it('says the server does not know the key (BADKEY)', async () => {
    const key = { ...bind.keys.HMACSHA512, name: 'nobody-knows-me.' };
    const provider = new Rfc2136Provider({ nameserver: bind.address, tsig: key });
    const error = await rejection(provider.present('_acme-challenge.unknown.example.test', 'x'));
    expect(error.message).to.match(/rejected TSIG key "nobody-knows-me\." \(hmac-sha512\): BADKEY/);
  });

  it('says when the server holds no zone for the name', async () => {
    const provider = new Rfc2136Provider({ nameserver: bind.address, tsig: bind.keys.HMACSHA256 });
    const error = await rejection(provider.present('_acme-challenge.outside.invalid', 'x'));
    expect(error.message).to.equal(
      `${bind.address} refused the SOA query for _acme-challenge.outside.invalid.: it is not ` +
        'authoritative for any zone containing _acme-challenge.outside.invalid.',
    );
  });

  it('says when the key may not update the zone (REFUSED)', async () => {
    const provider = new Rfc2136Provider({ nameserver: bind.address, tsig: bind.keys.HMACSHA1 });
    const error = await rejection(provider.present('_acme-challenge.readonly.test', 'x'));
    expect(error.message).to.match(
      /adding TXT _acme-challenge\.readonly\.test\. in zone readonly\.test\. .* failed: REFUSED: TSIG key "acme-hmac-sha1\." may not update zone readonly\.test\./,
    );
  });

  it('says when unsigned updates are not allowed (REFUSED)', async () => {
    const provider = new Rfc2136Provider({ nameserver: bind.address });
    const error = await rejection(provider.present('_acme-challenge.unsigned.example.test', 'x'));
    expect(error.message).to.match(/REFUSED: unsigned updates may not update zone example\.test\./);
  });

  it('says when the name is not in the zone it updates (NOTZONE)', async () => {
    const options = { nameserver: bind.address, tsig: bind.keys.HMACSHA256 };
    const error = await rejection(
      updateTxt(options, 'example.test.', 'add', '_acme-challenge.other.test', 'x'),
    );
    expect(error.message).to.match(/NOTZONE: _acme-challenge\.other\.test\. is not in zone example\.test\./);
  });

  it('says when nothing answers at the configured address', async () => {
    const port = await freePort();
    const provider = new Rfc2136Provider({ nameserver: `127.0.0.1:${port}`, timeoutMs: 2000 });
    const error = await rejection(provider.present('_acme-challenge.example.test', 'x'));
    expect(error.message).to.match(
      new RegExp(
        `finding the zone of _acme-challenge\\.example\\.test\\. at 127\\.0\\.0\\.1:${port} failed: .*ECONNREFUSED`,
      ),
    );
  });
});
