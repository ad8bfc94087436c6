import { randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { expect } from 'chai';
import { DumpDecryptError, HEADER_BYTES, decryptingStream, encryptingStream } from './encryption-stream.js';

const FAST = { params: { logN: 10, r: 8, p: 1 }, chunkLog2: 10 };
const FRAME = 1024 + 16;

async function through(stream: NodeJS.ReadWriteStream, input: Buffer, pieces = 7): Promise<Buffer> {
  const out: Buffer[] = [];
  const parts: Buffer[] = [];
  const step = Math.max(1, Math.ceil(input.length / pieces));
  for (let i = 0; i < input.length; i += step) parts.push(input.subarray(i, i + step));
  await pipeline(
    Readable.from(parts),
    stream,
    new Writable({
      write(chunk: Buffer, _e, cb) {
        out.push(chunk);
        cb();
      },
    }),
  );
  return Buffer.concat(out);
}

async function encrypt(plain: Buffer, passphrase = 'correct horse battery'): Promise<Buffer> {
  return through(await encryptingStream(passphrase, FAST), plain);
}

async function decryptError(sealed: Buffer, passphrase = 'correct horse battery'): Promise<string> {
  try {
    await through(decryptingStream(passphrase), sealed);
  } catch (err) {
    expect(err).to.be.instanceOf(DumpDecryptError);
    return (err as Error).message;
  }
  throw new Error('decryption succeeded');
}

describe('database backup encryption (chunked AES-256-GCM over scrypt)', () => {
  for (const size of [0, 1, 1024, 1025, 5000]) {
    it(`round-trips ${size} bytes, whatever the pieces it arrives in`, async () => {
      const plain = randomBytes(size);
      const sealed = await encrypt(plain);
      // A header, then one 16-byte tag per 1 KiB chunk (at least one, the last, possibly empty).
      expect(sealed.length).to.equal(HEADER_BYTES + size + 16 * Math.max(1, Math.ceil(size / 1024)));
      if (size >= 64) expect(sealed.includes(plain.subarray(0, 64))).to.equal(false);
      expect(await through(decryptingStream('correct horse battery'), sealed, 3)).to.deep.equal(plain);
    });
  }

  it('refuses a wrong passphrase', async () => {
    const sealed = await encrypt(randomBytes(3000));
    expect(await decryptError(sealed, 'wrong passphrase!')).to.match(
      /wrong passphrase, or the backup was changed/,
    );
  });

  it('refuses a dump cut at a chunk boundary (the last chunk dropped)', async () => {
    const sealed = await encrypt(randomBytes(3000));
    const cut = sealed.subarray(0, HEADER_BYTES + 2 * FRAME);
    expect(await decryptError(cut)).to.match(/changed, truncated or damaged/);
  });

  it('refuses a flipped bit, swapped chunks and bytes appended', async () => {
    const sealed = await encrypt(randomBytes(3000));
    const flipped = Buffer.from(sealed);
    flipped[HEADER_BYTES + 100]! ^= 1;
    expect(await decryptError(flipped)).to.match(/changed/);
    const first = sealed.subarray(HEADER_BYTES, HEADER_BYTES + FRAME);
    const second = sealed.subarray(HEADER_BYTES + FRAME, HEADER_BYTES + 2 * FRAME);
    const swapped = Buffer.concat([
      sealed.subarray(0, HEADER_BYTES),
      second,
      first,
      sealed.subarray(HEADER_BYTES + 2 * FRAME),
    ]);
    expect(await decryptError(swapped)).to.match(/changed/);
    expect(await decryptError(Buffer.concat([sealed, randomBytes(40)]))).to.match(/changed/);
  });

  it('refuses what is not an encrypted backup, and a changed header', async () => {
    expect(await decryptError(randomBytes(200))).to.match(/not an encrypted gateway-worker database backup/);
    const sealed = await encrypt(randomBytes(100));
    const header = Buffer.from(sealed);
    header[20]! ^= 1; // a salt byte: another key
    expect(await decryptError(header)).to.match(/changed/);
  });
});
