import { expect } from 'chai';
import { describeCertificate, TEMPORARY_ISSUER_CN, TEMPORARY_ORGANIZATION } from './describe.js';
import { generatePrivateKey } from './keys.js';
import { T0 } from './pki.test-support.js';
import { issueTemporaryCertificate, MAX_TEMPORARY_VALIDITY_MS } from './temporary.js';
import { validateIssued } from './validate.js';
import { parseChain, subjectField } from './chain.js';

const HOUR = 3_600_000;

describe('temporary certificates', () => {
  let key: string;
  before(async () => {
    key = await generatePrivateKey({ algorithm: 'ECDSA', size: 256 });
  });

  it('are plainly marked, for the given key and names, and verify against their throwaway CA', async () => {
    const now = new Date(T0.getTime() + 1234);
    const temp = await issueTemporaryCertificate({
      dnsNames: ['shop.example.com', '*.api.example.com'],
      keyPem: key,
      validityMs: 168 * HOUR,
      now,
    });
    expect(temp.warning).to.equal(undefined);
    const [leaf, ca, ...rest] = parseChain(temp.chainPem);
    expect(rest).to.have.length(0);
    expect(ca?.pem).to.equal(temp.caPem);
    expect(subjectField(leaf!, 'O')).to.deep.equal([TEMPORARY_ORGANIZATION]);
    expect(subjectField(ca!, 'CN')).to.deep.equal([TEMPORARY_ISSUER_CN]);
    const description = describeCertificate(temp.chainPem);
    expect(description).to.include({ isTemporary: true, issuer: `CN=${TEMPORARY_ISSUER_CN}` });
    expect(description.dnsNames).to.deep.equal(['shop.example.com', '*.api.example.com']);
    expect(description.notBefore.toISOString()).to.equal('2026-01-01T00:00:01.000Z');
    expect(description.notAfter.getTime() - description.notBefore.getTime()).to.equal(168 * HOUR);
    expect(
      validateIssued({
        chainPem: temp.chainPem,
        keyPem: key,
        dnsNames: ['shop.example.com', 'v2.api.example.com'],
        now,
        roots: [temp.caPem],
      }),
    ).to.deep.equal([]);
  });

  it('are cut to 14 days, and say so', async () => {
    const temp = await issueTemporaryCertificate({
      dnsNames: ['a.example'],
      keyPem: key,
      validityMs: 30 * 24 * HOUR,
      now: T0,
    });
    expect(temp.notAfter.getTime() - temp.notBefore.getTime()).to.equal(MAX_TEMPORARY_VALIDITY_MS);
    expect(temp.warning).to.equal(
      'temporary certificate validity cut from 720h to the maximum of 336h (14 days)',
    );
  });

  it('each get their own CA', async () => {
    const [a, b] = await Promise.all([
      issueTemporaryCertificate({ dnsNames: ['a.example'], keyPem: key, validityMs: HOUR, now: T0 }),
      issueTemporaryCertificate({ dnsNames: ['a.example'], keyPem: key, validityMs: HOUR, now: T0 }),
    ]);
    expect(a.caPem).not.to.equal(b.caPem);
    expect(
      validateIssued({
        chainPem: a.chainPem,
        keyPem: key,
        dnsNames: ['a.example'],
        now: T0,
        roots: [b.caPem],
      }),
    ).to.have.length(1);
  });

  it('work for an RSA key', async () => {
    const rsa = await generatePrivateKey({ algorithm: 'RSA', size: 2048 });
    const temp = await issueTemporaryCertificate({
      dnsNames: ['a.example'],
      keyPem: rsa,
      validityMs: HOUR,
      now: T0,
    });
    expect(
      validateIssued({
        chainPem: temp.chainPem,
        keyPem: rsa,
        dnsNames: ['a.example'],
        now: T0,
        roots: [temp.caPem],
      }),
    ).to.deep.equal([]);
  });

  for (const [name, request] of [
    ['no names', { dnsNames: [], validityMs: HOUR }],
    ['a zero validity', { dnsNames: ['a.example'], validityMs: 0 }],
  ] as const) {
    it(`are refused for ${name}`, async () => {
      let error: unknown;
      await issueTemporaryCertificate({ ...request, keyPem: key, now: T0 }).catch(
        (e: unknown) => (error = e),
      );
      expect(error).to.be.instanceOf(Error);
    });
  }
});
