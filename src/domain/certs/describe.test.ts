import { expect } from 'chai';
import * as x509 from '@peculiar/x509';
import { generatePrivateKey } from './keys.js';
import { T0, testPki } from './pki.test-support.js';
import { describeCertificate } from './describe.js';
import { issueTemporaryCertificate } from './temporary.js';

const DAY = 86_400_000;

describe('describing a stored certificate (Node’s parser)', () => {
  it('reads what @peculiar/x509 reads: validity, serial, issuer, names', async () => {
    const pki = await testPki('Describe');
    const keyPem = await generatePrivateKey({ algorithm: 'ECDSA', size: 256 });
    for (let i = 0; i < 8; i += 1) {
      const chain = await pki.issue({
        keyPem,
        dnsNames: ['a.example', `www${i}.a.example`],
        notBefore: T0,
        notAfter: new Date(T0.getTime() + 90 * DAY),
      });
      const reference = new x509.X509Certificate(chain);
      const described = describeCertificate(chain);
      expect(described.notBefore.toISOString()).to.equal(reference.notBefore.toISOString());
      expect(described.notAfter.toISOString()).to.equal(reference.notAfter.toISOString());
      expect(described.serialNumber).to.equal(reference.serialNumber.toLowerCase());
      expect(described.issuer).to.equal(reference.issuer);
      expect(described.dnsNames).to.deep.equal(['a.example', `www${i}.a.example`]);
      expect(described.isTemporary).to.equal(false);
    }
  });

  it('describes a leaf with an empty subject, as Pebble and Let’s Encrypt issue them', async () => {
    const pki = await testPki('Empty');
    const keyPem = await generatePrivateKey({ algorithm: 'ECDSA', size: 256 });
    // No common name fits a 70-character name: the subject stays empty, the name is in the SAN.
    const long = `${'x'.repeat(60)}.a.example`;
    const chain = await pki.issue({
      keyPem,
      dnsNames: [long],
      notBefore: T0,
      notAfter: new Date(T0.getTime() + DAY),
    });
    const described = describeCertificate(chain);
    expect(described.dnsNames).to.deep.equal([long]);
    expect(described.isTemporary).to.equal(false);
  });

  it('recognises a temporary certificate by its organisation', async () => {
    const keyPem = await generatePrivateKey({ algorithm: 'ECDSA', size: 256 });
    const temporary = await issueTemporaryCertificate({
      dnsNames: ['t.example'],
      keyPem,
      validityMs: DAY,
      now: T0,
    });
    expect(describeCertificate(temporary.chainPem)).to.include({ isTemporary: true });
  });
});
