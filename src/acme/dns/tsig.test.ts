import { expect } from 'chai';
import { startBind, TSIG_ALGORITHMS, type BindServer } from '../../../test/support/bind.js';
import { decodeMessage, encodeMessage, Opcode, Rcode, RRClass, RRType, txtRdata } from './dns-message.js';
import { exchange, parseServer } from './dns-transport.js';
import { signMessage, tsigAlgorithmName, verifyResponse, type TsigKey } from './tsig.js';

describe('TSIG against a real BIND', () => {
  let bind: BindServer;

  before(async () => {
    bind = await startBind();
  });

  after(async () => {
    // Undefined when the before hook failed; that failure is the one to report.
    await (bind as BindServer | undefined)?.stop();
  });

  /** Sends a signed update adding a TXT value and returns BIND's raw answer. */
  async function signedUpdate(key: TsigKey) {
    const now = Date.now() / 1000;
    const unsigned = encodeMessage({
      id: 4242,
      opcode: Opcode.UPDATE,
      questions: [{ name: 'example.test.', type: RRType.SOA, class: RRClass.IN }],
      authorities: [
        {
          name: '_acme-challenge.tsig.example.test.',
          type: RRType.TXT,
          class: RRClass.IN,
          ttl: 60,
          rdata: txtRdata('v'),
        },
      ],
    });
    const signed = signMessage(unsigned, key, now);
    const raw = await exchange(parseServer(bind.address), signed.message, {
      timeoutMs: 5000,
      transport: 'tcp',
    });
    return { raw, answer: decodeMessage(raw), mac: signed.mac, now };
  }

  for (const algorithm of TSIG_ALGORITHMS) {
    it(`BIND accepts our ${algorithm} signature and we verify its signed answer`, async () => {
      const { raw, answer, mac, now } = await signedUpdate(bind.keys[algorithm]);
      expect(answer.rcode).to.equal(Rcode.NOERROR);
      expect(verifyResponse(raw, answer, bind.keys[algorithm], mac, now)).to.deep.equal({ ok: true });
    });
  }

  it('rejects an answer changed on the way', async () => {
    const { raw, mac, now } = await signedUpdate(bind.keys.HMACSHA256);
    const changed = Buffer.from(raw);
    changed.writeUInt8(changed.readUInt8(13) ^ 0x20, 13); // the zone name's first letter: "example" → "Example"
    const verdict = verifyResponse(changed, decodeMessage(changed), bind.keys.HMACSHA256, mac, now);
    expect(verdict).to.deep.equal({
      ok: false,
      reason: "the answer's TSIG signature does not verify with our key",
    });
  });

  it('rejects an answer to another request', async () => {
    const { raw, answer, now } = await signedUpdate(bind.keys.HMACSHA512);
    const verdict = verifyResponse(raw, answer, bind.keys.HMACSHA512, Buffer.alloc(64, 1), now);
    expect(verdict.ok).to.equal(false);
  });

  it('rejects an answer signed outside the time window', async () => {
    const { raw, answer, mac, now } = await signedUpdate(bind.keys.HMACSHA1);
    const verdict = verifyResponse(raw, answer, bind.keys.HMACSHA1, mac, now + 301);
    expect(verdict).to.deep.equal({
      ok: false,
      reason: 'the answer was signed outside the allowed time window (clock skew?)',
    });
  });

  it('rejects an answer without a signature', async () => {
    const { raw, answer, mac, now } = await signedUpdate(bind.keys.HMACMD5);
    const tsig = answer.additionals.at(-1);
    const stripped = Buffer.from(raw.subarray(0, tsig?.offset));
    stripped.writeUInt16BE(stripped.readUInt16BE(10) - 1, 10);
    const verdict = verifyResponse(stripped, decodeMessage(stripped), bind.keys.HMACMD5, mac, now);
    expect(verdict).to.deep.equal({ ok: false, reason: 'the answer is not signed (no TSIG record)' });
  });

  it("reports BIND's BADSIG when the secret is wrong", async () => {
    const key = { ...bind.keys.HMACSHA256, secret: Buffer.alloc(32, 9).toString('base64') };
    const { raw, answer, mac, now } = await signedUpdate(key);
    expect(answer.rcode).to.equal(Rcode.NOTAUTH);
    const verdict = verifyResponse(raw, answer, key, mac, now);
    expect(verdict).to.include({ ok: false, serverError: 16 });
  });

  it('spells algorithms the way BIND configuration does', () => {
    expect(TSIG_ALGORITHMS.map(tsigAlgorithmName)).to.deep.equal([
      'hmac-md5',
      'hmac-sha1',
      'hmac-sha256',
      'hmac-sha512',
    ]);
  });
});
