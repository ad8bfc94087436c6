import { createHash, X509Certificate } from 'node:crypto';
import { expect } from 'chai';
import { describeCertificate } from './describe.js';
import { generatePrivateKey } from './keys.js';
import { T0, testPki } from './pki.test-support.js';
import { annotatedDnsNames, annotatedNotAfter, certificateSecretContent, storedSecret } from './secret.js';

describe('the certificate Secret', () => {
  it('is described the way status reports it, and round-trips through Secret data', async () => {
    const pki = await testPki('Secret');
    const keyPem = await generatePrivateKey({ algorithm: 'ECDSA', size: 256 });
    const notAfter = new Date(T0.getTime() + 86_400_000);
    const chainPem = await pki.issue({
      keyPem,
      dnsNames: ['a.example', 'b.example'],
      notBefore: T0,
      notAfter,
    });

    const description = describeCertificate(chainPem);
    const leaf = new X509Certificate(chainPem);
    expect(description).to.deep.include({
      notBefore: T0,
      notAfter,
      dnsNames: ['a.example', 'b.example'],
      issuer: 'CN=Secret Intermediate',
      isTemporary: false,
      serialNumber: leaf.serialNumber.toLowerCase(),
      fingerprintSHA256: createHash('sha256').update(leaf.raw).digest('hex'),
    });
    expect(description.fingerprintSHA256).to.equal(leaf.fingerprint256.replaceAll(':', '').toLowerCase());

    const content = certificateSecretContent({
      certificateName: 'web',
      dnsNames: ['a.example', 'b.example'],
      issuer: 'https://acme.example/dir',
      chainPem,
      keyPem,
      caPem: pki.root.certPem,
      revision: 3,
      temporary: false,
    });
    expect(content.type).to.equal('kubernetes.io/tls');
    expect(content.labels).to.deep.equal({ 'gateway.awesomeapi.com.br/certificate-name': 'web' });
    expect(content.annotations).to.deep.equal({
      'gateway.awesomeapi.com.br/certificate-name': 'web',
      'gateway.awesomeapi.com.br/dns-names': 'a.example,b.example',
      'gateway.awesomeapi.com.br/issuer': 'https://acme.example/dir',
      'gateway.awesomeapi.com.br/not-after': '2026-01-02T00:00:00Z',
      'gateway.awesomeapi.com.br/revision': '3',
      'gateway.awesomeapi.com.br/temporary': 'false',
    });
    const stored = storedSecret({ data: content.data, metadata: { annotations: content.annotations } });
    expect(stored.data).to.deep.equal({ 'tls.crt': chainPem, 'tls.key': keyPem, 'ca.crt': pki.root.certPem });
    expect(annotatedDnsNames(stored.annotations)).to.deep.equal(['a.example', 'b.example']);
    expect(annotatedNotAfter(stored.annotations)).to.deep.equal(notAfter);
  });

  it('reads missing or malformed annotations as absent', () => {
    expect(annotatedDnsNames({})).to.deep.equal([]);
    expect(annotatedNotAfter({})).to.equal(undefined);
    expect(annotatedNotAfter({ 'gateway.awesomeapi.com.br/not-after': 'soon' })).to.equal(undefined);
  });
});
