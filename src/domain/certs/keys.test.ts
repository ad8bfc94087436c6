import { expect } from 'chai';
import * as x509 from '@peculiar/x509';
import * as acme from 'acme-client';
import { createCsr } from './csr.js';
import {
  describePrivateKey,
  generatePrivateKey,
  keyMatchesSpec,
  reusableKey,
  type KeyShape,
} from './keys.js';

describe('certificate keys', () => {
  const shapes: KeyShape[] = [
    { algorithm: 'ECDSA', size: 256 },
    { algorithm: 'ECDSA', size: 384 },
    { algorithm: 'RSA', size: 2048 },
  ];
  const keys = new Map<string, string>();
  before(async () => {
    for (const shape of shapes) keys.set(`${shape.algorithm}${shape.size}`, await generatePrivateKey(shape));
  });
  const key = (algorithm: string, size: number): string => keys.get(`${algorithm}${size}`) ?? '';

  for (const shape of shapes) {
    it(`generates ${shape.algorithm} ${shape.size} as PKCS#8 PEM that reads back as the same shape`, () => {
      const pem = key(shape.algorithm, shape.size);
      expect(pem).to.match(/^-----BEGIN PRIVATE KEY-----\n/);
      expect(describePrivateKey(pem)).to.deep.equal(shape);
    });
  }

  // RSA 3072 and 4096 take seconds to generate; one is enough to show the sizes are honoured.
  it('generates RSA 3072', async () => {
    expect(describePrivateKey(await generatePrivateKey({ algorithm: 'RSA', size: 3072 }))).to.deep.equal({
      algorithm: 'RSA',
      size: 3072,
    });
  });

  for (const [name, shape] of [
    ['ECDSA 521', { algorithm: 'ECDSA', size: 521 }],
    ['RSA 1024', { algorithm: 'RSA', size: 1024 }],
  ] as const) {
    it(`refuses to generate ${name}`, async () => {
      let error: unknown;
      await generatePrivateKey(shape).catch((e: unknown) => (error = e));
      expect(String(error)).to.match(/keys are/);
    });
  }

  const matchCases: [string, () => string, Parameters<typeof keyMatchesSpec>[1], boolean][] = [
    [
      'a P-256 key matches the ECDSA default',
      () => key('ECDSA', 256),
      { algorithm: 'ECDSA', rotationPolicy: 'Never' },
      true,
    ],
    [
      'a P-256 key does not match size 384',
      () => key('ECDSA', 256),
      { algorithm: 'ECDSA', size: 384, rotationPolicy: 'Never' },
      false,
    ],
    [
      'a P-384 key matches size 384',
      () => key('ECDSA', 384),
      { algorithm: 'ECDSA', size: 384, rotationPolicy: 'Never' },
      true,
    ],
    [
      'an RSA 2048 key matches the RSA default',
      () => key('RSA', 2048),
      { algorithm: 'RSA', rotationPolicy: 'Never' },
      true,
    ],
    [
      'an RSA key does not match ECDSA',
      () => key('RSA', 2048),
      { algorithm: 'ECDSA', rotationPolicy: 'Never' },
      false,
    ],
    ['garbage matches nothing', () => 'not a key', { algorithm: 'ECDSA', rotationPolicy: 'Never' }, false],
  ];
  for (const [name, pem, spec, expected] of matchCases) {
    it(name, () => {
      expect(keyMatchesSpec(pem(), spec)).to.equal(expected);
    });
  }

  it('reuses the stored key only under rotationPolicy Never and only while it matches', () => {
    const p256 = key('ECDSA', 256);
    expect(reusableKey({ algorithm: 'ECDSA', rotationPolicy: 'Never' }, p256)).to.equal(p256);
    expect(reusableKey({ algorithm: 'ECDSA', rotationPolicy: 'Always' }, p256)).to.equal(undefined);
    expect(reusableKey({ algorithm: 'RSA', rotationPolicy: 'Never' }, p256)).to.equal(undefined);
    expect(reusableKey({ algorithm: 'ECDSA', rotationPolicy: 'Never' }, undefined)).to.equal(undefined);
  });

  for (const [algorithm, size] of [
    ['ECDSA', 256],
    ['ECDSA', 384],
    ['RSA', 2048],
  ] as const) {
    it(`makes a CSR with an ${algorithm} ${size} key that acme-client reads and whose signature verifies`, async () => {
      const names = ['shop.example.com', '*.api.example.com'];
      const pem = await createCsr(key(algorithm, size), names);
      expect(pem).to.match(
        /^-----BEGIN CERTIFICATE REQUEST-----\n[\s\S]+-----END CERTIFICATE REQUEST-----\n$/,
      );
      expect(acme.crypto.readCsrDomains(pem)).to.deep.equal({ commonName: names[0], altNames: names });
      expect(await new x509.Pkcs10CertificateRequest(pem).verify()).to.equal(true);
    });
  }

  it('leaves the common name out of a CSR when the first name is longer than 64 characters', async () => {
    const long = `${'a'.repeat(60)}.example.com`;
    const pem = await createCsr(key('ECDSA', 256), [long]);
    expect(acme.crypto.readCsrDomains(pem)).to.deep.equal({ commonName: null, altNames: [long] });
  });
});
