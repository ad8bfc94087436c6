import { expect } from 'chai';
import {
  BackupDecryptError,
  DEFAULT_SCRYPT,
  MAGIC,
  decryptBackup,
  encryptBackup,
  readHeader,
  type ScryptParameters,
} from './encryption.js';

const FAST: ScryptParameters = { logN: 10, r: 8, p: 1 };
const PASS = 'correct horse battery staple';

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

describe('backup encryption', () => {
  const plaintext = Buffer.from(JSON.stringify({ secret: 'tls.key material' }));

  it('round-trips with the default scrypt cost, recorded in a versioned header', async () => {
    const file = await encryptBackup(plaintext, PASS);
    expect(file.subarray(0, 8)).to.deep.equal(MAGIC);
    expect(readHeader(file)).to.deep.equal({ version: 1, params: DEFAULT_SCRYPT });
    expect(DEFAULT_SCRYPT).to.deep.equal({ logN: 17, r: 8, p: 1 });
    expect(await decryptBackup(file, PASS)).to.deep.equal(plaintext);
    expect(file.includes(Buffer.from('tls.key material'))).to.equal(false);
  });

  it('uses a fresh salt and nonce every time', async () => {
    const [a, b] = await Promise.all([
      encryptBackup(plaintext, PASS, FAST),
      encryptBackup(plaintext, PASS, FAST),
    ]);
    expect(a.subarray(13, 41).equals(b.subarray(13, 41))).to.equal(false);
    expect(a.equals(b)).to.equal(false);
  });

  it('treats passphrases in NFC and NFD as the same', async () => {
    const file = await encryptBackup(plaintext, 'caf\u00e9 au lait!!', FAST);
    expect(await decryptBackup(file, 'cafe\u0301 au lait!!')).to.deep.equal(plaintext);
  });

  it('refuses a wrong passphrase with a clear error', async () => {
    const file = await encryptBackup(plaintext, PASS, FAST);
    const error = await rejection(decryptBackup(file, 'not the passphrase'));
    expect(error).to.be.instanceOf(BackupDecryptError);
    expect(error.message).to.equal('wrong passphrase, or the backup file was changed or damaged');
  });

  const tamperings: [string, (file: Buffer) => Buffer, RegExp][] = [
    ['a file with a flipped ciphertext byte', (f) => flip(f, 45), /changed or damaged/],
    ['a file with a flipped tag byte', (f) => flip(f, f.length - 1), /changed or damaged/],
    ['a file with a flipped salt byte', (f) => flip(f, 14), /changed or damaged/],
    ['a file with a flipped nonce byte', (f) => flip(f, 30), /changed or damaged/],
    ['a truncated file', (f) => f.subarray(0, f.length - 5), /changed or damaged/],
    ['a file with a cut-off header', (f) => f.subarray(0, 30), /not a gateway-worker backup file/],
    ['a file with another magic', (f) => flip(f, 0), /not a gateway-worker backup file/],
    ['a file with a future format version', (f) => set(f, 8, 2), /format version 2 is not supported/],
    ['a file with an unknown key derivation', (f) => set(f, 9, 7), /unknown key derivation/],
    [
      'a file with a scrypt cost that would exhaust memory',
      (f) => set(f, 10, 30),
      /scrypt parameters out of range/,
    ],
    ['a file with a lower scrypt cost than written', (f) => set(f, 10, 11), /changed or damaged/],
  ];
  for (const [name, tamper, message] of tamperings) {
    it(`refuses ${name}`, async () => {
      const file = await encryptBackup(plaintext, PASS, FAST);
      const error = await rejection(decryptBackup(tamper(file), PASS));
      expect(error).to.be.instanceOf(BackupDecryptError);
      expect(error.message).to.match(message);
    });
  }
});

function flip(file: Buffer, at: number): Buffer {
  const copy = Buffer.from(file);
  copy[at] = (copy[at] ?? 0) ^ 0x01;
  return copy;
}

function set(file: Buffer, at: number, value: number): Buffer {
  const copy = Buffer.from(file);
  copy[at] = value;
  return copy;
}
