/**
 * The few certificate-format chores the ACME layer cannot avoid: a CSR given as DER or PEM,
 * the downloaded chain split into leaf and intermediates, and whether a certificate carries
 * the CSR's public key. Validation proper lives in src/domain/certs.
 */
import { X509Certificate } from 'node:crypto';
import { Pkcs10CertificateRequest } from '@peculiar/x509';
import { AcmeError, LocalErrorType } from './errors.js';

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

export interface ParsedCsr {
  /** PEM, as acme-client wants it. */
  readonly pem: string;
  /** DER of the SubjectPublicKeyInfo, to recognise the certificate issued for it. */
  readonly publicKey: Uint8Array;
}

/** Accepts a CSR as PEM text, PEM bytes or DER bytes; throws a badCSR AcmeError otherwise. */
export function parseCsr(csr: string | Uint8Array): ParsedCsr {
  try {
    const input = typeof csr !== 'string' && looksLikePem(csr) ? Buffer.from(csr).toString('utf8') : csr;
    const request = new Pkcs10CertificateRequest(input);
    return { pem: request.toString('pem'), publicKey: new Uint8Array(request.publicKey.rawData) };
  } catch (error) {
    throw new AcmeError({
      type: 'urn:ietf:params:acme:error:badCSR',
      detail: `the certificate signing request cannot be parsed: ${error instanceof Error ? error.message : String(error)}`,
      cause: error,
    });
  }
}

export interface SplitChain {
  readonly leafPem: string;
  /** Intermediates, leaf's issuer first, each block ending with a newline. */
  readonly chainPem: string;
  /** Leaf then chain, as stored in tls.crt. */
  readonly fullChainPem: string;
}

export function splitChain(pem: string): SplitChain {
  const blocks = (pem.match(PEM_BLOCK) ?? []).map((block) => `${block}\n`);
  const [leafPem, ...chain] = blocks;
  if (!leafPem) {
    throw new AcmeError({
      type: LocalErrorType.protocol,
      detail: 'the downloaded certificate holds no PEM certificate',
    });
  }
  return { leafPem, chainPem: chain.join(''), fullChainPem: blocks.join('') };
}

export function certificateHasKey(certificatePem: string, publicKey: Uint8Array): boolean {
  // Node's parser (OpenSSL): a tenth of @peculiar/x509's time on the event loop.
  const spki = new X509Certificate(certificatePem).publicKey.export({ type: 'spki', format: 'der' });
  return spki.equals(Buffer.from(publicKey));
}

function looksLikePem(bytes: Uint8Array): boolean {
  return Buffer.from(bytes.subarray(0, 64)).toString('latin1').includes('-----BEGIN');
}
