import { expect } from 'chai';
import * as x509 from '@peculiar/x509';
import { createCertificateAuthority, generateKeyPair, issueCertificate } from '../pki/x509.js';
import { AcmeError } from './errors.js';
import { certificateHasKey, parseCsr, splitChain } from './pem.js';

async function csr(): Promise<{ request: x509.Pkcs10CertificateRequest }> {
  const keys = await generateKeyPair();
  const request = await x509.Pkcs10CertificateRequestGenerator.create({
    name: 'CN=a.example',
    keys,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
  });
  return { request };
}

describe('certificate formats at the ACME edge', () => {
  it('takes a CSR as PEM text, PEM bytes or DER, and gives the same PEM and key', async () => {
    const { request } = await csr();
    const pem = request.toString('pem');
    const fromText = parseCsr(pem);
    const fromPemBytes = parseCsr(Buffer.from(pem));
    const fromDer = parseCsr(new Uint8Array(request.rawData));
    expect(fromPemBytes).to.deep.equal(fromText);
    expect(fromDer).to.deep.equal(fromText);
    expect(fromText.pem).to.include('-----BEGIN CERTIFICATE REQUEST-----');
    expect(Buffer.from(fromText.publicKey)).to.deep.equal(Buffer.from(request.publicKey.rawData));
  });

  it('calls an unreadable CSR a badCSR user error', () => {
    let error: unknown;
    try {
      parseCsr('-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n');
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(AcmeError);
    expect((error as AcmeError).code).to.equal('badCSR');
    expect((error as AcmeError).retryable).to.equal(false);
  });

  it('splits a downloaded chain into leaf and intermediates and matches the leaf to a key', async () => {
    const now = Date.now();
    const ca = await createCertificateAuthority('ca', new Date(now - 60_000), new Date(now + 3_600_000));
    const leaf = await issueCertificate(ca, {
      commonName: 'a.example',
      dnsNames: ['a.example'],
      usage: 'server',
      notBefore: new Date(now - 60_000),
      notAfter: new Date(now + 3_600_000),
    });
    const split = splitChain(`${leaf.certPem}\r\n${ca.certPem}`);
    expect(split.leafPem.trim()).to.equal(leaf.certPem.trim());
    expect(split.chainPem.trim()).to.equal(ca.certPem.trim());
    expect(split.fullChainPem).to.equal(split.leafPem + split.chainPem);
    expect(certificateHasKey(split.leafPem, new Uint8Array(leaf.cert.publicKey.rawData))).to.equal(true);
    expect(certificateHasKey(split.leafPem, new Uint8Array(ca.cert.publicKey.rawData))).to.equal(false);
    expect(() => splitChain('no certificate here')).to.throw(AcmeError, /no PEM certificate/);
  });
});
