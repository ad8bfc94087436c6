import { expect } from 'chai';
import * as x509 from '@peculiar/x509';
import { createCertificateAuthority } from '../pki/x509.js';
import { AcmeError } from './errors.js';
import { certificateId, parseRenewalInfo } from './renewal-info.js';

describe('ACME Renewal Information (RFC 9773)', () => {
  it('computes the CertID of the RFC 9773 example certificate', async () => {
    const now = Date.now();
    const ca = await createCertificateAuthority('issuer', new Date(now - 60_000), new Date(now + 3_600_000));
    const leaf = await x509.X509CertificateGenerator.create({
      // A serial whose first byte has the high bit set keeps its leading zero in DER.
      serialNumber: '0087654321',
      subject: 'CN=example.org',
      issuer: ca.cert.subject,
      notBefore: new Date(now - 60_000),
      notAfter: new Date(now + 3_600_000),
      publicKey: ca.keys.publicKey,
      signingKey: ca.keys.privateKey,
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
      extensions: [new x509.AuthorityKeyIdentifierExtension('69885B6B87464041E1B37B847BA0AE2CDE01C8D4')],
    });
    expect(certificateId(leaf.toString('pem'))).to.equal('aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE');
  });

  it('refuses a certificate without an Authority Key Identifier', async () => {
    const now = Date.now();
    const bare = await createCertificateAuthority(
      'no-aki',
      new Date(now - 60_000),
      new Date(now + 3_600_000),
    );
    expect(() => certificateId(bare.certPem)).to.throw(AcmeError, /Authority Key Identifier/);
  });

  it('reads the suggested window, explanation and next check time', () => {
    const retryAfter = new Date('2026-01-01T06:00:00Z');
    const info = parseRenewalInfo(
      {
        suggestedWindow: { start: '2026-02-01T00:00:00Z', end: '2026-02-02T00:00:00Z' },
        explanationURL: 'https://ca.example/incident',
      },
      'https://ca.example/ari/x',
      retryAfter,
    );
    expect(info).to.deep.equal({
      start: new Date('2026-02-01T00:00:00Z'),
      end: new Date('2026-02-02T00:00:00Z'),
      explanationUrl: 'https://ca.example/incident',
      retryAfter,
    });
  });

  it('rejects a window that is missing, unparsable or ends before it starts', () => {
    for (const body of [
      {},
      { suggestedWindow: { start: 'soon', end: '2026-02-02T00:00:00Z' } },
      { suggestedWindow: { start: '2026-02-02T00:00:00Z', end: '2026-02-01T00:00:00Z' } },
      'not json',
    ]) {
      expect(() => parseRenewalInfo(body, 'https://ca.example/ari/x'), JSON.stringify(body)).to.throw(
        AcmeError,
        /no valid suggestedWindow/,
      );
    }
  });
});
